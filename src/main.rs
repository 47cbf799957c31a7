//! `voxcue`: the plugin's engine on WAV files.
//!
//! - `voxcue recognize WAV...`: one JSON line per file.
//! - `voxcue eval --manifest FILE.jsonl`: accuracy, false accepts, confusions, latency.
//! - `voxcue stream --wav FILE`: drives the plugin's own audio-thread path block by block.
//! - `voxcue bench`: per-stage latency of a recognizer.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("voxcue: {e}");
            ExitCode::from(2)
        }
    }
}
