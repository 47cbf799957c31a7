//! Faults on the engine thread never reach the audio: a recognizer that panics is restarted, a
//! recognizer that cannot load is reported in plain words, and in both cases the audio side keeps
//! running. Test recognizers here are written for the tests, never shipped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use voxcue::commands::CommandSet;
use voxcue::engine::{self, EngineConfig, EngineHandle, EngineSettings};
use voxcue::messages::EngineState;
use voxcue::onnx::ModelError;
use voxcue::recognizer::{Candidate, Recognition, Recognizer, RecognizerError, RecognizerKind};
use voxcue::vad::SpeechDetector;

const RATE: u32 = 16_000;

/// Panics on its first utterance, then fires command 0.
struct PanicsOnce {
    calls: Arc<AtomicUsize>,
}

impl Recognizer for PanicsOnce {
    fn name(&self) -> &'static str {
        "panics-once"
    }
    fn describe_models(&self) -> Vec<String> {
        vec![]
    }
    fn prepare(&mut self, _: &Arc<CommandSet>) -> Result<(), RecognizerError> {
        Ok(())
    }
    fn recognize(&mut self, _: &[f32]) -> Result<Recognition, RecognizerError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("test recognizer blew up");
        }
        Ok(Recognition { ranked: vec![Candidate { command: 0, confidence: 0.9, score: 1.0 }], ..Recognition::default() })
    }
}

struct Loud;
impl SpeechDetector for Loud {
    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, ModelError> {
        let rms = (frame.iter().map(|x| x * x).sum::<f32>() / frame.len() as f32).sqrt();
        Ok(if rms > 0.05 { 1.0 } else { 0.0 })
    }
    fn reset(&mut self) {}
    fn name(&self) -> &'static str {
        "loud"
    }
}

fn config(recognizers: engine::RecognizerFactory) -> EngineConfig {
    let mut c = EngineConfig::new(RATE as f32, Arc::new(CommandSet::default_dj()), Arc::new(EngineSettings::default()));
    c.recognizers = recognizers;
    c.detector = Arc::new(|| (Box::new(Loud) as Box<dyn SpeechDetector>, None));
    c.idle_sleep = Duration::from_millis(1);
    c
}

/// Feeds `bursts` x (0.6 s tone + 0.8 s silence); returns the number of fired commands.
fn feed(side: &mut voxcue::audio_side::AudioSide, handle: &EngineHandle, bursts: usize) -> usize {
    let mut fired = 0;
    let mut frames = 0u64;
    for _ in 0..bursts {
        let tone: Vec<f32> = (0..(RATE as usize * 6 / 10)).map(|i| 0.3 * (i as f32 * 0.12).sin()).collect();
        let silence = vec![0.0f32; RATE as usize * 8 / 10];
        for block in tone.chunks(256).chain(silence.chunks(256)) {
            side.process_block(&[block], 1.0, true, |_| fired += 1, |_| {});
            frames += block.len() as u64;
            let deadline = Instant::now() + Duration::from_secs(10);
            while handle.progress.frames_done.load(Ordering::Acquire) < frames && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }
    // Let the last results through.
    for _ in 0..20 {
        side.process_block(&[&[0.0f32; 256][..]], 1.0, true, |_| fired += 1, |_| {});
        std::thread::sleep(Duration::from_millis(2));
    }
    fired
}

#[test]
fn a_panicking_recognizer_is_restarted_and_reported() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let factory: engine::RecognizerFactory =
        Arc::new(move |_kind: RecognizerKind| Ok(Box::new(PanicsOnce { calls: Arc::clone(&counter) }) as Box<dyn Recognizer>));
    let (state_in, mut state_out) = triple_buffer::triple_buffer(&EngineState::default());
    let (mut side, handle) = engine::start(config(factory), state_in).unwrap();
    let fired = feed(&mut side, &handle, 3);
    std::thread::sleep(Duration::from_millis(100));
    let state: EngineState = state_out.read().clone();
    drop(handle);
    assert_eq!(calls.load(Ordering::SeqCst), 3, "three utterances reached the recognizer");
    assert_eq!(fired, 2, "the two utterances after the crash fired");
    assert_eq!(state.faults, 1);
    assert!(state.errors.iter().any(|e| e.contains("crashed")), "{:?}", state.errors);
}

#[test]
fn a_recognizer_that_cannot_load_is_reported_and_audio_keeps_flowing() {
    let factory: engine::RecognizerFactory = Arc::new(|kind: RecognizerKind| {
        Err(RecognizerError::Model(ModelError::ModelMissing { path: format!("/nowhere/{}.onnx", kind.name()).into() }))
    });
    let (state_in, mut state_out) = triple_buffer::triple_buffer(&EngineState::default());
    let (mut side, handle) = engine::start(config(factory), state_in).unwrap();
    let fired = feed(&mut side, &handle, 1);
    std::thread::sleep(Duration::from_millis(100));
    let state = state_out.read().clone();
    drop(handle);
    assert_eq!(fired, 0);
    assert!(
        state.errors.iter().any(|e| e.contains("could not load") && e.contains("/nowhere/asr.onnx")),
        "the reason names the missing file: {:?}",
        state.errors
    );
}

/// Learns from examples: its embedding is a constant; counts recognitions.
struct Learner {
    recognitions: Arc<AtomicUsize>,
}

impl Recognizer for Learner {
    fn name(&self) -> &'static str {
        "learner"
    }
    fn describe_models(&self) -> Vec<String> {
        vec![]
    }
    fn prepare(&mut self, _: &Arc<CommandSet>) -> Result<(), RecognizerError> {
        Ok(())
    }
    fn recognize(&mut self, _: &[f32]) -> Result<Recognition, RecognizerError> {
        self.recognitions.fetch_add(1, Ordering::SeqCst);
        Ok(Recognition::default())
    }
    fn enrollment_embedding(&self, _: &[f32]) -> Result<Option<Vec<f32>>, RecognizerError> {
        Ok(Some(vec![0.5, 0.5]))
    }
}

#[test]
fn teaching_records_the_next_utterance_and_saves_it_for_the_project() {
    let recognitions = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&recognitions);
    let factory: engine::RecognizerFactory =
        Arc::new(move |_| Ok(Box::new(Learner { recognitions: Arc::clone(&counter) }) as Box<dyn Recognizer>));
    let store = Arc::new(parking_lot::RwLock::new(String::new()));
    let mut cfg = config(factory);
    cfg.enrollments = Some(Arc::clone(&store));
    let (state_in, _state_out) = triple_buffer::triple_buffer(&EngineState::default());
    let (mut side, handle) = engine::start(cfg, state_in).unwrap();
    handle.send(voxcue::messages::Control::Teach(2));
    std::thread::sleep(Duration::from_millis(50));
    feed(&mut side, &handle, 2);
    drop(handle);
    let saved: voxcue::recognizer::s2o::Enrollments = serde_json::from_str(&store.read()).expect("enrollments saved as JSON");
    let id = CommandSet::default_dj().commands()[2].id.clone();
    assert_eq!(saved.by_command.get(&id).map(Vec::len), Some(1), "{saved:?}");
    assert_eq!(recognitions.load(Ordering::SeqCst), 1, "the taught utterance is not recognized; the next one is");
}

/// A click too short to be speech is dropped, and the status light goes back to listening
/// instead of staying on "hearing".
#[test]
fn status_returns_to_listening_after_a_discarded_click() {
    let factory: engine::RecognizerFactory =
        Arc::new(|_| Ok(Box::new(Learner { recognitions: Arc::new(AtomicUsize::new(0)) }) as Box<dyn Recognizer>));
    let (state_in, mut state_out) = triple_buffer::triple_buffer(&EngineState::default());
    let (mut side, handle) = engine::start(config(factory), state_in).unwrap();
    let click: Vec<f32> = (0..1024).map(|i| 0.3 * (i as f32 * 0.12).sin()).collect();
    let silence = vec![0.0f32; RATE as usize];
    let mut frames = 0u64;
    for block in click.chunks(256).chain(silence.chunks(256)) {
        side.process_block(&[block], 1.0, true, |_| {}, |_| {});
        frames += block.len() as u64;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while handle.progress.frames_done.load(Ordering::Acquire) < frames && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(120));
    let state = state_out.read().clone();
    drop(handle);
    assert_eq!(state.listen, voxcue::messages::ListenState::Listening);
    assert!(state.history.is_empty(), "nothing was recognized");
}
