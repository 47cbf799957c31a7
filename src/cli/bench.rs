//! `voxcue bench`: recognizer latency per stage on a 2 s utterance, and the cost of the audio
//! thread's `process_block` per 256-frame block at 48 kHz. Figures, not pass/fail.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use voxcue::engine::{self, recognize_clip, EngineConfig, EngineSettings};
use voxcue::messages::EngineState;
use voxcue::recognizer::StageTimes;
use voxcue::wav::read_wav;

use super::{percentile, EngineArgs};

pub fn run(args: &EngineArgs, wav: Option<&PathBuf>, seconds: f32, runs: usize) -> Result<ExitCode, String> {
    let commands = args.command_set()?;
    let load_started = Instant::now();
    let mut recognizer = args.recognizer(&commands)?;
    let load_ms = load_started.elapsed().as_secs_f32() * 1000.0;
    let (audio, rate) = match wav {
        Some(p) => {
            let a = read_wav(p).map_err(|e| e.to_string())?;
            (a.to_mono(), a.sample_rate)
        }
        None => (synthetic_utterance(16_000), 16_000),
    };
    let target = (seconds * rate as f32) as usize;
    let mut utterance: Vec<f32> = audio.iter().copied().cycle().take(target.max(1)).collect();
    utterance.truncate(target);
    let mut stages: Vec<StageTimes> = Vec::new();
    let mut totals = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let outcome = recognize_clip(recognizer.as_mut(), &utterance, rate).map_err(|e| e.to_string())?;
        totals.push(started.elapsed().as_secs_f32() * 1000.0);
        stages.push(outcome.stages);
    }
    let stat = |f: &dyn Fn(&StageTimes) -> f32| {
        let mut v: Vec<f32> = stages.iter().map(f).collect();
        v.sort_by(f32::total_cmp);
        json!({"p50": round(percentile(&v, 50.0)), "p95": round(percentile(&v, 95.0))})
    };
    totals.sort_by(f32::total_cmp);
    let (block_mean_ns, block_max_ns) = bench_process_block()?;
    let report = json!({
        "recognizer": args.recognizer,
        "utterance_s": seconds,
        "runs": runs,
        "load_ms": round(load_ms),
        "total_ms": {"p50": round(percentile(&totals, 50.0)), "p95": round(percentile(&totals, 95.0))},
        "acoustic_ms": stat(&|s| s.acoustic_ms),
        "embedding_ms": stat(&|s| s.embedding_ms),
        "search_ms": stat(&|s| s.search_ms),
        "scoring_ms": stat(&|s| s.scoring_ms),
        "process_block_256_at_48k_ns": {"mean": block_mean_ns, "max": block_max_ns},
    });
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

fn round(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

/// A voice-like test signal when no WAV is given (harmonics with a syllable envelope).
fn synthetic_utterance(rate: usize) -> Vec<f32> {
    (0..rate * 2)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let envelope = (t * 3.0 * std::f32::consts::PI).sin().abs();
            let voice: f32 = (1..6).map(|h| (2.0 * std::f32::consts::PI * 140.0 * h as f32 * t).sin() / h as f32).sum();
            0.2 * envelope * voice
        })
        .collect()
}

/// Mean and max wall time of `AudioSide::process_block` for 256-frame stereo blocks at 48 kHz,
/// with the engine thread running behind it.
fn bench_process_block() -> Result<(u64, u64), String> {
    let settings = Arc::new(EngineSettings::default());
    let config = EngineConfig::new(48_000.0, Arc::new(voxcue::commands::CommandSet::default_dj()), settings);
    let (state_in, _state_out) = triple_buffer::triple_buffer(&EngineState::default());
    let (mut side, handle) = engine::start(config, state_in).map_err(|e| e.to_string())?;
    let left: Vec<f32> = (0..256).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
    let right = left.clone();
    let input = [left, right];
    let mut times = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        let started = Instant::now();
        side.process_block(&input, 1.0, true, |_| {}, |_| {});
        times.push(started.elapsed());
        if times.len() % 64 == 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    drop(handle);
    let total: Duration = times.iter().sum();
    let max = times.iter().max().copied().unwrap_or_default();
    Ok(((total.as_nanos() / times.len() as u128) as u64, max.as_nanos() as u64))
}
