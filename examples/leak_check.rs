//! Leak-check driver (issue 7): starts the engine with the real models and the product
//! configuration (`EngineConfig::new`, as the plugin does on activation), feeds a spoken command
//! through the audio-thread path, and stops the engine *while it is recognizing* (as the plugin
//! does on deactivation or unload), several cycles in one process. Meant to run under valgrind:
//! see `scripts/leak-check.sh`, which also says how to read the figures.
//!
//! Each cycle starts from no live model: the previous cycle's engine was the last owner, so the
//! process-wide weak model cache frees every model and the next cycle loads them again. What
//! survives the cycles is ONNX Runtime's process-wide environment (loaded once, never unloaded).
//!
//! ```sh
//! cargo run --example leak_check -- [--cycles 3] [--recognizer asr|s2o] [--wav CLIP.wav]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use voxcue::commands::CommandSet;
use voxcue::engine::{self, EngineConfig, EngineSettings};
use voxcue::messages::{EngineState, ListenState};
use voxcue::recognizer::RecognizerKind;
use voxcue::wav::read_wav;

/// Frames per `process_block` call.
const BLOCK: usize = 256;
/// Silence after the clip so the segmenter ends the utterance.
const TAIL_SECONDS: usize = 2;
/// Longest wait for a model load or for the recognizer to start (valgrind is ~50x slower).
const TIMEOUT: Duration = Duration::from_secs(900);
/// The spoken command fed every cycle (a test clip in the repository).
const DEFAULT_CLIP: &str = "tests/data/clips/play_a__play_deck_a__flite-rms__clean.wav";

/// Command-line options.
struct Options {
    /// Start/stop cycles.
    cycles: usize,
    /// Recognizer to run.
    recognizer: RecognizerKind,
    /// Spoken command to feed.
    wav: PathBuf,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        cycles: 3,
        recognizer: RecognizerKind::Asr,
        wav: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CLIP),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--cycles" => options.cycles = value.parse().map_err(|e| format!("--cycles: {e}"))?,
            "--recognizer" => {
                options.recognizer = RecognizerKind::from_name(&value).ok_or_else(|| format!("unknown recognizer {value}"))?
            }
            "--wav" => options.wav = PathBuf::from(value),
            _ => return Err(format!("unknown option {flag} (use --cycles, --recognizer, --wav)")),
        }
    }
    Ok(options)
}

/// Polls `state` until `done` holds for the latest engine state, or fails after [`TIMEOUT`].
fn wait_for(
    what: &str,
    state: &mut triple_buffer::Output<EngineState>,
    mut done: impl FnMut(&EngineState) -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + TIMEOUT;
    while !done(state.read()) {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// One activation: start, load, speak, stop while recognizing. Returns whether the stop really
/// came while a recognition was in flight (no utterance finished yet).
fn cycle(options: &Options, audio: &[f32], rate: u32) -> Result<bool, String> {
    let settings = Arc::new(EngineSettings::default());
    settings.set_recognizer(options.recognizer);
    let config = EngineConfig::new(rate as f32, Arc::new(CommandSet::default_dj()), settings);
    let (state_in, mut state) = triple_buffer::triple_buffer(&EngineState::default());
    let (mut side, handle) = engine::start(config, state_in).map_err(|e| format!("cannot start the engine: {e}"))?;
    wait_for("the models to load", &mut state, |s| !s.models.is_empty() || !s.errors.is_empty())?;
    if let Some(error) = state.read().errors.first() {
        return Err(format!("engine: {error}"));
    }
    for block in audio.chunks(BLOCK) {
        side.process_block(&[block], 1.0, true, |_| {}, |_| {});
    }
    wait_for("a recognition to start", &mut state, |s| s.listen == ListenState::Recognizing)?;
    let in_flight = handle.progress.utterances.load(Ordering::Relaxed) == 0;
    // Unload: the owner's handle sends Shutdown and joins the engine thread (which finishes the
    // recognition in progress first); then the audio side goes.
    drop(handle);
    drop(side);
    Ok(in_flight)
}

fn run() -> Result<(), String> {
    let options = parse_args()?;
    let audio = read_wav(&options.wav).map_err(|e| e.to_string())?;
    let rate = audio.sample_rate;
    let mut mono = audio.to_mono();
    mono.extend(std::iter::repeat(0.0).take(TAIL_SECONDS * rate as usize));
    for i in 0..options.cycles {
        let started = Instant::now();
        let in_flight = cycle(&options, &mono, rate)?;
        eprintln!(
            "leak_check: cycle {}/{}: {} engine stopped {} a recognition, {:.1} s",
            i + 1,
            options.cycles,
            options.recognizer.name(),
            if in_flight { "during" } else { "after" },
            started.elapsed().as_secs_f32()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leak_check: {e}");
            ExitCode::from(2)
        }
    }
}
