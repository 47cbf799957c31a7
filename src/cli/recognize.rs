//! `voxcue recognize`: whole files, one JSON line each; unreadable files are reported and skipped.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use voxcue::engine::recognize_clip;
use voxcue::wav::read_wav;

use super::EngineArgs;

pub fn run(args: &EngineArgs, wavs: &[PathBuf]) -> Result<ExitCode, String> {
    let commands = args.command_set()?;
    let mut recognizer = args.recognizer(&commands)?;
    let mut failures = 0;
    for path in wavs {
        let audio = match read_wav(path) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("voxcue: {e}");
                failures += 1;
                continue;
            }
        };
        let started = Instant::now();
        let outcome = match recognize_clip(recognizer.as_mut(), &audio.to_mono(), audio.sample_rate) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("voxcue: {}: {e}", path.display());
                failures += 1;
                continue;
            }
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let fired = outcome.decide(args.threshold);
        let line = json!({
            "file": path.display().to_string(),
            "command": fired.map(|c| commands.commands()[c.command].id.clone()),
            "confidence": outcome.best().map_or(0.0, |c| c.confidence),
            "text": outcome.transcript,
            "latency_ms": (latency_ms * 10.0).round() / 10.0,
        });
        println!("{line}");
    }
    Ok(if failures == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
