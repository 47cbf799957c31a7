//! Command-line front end. Runs on the main thread; the `stream` command also starts the same
//! engine thread the plugin uses.

mod bench;
mod enroll;
mod eval;
mod music;
mod plot;
mod recognize;
mod stream;
mod sweep;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use voxcue::commands::{CommandFileError, CommandSet};
use voxcue::recognizer::s2o::Enrollments;
use voxcue::recognizer::{self, Recognizer, RecognizerKind, DEFAULT_THRESHOLD};

#[derive(Parser, Debug)]
#[command(name = "voxcue", version, about = "Spoken DJ commands to MIDI: the Voxcue engine on WAV files")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every recognizing command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineArgs {
    /// Command file (TOML); the built-in DJ set when omitted.
    #[arg(long)]
    commands: Option<PathBuf>,
    /// Recognizer: asr or s2o.
    #[arg(long, default_value = "asr")]
    recognizer: String,
    /// Confidence needed to fire (0-1).
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    threshold: f32,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Recognize whole WAV files, one JSON line each.
    Recognize {
        #[command(flatten)]
        engine: EngineArgs,
        /// Print JSON lines (the default; kept for symmetry with the other commands).
        #[arg(long)]
        json: bool,
        /// WAV files.
        #[arg(required = true)]
        wavs: Vec<PathBuf>,
    },
    /// Evaluate on a manifest of labelled clips.
    Eval {
        #[command(flatten)]
        engine: EngineArgs,
        /// JSON lines: {"wav", "command", "condition", "commands"?}.
        #[arg(long)]
        manifest: PathBuf,
        /// Also print one JSON summary on the last line.
        #[arg(long)]
        json: bool,
        /// Evaluate only every Nth clip (quick checks).
        #[arg(long, default_value_t = 1)]
        every: usize,
        /// Instead of the manifest's own conditions: remix its clean clips with synthesized
        /// music at each --snrs level, with and without the music reference (bleed canceller).
        /// `--recognizer asr,s2o` runs both on the same mixes.
        #[arg(long)]
        snr_sweep: bool,
        /// Speech-to-music ratios for --snr-sweep, in dB.
        #[arg(long, value_delimiter = ',', default_value = "20,12,6,3,0")]
        snrs: Vec<f32>,
        /// Also draw accuracy against SNR into this PNG (--snr-sweep).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Seed of the music and rooms (--snr-sweep).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Music WAV file or folder for --snr-sweep instead of the synthesized tracks.
        #[arg(long)]
        music: Option<PathBuf>,
    },
    /// Run a WAV through the plugin's audio path block by block and print the fired commands.
    Stream {
        #[command(flatten)]
        engine: EngineArgs,
        /// Input WAV (any rate, mono or multichannel).
        #[arg(long)]
        wav: PathBuf,
        /// The music as the plugin's sidechain would get it (same rate as --wav), cancelled from
        /// the microphone by the engine's bleed canceller.
        #[arg(long)]
        reference: Option<PathBuf>,
        /// Block size in frames.
        #[arg(long, default_value_t = 256)]
        block: usize,
        /// Pace blocks at wall-clock speed.
        #[arg(long)]
        realtime: bool,
        /// Print JSON lines (the default).
        #[arg(long)]
        json: bool,
        /// Labels ({"events": [...]}) to score the run against.
        #[arg(long)]
        labels: Option<PathBuf>,
    },
    /// Add recordings of a command as examples for the S2O recognizer (saved beside the command
    /// file as NAME.enrollments.json).
    Enroll {
        /// Command file the enrollments belong to.
        #[arg(long)]
        commands: PathBuf,
        /// Command id.
        #[arg(long)]
        command: String,
        /// Recordings of the command.
        #[arg(required = true)]
        wavs: Vec<PathBuf>,
    },
    /// Measure recognizer latency per stage and the audio thread's cost per block; with options,
    /// latency against N phrases, resident memory of N engines, or engine CPU while listening.
    Bench {
        #[command(flatten)]
        engine: EngineArgs,
        #[command(flatten)]
        options: bench::BenchOptions,
    },
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Recognize { engine, wavs, .. } => recognize::run(&engine, &wavs),
        Command::Eval { engine, manifest, json, every, snr_sweep: true, snrs, plot, seed, music } => {
            sweep::run(&engine, &manifest, &sweep::SweepOptions { snrs, music, plot, seed, every, json })
        }
        Command::Eval { engine, manifest, json, every, .. } => eval::run(&engine, &manifest, json, every),
        Command::Stream { engine, wav, reference, block, realtime, labels, .. } => {
            stream::run(&engine, &wav, reference.as_deref(), block, realtime, labels.as_deref())
        }
        Command::Enroll { commands, command, wavs } => enroll::run(&commands, &command, &wavs),
        Command::Bench { engine, options } => bench::run(&engine, &options),
    }
}

impl EngineArgs {
    /// The recognizer kind named on the command line.
    pub fn kind(&self) -> Result<RecognizerKind, String> {
        RecognizerKind::from_name(&self.recognizer)
            .ok_or_else(|| format!("unknown recognizer {:?} (use asr or s2o)", self.recognizer))
    }

    /// The command set named on the command line, or the built-in one.
    pub fn command_set(&self) -> Result<Arc<CommandSet>, String> {
        load_commands(self.commands.as_deref())
    }

    /// Loads the recognizer and prepares it for `commands`.
    pub fn recognizer(&self, commands: &Arc<CommandSet>) -> Result<Box<dyn Recognizer>, String> {
        let mut r = recognizer::load(self.kind()?).map_err(|e| e.to_string())?;
        if let Some(file) = &self.commands {
            let enrollments = Enrollments::load(&Enrollments::path_for(file)).map_err(|e| e.to_string())?;
            r.set_enrollments(&enrollments);
        }
        r.prepare(commands).map_err(|e| e.to_string())?;
        Ok(r)
    }
}

/// Loads a command file, or the built-in set for `None`.
pub fn load_commands(path: Option<&Path>) -> Result<Arc<CommandSet>, String> {
    match path {
        Some(p) => CommandSet::load(p).map(Arc::new).map_err(|e| match e {
            // Read errors already name the file; content errors name only the line.
            CommandFileError::Io { .. } => e.to_string(),
            _ => format!("{}: {e}", p.display()),
        }),
        None => Ok(Arc::new(CommandSet::default_dj())),
    }
}

/// Percentile of sorted values (nearest rank).
pub fn percentile(sorted: &[f32], p: f32) -> f32 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f32).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
