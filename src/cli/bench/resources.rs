//! `voxcue bench --instances N` and `voxcue bench --listen WAV`: what running engines cost the
//! process, measured from `/proc` (Linux).
//!
//! - Memory: N engines built exactly as the plugin builds them (`EngineConfig::new`, models shared
//!   process-wide), each fed the same utterance through its own `AudioSide` until it has
//!   recognized it; then resident memory (VmRSS) and its peak (VmHWM).
//! - CPU: one engine fed a WAV through `AudioSide` at wall-clock pace in 256-frame blocks, like a
//!   host; the engine thread's own CPU time (scheduler nanoseconds) over the wall time, after the
//!   recognizer has loaded.
//!
//! Runs on the CLI's main thread plus the engine threads it starts. Figures, not pass/fail.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use voxcue::audio_side::AudioSide;
use voxcue::commands::CommandSet;
use voxcue::engine::{self, EngineConfig, EngineHandle, EngineSettings};
use voxcue::messages::EngineState;
use voxcue::wav::read_wav;

use crate::cli::EngineArgs;

/// Frames per `process_block` call, as a typical host at 48 kHz.
const BLOCK: usize = 256;
/// Silence after the utterance so the segmenter's hangover ends it.
const TAIL_SECONDS: f32 = 1.5;
/// Longest wait for an engine to load its models or recognize.
const TIMEOUT: Duration = Duration::from_secs(300);
/// Name the engine gives its thread (`engine::start`).
const ENGINE_THREAD: &str = "voxcue-engine";

/// One engine and the ends the bench drives it by.
struct Instance {
    side: AudioSide,
    handle: EngineHandle,
    state: triple_buffer::Output<EngineState>,
}

/// Starts an engine with the product configuration and the command-line settings.
fn start_instance(args: &EngineArgs, commands: &Arc<CommandSet>, rate: u32) -> Result<Instance, String> {
    let settings = Arc::new(EngineSettings::default());
    settings.set_threshold(args.threshold);
    settings.set_recognizer(args.kind()?);
    let config = EngineConfig::new(rate as f32, Arc::clone(commands), settings);
    let (state_in, state) = triple_buffer::triple_buffer(&EngineState::default());
    let (side, handle) = engine::start(config, state_in).map_err(|e| format!("cannot start the engine: {e}"))?;
    Ok(Instance { side, handle, state })
}

/// Mono audio and its rate, with [`TAIL_SECONDS`] of silence appended.
fn read_with_tail(wav: &Path) -> Result<(Vec<f32>, u32), String> {
    let audio = read_wav(wav).map_err(|e| e.to_string())?;
    let mut mono = audio.to_mono();
    mono.extend(std::iter::repeat(0.0).take((TAIL_SECONDS * audio.sample_rate as f32) as usize));
    Ok((mono, audio.sample_rate))
}

/// Hands one block to the audio-thread side, as the plugin's `process()` does; returns how many
/// commands fired in it.
fn process(side: &mut AudioSide, block: &[f32]) -> usize {
    let mut fired = 0;
    side.process_block(&[block], 1.0, true, |_| fired += 1, |_| {});
    fired
}

/// Waits until `done` holds, or fails after [`TIMEOUT`].
fn wait_for(what: &str, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + TIMEOUT;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// Whether the engine has loaded its recognizer (or given up on it).
fn loaded(state: &mut triple_buffer::Output<EngineState>) -> bool {
    let s = state.read();
    !s.models.is_empty() || !s.errors.is_empty()
}

/// `voxcue bench --instances N --wav CLIP`: resident memory with N engines that each recognized
/// the clip.
pub fn instances(args: &EngineArgs, commands: &Arc<CommandSet>, wav: &Path, count: usize) -> Result<Value, String> {
    let before = MemoryStatus::read()?;
    let (audio, rate) = read_with_tail(wav)?;
    let mut engines = (0..count.max(1)).map(|_| start_instance(args, commands, rate)).collect::<Result<Vec<_>, _>>()?;
    for instance in &mut engines {
        audio.chunks(BLOCK).for_each(|block| {
            process(&mut instance.side, block);
        });
    }
    for (i, instance) in engines.iter().enumerate() {
        wait_for(&format!("instance {i} to recognize"), || instance.handle.progress.utterances.load(Ordering::Relaxed) >= 1)?;
    }
    let after = MemoryStatus::read()?;
    let results: Vec<Value> = engines
        .iter_mut()
        .map(|instance| {
            let state = instance.state.read();
            let best = state.history.first().and_then(|r| r.best.clone());
            json!({"recognizer": state.recognizer, "best": best, "errors": state.errors})
        })
        .collect();
    drop(engines);
    Ok(json!({
        "recognizer": args.recognizer,
        "instances": count.max(1),
        "wav": wav.display().to_string(),
        "rss_at_start_mb": before.rss_mb(),
        "rss_mb": after.rss_mb(),
        "peak_rss_mb": after.peak_mb(),
        "results": results,
    }))
}

/// `voxcue bench --listen WAV`: the engine thread's CPU while a host plays `wav` into it in real
/// time.
pub fn listen(args: &EngineArgs, commands: &Arc<CommandSet>, wav: &Path) -> Result<Value, String> {
    let (audio, rate) = read_with_tail(wav)?;
    let threads_before = engine_threads()?;
    let mut instance = start_instance(args, commands, rate)?;
    wait_for("the recognizer to load", || loaded(&mut instance.state))?;
    let tid = engine_threads()?
        .into_iter()
        .find(|t| !threads_before.contains(t))
        .ok_or_else(|| format!("no new {ENGINE_THREAD} thread in /proc/self/task"))?;
    let (engine0, process0, started) = (thread_cpu_s(tid)?, process_cpu_s()?, Instant::now());
    let mut fired = 0;
    for (i, block) in audio.chunks(BLOCK).enumerate() {
        fired += process(&mut instance.side, block);
        let due = started + Duration::from_secs_f64(((i + 1) * BLOCK) as f64 / rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let (engine1, process1, wall) = (thread_cpu_s(tid)?, process_cpu_s()?, started.elapsed().as_secs_f64());
    let utterances = instance.handle.progress.utterances.load(Ordering::Relaxed);
    let dropped = instance.state.read().dropped_samples;
    drop(instance);
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    Ok(json!({
        "recognizer": args.recognizer,
        "wav": wav.display().to_string(),
        "audio_s": round(audio.len() as f64 / rate as f64),
        "wall_s": round(wall),
        "engine_thread_cpu_s": round(engine1 - engine0),
        "engine_cpu_fraction_of_one_core": round((engine1 - engine0) / wall),
        "process_cpu_fraction_of_one_core": round((process1 - process0) / wall),
        "utterances": utterances,
        "fired": fired,
        "dropped_samples": dropped,
    }))
}

/// VmRSS and VmHWM of this process, in kB.
struct MemoryStatus {
    rss_kb: u64,
    peak_kb: u64,
}

impl MemoryStatus {
    fn read() -> Result<Self, String> {
        let text = std::fs::read_to_string("/proc/self/status").map_err(|e| format!("/proc/self/status: {e}"))?;
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .ok_or_else(|| format!("/proc/self/status has no {name}"))
        };
        Ok(MemoryStatus { rss_kb: field("VmRSS:")?, peak_kb: field("VmHWM:")? })
    }

    fn rss_mb(&self) -> f64 {
        (self.rss_kb as f64 / 1024.0 * 10.0).round() / 10.0
    }

    fn peak_mb(&self) -> f64 {
        (self.peak_kb as f64 / 1024.0 * 10.0).round() / 10.0
    }
}

/// Thread ids of this process's engine threads.
fn engine_threads() -> Result<Vec<u32>, String> {
    let tasks = std::fs::read_dir("/proc/self/task").map_err(|e| format!("/proc/self/task: {e}"))?;
    Ok(tasks
        .filter_map(Result::ok)
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == ENGINE_THREAD))
        .filter_map(|t| t.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect())
}

/// CPU time of thread `tid` so far, in seconds (first field of its `schedstat`, in ns).
fn thread_cpu_s(tid: u32) -> Result<f64, String> {
    let path = format!("/proc/self/task/{tid}/schedstat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let ns: u64 = text.split_whitespace().next().and_then(|v| v.parse().ok()).ok_or_else(|| format!("{path}: unreadable"))?;
    Ok(ns as f64 / 1e9)
}

/// CPU time (user + system) of the whole process so far, in seconds (`/proc/self/stat` fields 14
/// and 15, in clock ticks of 1/100 s on Linux).
fn process_cpu_s() -> Result<f64, String> {
    let text = std::fs::read_to_string("/proc/self/stat").map_err(|e| format!("/proc/self/stat: {e}"))?;
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    let after_name = text.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).ok_or("/proc/self/stat: unreadable".to_string());
    // Field 14 (utime) is the 12th after the name: fields 3.. start at index 0.
    Ok((ticks(11)? + ticks(12)?) as f64 / 100.0)
}
