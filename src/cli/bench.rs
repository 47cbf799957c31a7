//! `voxcue bench`: figures, not pass/fail.
//!
//! - Default: recognizer latency per stage on a 2 s utterance, and the cost of the audio thread's
//!   `process_block` per 256-frame block at 48 kHz.
//! - `--phrases N`: the same latency with a command set scaled to N phrases
//!   ([`synthetic::scaled_set`]), plus the time to load the command file and to prepare the
//!   recognizer for it; `--save-commands FILE` writes the set for `voxcue eval`.
//! - `--instances N --wav CLIP`: resident memory with N engines ([`resources::instances`]).
//! - `--listen WAV`: the engine thread's CPU while listening in real time ([`resources::listen`]).
//!
//! Runs on the CLI's main thread (and the engine threads it starts).

mod resources;
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use voxcue::commands::CommandSet;
use voxcue::engine::{self, recognize_clip, EngineConfig, EngineSettings};
use voxcue::messages::EngineState;
use voxcue::recognizer::asr::AsrRecognizer;
use voxcue::recognizer::{self, Recognizer, RecognizerKind, StageTimes};
use voxcue::wav::read_wav;

use super::{percentile, EngineArgs};

/// What `voxcue bench` measures, from its command line.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchOptions {
    /// Utterance to use (looped or cut to --seconds); a synthetic one when omitted. With
    /// --instances: the utterance every engine recognizes.
    #[arg(long)]
    pub wav: Option<PathBuf>,
    /// Utterance length in seconds.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f32,
    /// Recognitions to time.
    #[arg(long, default_value_t = 50)]
    pub runs: usize,
    /// Scale the command set to this many phrases (the real phrases first, then synthetic
    /// "<verb> <object> <deck>" distractors).
    #[arg(long)]
    pub phrases: Option<usize>,
    /// Write the scaled command set (--phrases) to this file, for `voxcue eval --commands`.
    #[arg(long, requires = "phrases")]
    pub save_commands: Option<PathBuf>,
    /// ASR only: score every phrase exactly, without the shortlist stage for large sets.
    #[arg(long)]
    pub exact: bool,
    /// Report resident memory with this many engines in the process, each having recognized
    /// --wav.
    #[arg(long, conflicts_with = "listen")]
    pub instances: Option<usize>,
    /// Report the engine thread's CPU (fraction of one core) while it listens to this WAV,
    /// played in real time.
    #[arg(long)]
    pub listen: Option<PathBuf>,
}

pub fn run(args: &EngineArgs, options: &BenchOptions) -> Result<ExitCode, String> {
    let commands = args.command_set()?;
    let report = if let Some(count) = options.instances {
        let wav = options.wav.as_ref().ok_or("--instances needs --wav CLIP (an utterance each engine recognizes)")?;
        resources::instances(args, &commands, wav, count)?
    } else if let Some(wav) = &options.listen {
        resources::listen(args, &commands, wav)?
    } else {
        latency(args, commands, options)?
    };
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

/// The recognizer named on the command line, loaded but not yet prepared.
fn load_recognizer(args: &EngineArgs, exact: bool) -> Result<Box<dyn Recognizer>, String> {
    match (args.kind()?, exact) {
        (RecognizerKind::Asr, true) => {
            let mut asr = AsrRecognizer::load().map_err(|e| e.to_string())?;
            asr.set_pruning(None);
            Ok(Box::new(asr))
        }
        (_, true) => Err("--exact applies to the asr recognizer only".into()),
        (kind, false) => recognizer::load(kind).map_err(|e| e.to_string()),
    }
}

/// The command set to bench with: the named (or built-in) one, or scaled to `--phrases`, with the
/// time to parse it as a command file (ms).
fn bench_commands(base: Arc<CommandSet>, options: &BenchOptions) -> Result<(Arc<CommandSet>, f32), String> {
    let Some(phrases) = options.phrases else { return Ok((base, 0.0)) };
    let text = synthetic::scaled_set(&base, phrases).map_err(|e| format!("synthetic command set: {e}"))?.to_toml();
    if let Some(path) = &options.save_commands {
        std::fs::write(path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let started = Instant::now();
    let set = CommandSet::parse(&text).map_err(|e| format!("synthetic command set: {e}"))?;
    Ok((Arc::new(set), started.elapsed().as_secs_f32() * 1000.0))
}

/// The utterance to time: `--wav` looped or cut to `--seconds`, or a synthetic voice.
fn utterance(wav: Option<&Path>, seconds: f32) -> Result<(Vec<f32>, u32), String> {
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
    Ok((utterance, rate))
}

/// Recognizer latency per stage (and, for the unscaled set, the audio thread's block cost).
fn latency(args: &EngineArgs, base: Arc<CommandSet>, options: &BenchOptions) -> Result<Value, String> {
    let (commands, parse_ms) = bench_commands(base, options)?;
    let load_started = Instant::now();
    let mut recognizer = load_recognizer(args, options.exact)?;
    let load_ms = load_started.elapsed().as_secs_f32() * 1000.0;
    let prepare_started = Instant::now();
    recognizer.prepare(&commands).map_err(|e| e.to_string())?;
    let prepare_ms = prepare_started.elapsed().as_secs_f32() * 1000.0;
    let (utterance, rate) = utterance(options.wav.as_deref(), options.seconds)?;
    let mut stages: Vec<StageTimes> = Vec::new();
    let mut totals = Vec::new();
    let mut best = None;
    for _ in 0..options.runs.max(1) {
        let started = Instant::now();
        let outcome = recognize_clip(recognizer.as_mut(), &utterance, rate).map_err(|e| e.to_string())?;
        totals.push(started.elapsed().as_secs_f32() * 1000.0);
        stages.push(outcome.stages);
        best = outcome.best().map(|c| (commands.commands()[c.command].id.clone(), c.confidence));
    }
    let stat = |f: &dyn Fn(&StageTimes) -> f32| {
        let mut v: Vec<f32> = stages.iter().map(f).collect();
        v.sort_by(f32::total_cmp);
        json!({"p50": round(percentile(&v, 50.0)), "p95": round(percentile(&v, 95.0))})
    };
    totals.sort_by(f32::total_cmp);
    let mut report = json!({
        "recognizer": args.recognizer,
        "utterance_s": options.seconds,
        "runs": options.runs,
        "commands": commands.len(),
        "phrases": commands.phrases().count(),
        "load_ms": round(load_ms),
        "prepare_ms": round(prepare_ms),
        "total_ms": {"p50": round(percentile(&totals, 50.0)), "p95": round(percentile(&totals, 95.0))},
        "acoustic_ms": stat(&|s| s.acoustic_ms),
        "embedding_ms": stat(&|s| s.embedding_ms),
        "search_ms": stat(&|s| s.search_ms),
        "scoring_ms": stat(&|s| s.scoring_ms),
        "best": best.map(|(id, confidence)| json!({"command": id, "confidence": round(confidence)})),
    });
    if options.phrases.is_some() {
        report["command_file_parse_ms"] = json!(round(parse_ms));
        report["exact"] = json!(options.exact);
    } else {
        let (block_mean_ns, block_max_ns) = bench_process_block()?;
        report["process_block_256_at_48k_ns"] = json!({"mean": block_mean_ns, "max": block_max_ns});
    }
    Ok(report)
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
    let config = EngineConfig::new(48_000.0, Arc::new(CommandSet::default_dj()), settings);
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
