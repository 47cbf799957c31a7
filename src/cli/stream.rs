//! `voxcue stream`: feeds a WAV through the plugin's audio-thread path ([`AudioSide`]) block by
//! block, with the real engine thread behind it, and prints every fired command.
//!
//! Without `--realtime` each block waits for the engine to catch up, so event times are those of
//! an infinitely fast engine; with `--realtime` blocks are paced at wall-clock speed and times
//! include the real recognition latency.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;
use voxcue::engine::{self, EngineConfig, EngineSettings};
use voxcue::messages::EngineState;
use voxcue::wav::read_wav;

use super::{percentile, EngineArgs};

/// Silence appended so the last utterance ends.
const TAIL_SECONDS: f32 = 1.5;

/// One fired command.
#[derive(Debug, Clone)]
pub struct Event {
    pub command: String,
    pub time_s: f64,
    pub confidence: f32,
}

#[derive(Deserialize)]
struct Labels {
    events: Vec<LabelEvent>,
}

#[derive(Deserialize)]
struct LabelEvent {
    command: String,
    speech_start_s: f64,
    speech_end_s: f64,
}

pub fn run(
    args: &EngineArgs,
    wav: &Path,
    reference: Option<&Path>,
    block: usize,
    realtime: bool,
    labels: Option<&Path>,
) -> Result<ExitCode, String> {
    if !(1..=8192).contains(&block) {
        return Err(format!("block size {block} is outside 1-8192"));
    }
    let audio = read_wav(wav).map_err(|e| e.to_string())?;
    let music = reference.map(read_wav).transpose().map_err(|e| e.to_string())?;
    if let (Some(m), Some(path)) = (&music, reference) {
        if m.sample_rate != audio.sample_rate {
            return Err(format!("{}: the reference is at {} Hz, the microphone at {} Hz", path.display(), m.sample_rate, audio.sample_rate));
        }
    }
    let music_channels = music.as_ref().map_or(0, |m| m.channels.max(1));
    let mut music_planar: Vec<Vec<f32>> = vec![vec![0.0; block]; music_channels];
    let commands = args.command_set()?;
    let settings = Arc::new(EngineSettings::default());
    settings.set_threshold(args.threshold);
    settings.set_recognizer(args.kind()?);
    let mut config = EngineConfig::new(audio.sample_rate as f32, Arc::clone(&commands), settings);
    config.idle_sleep = Duration::from_micros(200);
    let (state_in, mut state_out) = triple_buffer::triple_buffer(&EngineState::default());
    let (mut side, handle) = engine::start(config, state_in).map_err(|e| format!("cannot start the engine: {e}"))?;

    let rate = audio.sample_rate as f64;
    let channels = audio.channels.max(1);
    let tail = (TAIL_SECONDS * audio.sample_rate as f32) as usize;
    let total_frames = audio.frames() + tail;
    let mut planar: Vec<Vec<f32>> = vec![vec![0.0; block]; channels];
    let mut events = Vec::new();
    let started = Instant::now();
    let mut frame = 0;
    while frame < total_frames {
        let n = block.min(total_frames - frame);
        for (c, buf) in planar.iter_mut().enumerate() {
            buf.resize(n, 0.0);
            for (i, s) in buf.iter_mut().enumerate() {
                let f = frame + i;
                *s = if f < audio.frames() { audio.samples[f * channels + c] } else { 0.0 };
            }
        }
        if let Some(m) = &music {
            for (c, buf) in music_planar.iter_mut().enumerate() {
                buf.resize(n, 0.0);
                for (i, s) in buf.iter_mut().enumerate() {
                    let f = frame + i;
                    *s = if f < m.frames() { m.samples[f * music_channels + c] } else { 0.0 };
                }
            }
        }
        let now_s = frame as f64 / rate;
        side.process_block_with_reference(&planar, &music_planar, 1.0, true, |fire| {
            let id = commands.commands().get(fire.command as usize).map_or("?".to_string(), |c| c.id.clone());
            events.push(Event { command: id, time_s: now_s, confidence: fire.confidence });
        }, |_| {});
        frame += n;
        if realtime {
            let due = started + Duration::from_secs_f64(frame as f64 / rate);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        } else {
            wait_for_engine(&handle, frame as u64);
        }
    }
    let state = state_out.read().clone();
    drop(handle);
    for e in &events {
        println!("{}", json!({"command": e.command, "time_s": (e.time_s * 1000.0).round() / 1000.0, "confidence": e.confidence}));
    }
    for err in &state.errors {
        eprintln!("voxcue: engine: {err}");
    }
    if let Some(path) = labels {
        score(&events, path)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Waits until the engine has processed `frames` (or seems stuck).
fn wait_for_engine(handle: &engine::EngineHandle, frames: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while handle.progress.frames_done.load(Ordering::Acquire) < frames && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// Prints recall, precision and speech-end-to-event latency against labelled events.
fn score(events: &[Event], path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let labels: Labels = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut used = vec![false; events.len()];
    let mut latencies = Vec::new();
    let mut hits = 0;
    for label in &labels.events {
        let found = events.iter().enumerate().find(|(i, e)| {
            !used[*i] && e.command == label.command && e.time_s >= label.speech_start_s && e.time_s <= label.speech_end_s + 3.0
        });
        if let Some((i, e)) = found {
            used[i] = true;
            hits += 1;
            latencies.push(((e.time_s - label.speech_end_s) * 1000.0) as f32);
        }
    }
    latencies.sort_by(f32::total_cmp);
    let recall = hits as f64 / labels.events.len().max(1) as f64;
    let precision = if events.is_empty() { 1.0 } else { hits as f64 / events.len() as f64 };
    eprintln!(
        "labels {}: recall {:.3} ({hits}/{}), precision {:.3} ({hits}/{}), speech end to event p50 {:.0} ms",
        path.display(),
        recall,
        labels.events.len(),
        precision,
        events.len(),
        percentile(&latencies, 50.0)
    );
    println!("{}", json!({"recall": recall, "precision": precision, "latency_ms_p50": percentile(&latencies, 50.0)}));
    Ok(())
}
