//! The engine thread: drains the audio ring, resamples to 16 kHz, finds utterances, runs the
//! recognizer and sends fired commands back to the audio thread.
//!
//! Owns all per-stream mutable state; shares models by `Arc`. Guarantees: started and joined
//! outside `process()`; never blocks the audio thread (it only pops from one ring and pushes to
//! another); a failing or panicking recognizer is reported and restarted, and the audio keeps
//! passing through whatever happens here.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rtrb::{Consumer, Producer, RingBuffer};

use crate::audio_capture::{self, CaptureStats, SLOTS_PER_FRAME};
use crate::bleed_canceller::BleedCanceller;
use crate::audio_side::AudioSide;
use crate::commands::CommandSet;
use crate::messages::{Control, EngineState, Fire, ListenState, ResultSummary, FIRE_QUEUE_CAPACITY};
use crate::recognizer::s2o::Enrollments;
use crate::recognizer::{self, Recognition, Recognizer, RecognizerError, RecognizerKind, DEFAULT_THRESHOLD};
use crate::resample::ToSixteenK;
use crate::segmenter::{SegmentEvent, Segmenter, SegmenterConfig, RATE};
use crate::vad::{self, EnergyVad, SileroModel, SileroVad, SpeechDetector};

/// Results kept in the editor's history.
pub const HISTORY_LEN: usize = 10;
/// Host-rate samples taken from the ring per engine step.
const DRAIN_CHUNK: usize = 4096;
/// How long the status light shows a result before going back to listening.
const RESULT_SHOWN_FOR: Duration = Duration::from_millis(1500);
/// How often the editor state is republished while nothing happens.
const PUBLISH_EVERY: Duration = Duration::from_millis(50);

/// Settings the engine reads on every step. Written by the plugin (from its parameters, with
/// relaxed atomic stores that are safe on the audio thread) or by the CLI.
#[derive(Debug)]
pub struct EngineSettings {
    /// Listening at all.
    pub enabled: AtomicBool,
    /// Push-to-talk mode instead of voice activity.
    pub push_to_talk_mode: AtomicBool,
    /// The push-to-talk button is held.
    pub push_to_talk_down: AtomicBool,
    /// Confidence needed to fire (f32 bits).
    threshold: AtomicU32,
    /// End-of-speech hangover in ms (f32 bits).
    hangover_ms: AtomicU32,
    /// Utterance cap in ms (f32 bits).
    max_utterance_ms: AtomicU32,
    /// Selected recognizer (0 = asr, 1 = s2o).
    recognizer: AtomicU8,
}

impl Default for EngineSettings {
    fn default() -> Self {
        let seg = SegmenterConfig::default();
        EngineSettings {
            enabled: AtomicBool::new(true),
            push_to_talk_mode: AtomicBool::new(false),
            push_to_talk_down: AtomicBool::new(false),
            threshold: AtomicU32::new(DEFAULT_THRESHOLD.to_bits()),
            hangover_ms: AtomicU32::new(seg.hangover_ms.to_bits()),
            max_utterance_ms: AtomicU32::new(seg.max_utterance_ms.to_bits()),
            recognizer: AtomicU8::new(0),
        }
    }
}

impl EngineSettings {
    pub fn threshold(&self) -> f32 {
        f32::from_bits(self.threshold.load(Ordering::Relaxed))
    }
    pub fn set_threshold(&self, v: f32) {
        self.threshold.store(v.to_bits(), Ordering::Relaxed);
    }
    pub fn hangover_ms(&self) -> f32 {
        f32::from_bits(self.hangover_ms.load(Ordering::Relaxed))
    }
    pub fn set_hangover_ms(&self, v: f32) {
        self.hangover_ms.store(v.to_bits(), Ordering::Relaxed);
    }
    pub fn max_utterance_ms(&self) -> f32 {
        f32::from_bits(self.max_utterance_ms.load(Ordering::Relaxed))
    }
    pub fn set_max_utterance_ms(&self, v: f32) {
        self.max_utterance_ms.store(v.to_bits(), Ordering::Relaxed);
    }
    pub fn recognizer(&self) -> RecognizerKind {
        match self.recognizer.load(Ordering::Relaxed) {
            1 => RecognizerKind::S2o,
            _ => RecognizerKind::Asr,
        }
    }
    pub fn set_recognizer(&self, kind: RecognizerKind) {
        self.recognizer.store(kind as u8, Ordering::Relaxed);
    }
}

/// Builds recognizers; tests substitute their own.
pub type RecognizerFactory = Arc<dyn Fn(RecognizerKind) -> Result<Box<dyn Recognizer>, RecognizerError> + Send + Sync>;
/// Builds the speech detector; tests substitute their own.
pub type DetectorFactory = Arc<dyn Fn() -> (Box<dyn SpeechDetector>, Option<String>) + Send + Sync>;

/// Everything needed to start an engine.
#[derive(Clone)]
pub struct EngineConfig {
    /// Host sample rate.
    pub sample_rate: f32,
    /// Commands to recognize at start.
    pub commands: Arc<CommandSet>,
    /// Live settings.
    pub settings: Arc<EngineSettings>,
    /// How to build recognizers.
    pub recognizers: RecognizerFactory,
    /// How to build the speech detector.
    pub detector: DetectorFactory,
    /// Sleep when the ring is empty (5 ms in a plugin; the CLI uses less).
    pub idle_sleep: Duration,
    /// Where enrollments live as JSON (the plugin's persisted field); read at start, written
    /// when the user teaches a command.
    pub enrollments: Option<Arc<parking_lot::RwLock<String>>>,
}

impl EngineConfig {
    /// The product configuration: real recognizers and silero VAD (energy VAD if silero is missing).
    pub fn new(sample_rate: f32, commands: Arc<CommandSet>, settings: Arc<EngineSettings>) -> Self {
        EngineConfig {
            sample_rate,
            commands,
            settings,
            recognizers: Arc::new(recognizer::load),
            detector: Arc::new(default_detector),
            idle_sleep: Duration::from_millis(5),
            enrollments: None,
        }
    }
}

/// Silero VAD, or the energy fallback with the reason silero could not be used.
pub fn default_detector() -> (Box<dyn SpeechDetector>, Option<String>) {
    match SileroModel::shared().and_then(SileroVad::new) {
        Ok(vad) => (Box::new(vad), None),
        Err(e) => (Box::new(EnergyVad::default()), Some(format!("{e}; using the energy VAD, which may hear music as speech"))),
    }
}

/// Counters the engine publishes for the CLI and tests.
#[derive(Debug, Default)]
pub struct EngineProgress {
    /// Host-rate frames fully processed (segmented, and recognized if an utterance ended).
    pub frames_done: AtomicU64,
    /// Utterances recognized.
    pub utterances: AtomicU64,
}

/// The non-real-time owner's handle: send controls, stop and join.
pub struct EngineHandle {
    to_engine: Sender<Control>,
    thread: Option<JoinHandle<triple_buffer::Input<EngineState>>>,
    /// Progress counters.
    pub progress: Arc<EngineProgress>,
    /// Capture counters (dropped samples, frames seen).
    pub capture_stats: Arc<CaptureStats>,
}

impl EngineHandle {
    /// Sends a control message (ignored if the engine is gone).
    pub fn send(&self, control: Control) {
        let _ = self.to_engine.send(control);
    }

    /// A sender for other non-real-time threads (the editor).
    pub fn sender(&self) -> Sender<Control> {
        self.to_engine.clone()
    }

    /// Stops the thread and returns the editor-state input so a restarted engine can reuse it.
    pub fn stop(mut self) -> Option<triple_buffer::Input<EngineState>> {
        self.join()
    }

    fn join(&mut self) -> Option<triple_buffer::Input<EngineState>> {
        let _ = self.to_engine.send(Control::Shutdown);
        self.thread.take().and_then(|t| t.join().ok())
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.join();
    }
}

/// Starts the engine thread and returns the audio thread's side and the owner's handle.
pub fn start(
    config: EngineConfig,
    state_out: triple_buffer::Input<EngineState>,
) -> std::io::Result<(AudioSide, EngineHandle)> {
    let (capture, from_audio, capture_stats) = audio_capture::audio_to_engine();
    let (to_audio, from_engine) = RingBuffer::<Fire>::new(FIRE_QUEUE_CAPACITY);
    let (to_engine, from_owner) = mpsc::channel();
    let progress = Arc::new(EngineProgress::default());
    let audio_side = AudioSide::new(capture, from_engine, config.sample_rate);
    let worker_progress = Arc::clone(&progress);
    let worker_stats = Arc::clone(&capture_stats);
    let thread = std::thread::Builder::new().name("voxcue-engine".into()).spawn(move || {
        let mut worker = Worker::new(config, from_audio, to_audio, from_owner, state_out, worker_progress, worker_stats);
        worker.run();
        worker.state_out
    })?;
    let handle = EngineHandle { to_engine, thread: Some(thread), progress, capture_stats };
    Ok((audio_side, handle))
}

/// A recognizer slot: loaded lazily, restarted after a fault.
struct Slot {
    kind: RecognizerKind,
    recognizer: Option<Box<dyn Recognizer>>,
    /// Load error, so a missing model is not retried on every utterance.
    failed: Option<String>,
}

struct Worker {
    config: EngineConfig,
    from_audio: Consumer<f32>,
    to_audio: Producer<Fire>,
    from_owner: Receiver<Control>,
    state_out: triple_buffer::Input<EngineState>,
    progress: Arc<EngineProgress>,
    capture_stats: Arc<CaptureStats>,
    status: EngineState,
    commands: Arc<CommandSet>,
    /// Microphone and music reference to 16 kHz (fed the same frames, so they stay aligned).
    resampler: Option<ToSixteenK>,
    reference_resampler: Option<ToSixteenK>,
    /// Removes the music the microphone hears, when a reference is connected.
    canceller: BleedCanceller,
    segmenter: Segmenter,
    slot: Slot,
    /// Interleaved (microphone, reference) pairs drained from the ring.
    host_pairs: Vec<f32>,
    host_chunk: Vec<f32>,
    host_reference: Vec<f32>,
    chunk_16k: Vec<f32>,
    reference_16k: Vec<f32>,
    clean_16k: Vec<f32>,
    finished: Vec<Vec<f32>>,
    frames_in: u64,
    last_publish: Instant,
    vad_warning: Option<String>,
    /// The user's examples per command (S2O).
    enrollments: Enrollments,
    /// Command whose example the next utterance is.
    teach_next: Option<usize>,
    /// When the last result (fired / rejected) was shown.
    result_at: Instant,
}

impl Worker {
    fn new(
        config: EngineConfig,
        from_audio: Consumer<f32>,
        to_audio: Producer<Fire>,
        from_owner: Receiver<Control>,
        state_out: triple_buffer::Input<EngineState>,
        progress: Arc<EngineProgress>,
        capture_stats: Arc<CaptureStats>,
    ) -> Self {
        flush_denormals_on_this_thread();
        let mut status = EngineState { listen: ListenState::Listening, ..EngineState::default() };
        let resampler = match ToSixteenK::new(config.sample_rate as u32) {
            Ok(r) => Some(r),
            Err(e) => {
                status.errors.push(e.to_string());
                None
            }
        };
        let reference_resampler = ToSixteenK::new(config.sample_rate as u32).ok();
        let (detector, vad_warning) = (config.detector)();
        status.errors.extend(vad_warning.clone());
        let segmenter = Segmenter::new(segmenter_config(&config.settings), detector);
        let enrollments = config
            .enrollments
            .as_ref()
            .map(|store| store.read().clone())
            .filter(|json| !json.trim().is_empty())
            .map(|json| serde_json::from_str::<Enrollments>(&json))
            .transpose()
            .unwrap_or_else(|e| {
                status.errors.push(format!("saved recordings could not be read ({e}); starting without them"));
                None
            })
            .unwrap_or_default();
        let commands = Arc::clone(&config.commands);
        status.commands = Some(Arc::clone(&commands));
        let kind = config.settings.recognizer();
        Worker {
            config,
            from_audio,
            to_audio,
            from_owner,
            state_out,
            progress,
            capture_stats,
            status,
            commands,
            resampler,
            reference_resampler,
            canceller: BleedCanceller::new(),
            segmenter,
            slot: Slot { kind, recognizer: None, failed: None },
            host_pairs: Vec::with_capacity(DRAIN_CHUNK * SLOTS_PER_FRAME),
            host_chunk: Vec::with_capacity(DRAIN_CHUNK),
            host_reference: Vec::with_capacity(DRAIN_CHUNK),
            chunk_16k: Vec::with_capacity(DRAIN_CHUNK),
            reference_16k: Vec::with_capacity(DRAIN_CHUNK),
            clean_16k: Vec::with_capacity(DRAIN_CHUNK + crate::bleed_canceller::BLOCK),
            finished: Vec::new(),
            frames_in: 0,
            last_publish: Instant::now(),
            vad_warning,
            enrollments,
            teach_next: None,
            result_at: Instant::now(),
        }
    }

    fn run(&mut self) {
        self.ensure_recognizer();
        self.publish();
        loop {
            if !self.handle_controls() {
                break;
            }
            let got = self.drain_ring();
            if got == 0 {
                if self.from_audio.is_abandoned() {
                    break;
                }
                self.maybe_publish();
                std::thread::sleep(self.config.idle_sleep);
                continue;
            }
            self.process_chunk();
            self.progress.frames_done.store(self.frames_in, Ordering::Release);
            self.maybe_publish();
        }
        self.status.listen = ListenState::Idle;
        self.publish();
    }

    /// Returns false on shutdown.
    fn handle_controls(&mut self) -> bool {
        loop {
            match self.from_owner.try_recv() {
                Ok(Control::Shutdown) | Err(TryRecvError::Disconnected) => return false,
                Ok(Control::SetCommands(set)) => self.set_commands(set),
                Ok(Control::TestFire(index)) => self.test_fire(index),
                Ok(Control::Teach(index)) => {
                    self.teach_next = Some(index);
                    self.status.teaching = self.commands.commands().get(index).map(|c| c.id.clone());
                    self.publish();
                }
                Err(TryRecvError::Empty) => return true,
            }
        }
    }

    fn set_commands(&mut self, set: Arc<CommandSet>) {
        self.commands = set;
        self.status.commands = Some(Arc::clone(&self.commands));
        if let Some(r) = self.slot.recognizer.as_mut() {
            if let Err(e) = r.prepare(&self.commands) {
                self.status.errors.push(format!("command set: {e}"));
            }
        }
        self.publish();
    }

    fn test_fire(&mut self, index: usize) {
        if let Some(command) = self.commands.commands().get(index) {
            let fire = Fire { action: command.action, command: index as u16, confidence: 1.0, stamp: self.frames_in };
            let _ = self.to_audio.push(fire);
        }
    }

    /// Takes up to [`DRAIN_CHUNK`] frames from the ring into `host_chunk` (microphone) and
    /// `host_reference` (music). Returns the number of frames.
    fn drain_ring(&mut self) -> usize {
        let frames = (self.from_audio.slots() / SLOTS_PER_FRAME).min(DRAIN_CHUNK);
        self.host_chunk.clear();
        self.host_reference.clear();
        if frames == 0 {
            return 0;
        }
        self.host_pairs.clear();
        if let Ok(chunk) = self.from_audio.read_chunk(frames * SLOTS_PER_FRAME) {
            let (a, b) = chunk.as_slices();
            self.host_pairs.extend_from_slice(a);
            self.host_pairs.extend_from_slice(b);
            chunk.commit_all();
        }
        for pair in self.host_pairs.chunks_exact(SLOTS_PER_FRAME) {
            self.host_chunk.push(pair[0]);
            self.host_reference.push(pair[1]);
        }
        self.frames_in += frames as u64;
        frames
    }

    /// Resamples microphone and reference to 16 kHz and cancels the music bleed into `clean_16k`.
    fn condition_input(&mut self) {
        let Some(resampler) = self.resampler.as_mut() else { return };
        self.chunk_16k.clear();
        resampler.push(&self.host_chunk, &mut self.chunk_16k);
        self.reference_16k.clear();
        if let Some(reference) = self.reference_resampler.as_mut() {
            reference.push(&self.host_reference, &mut self.reference_16k);
        }
        self.reference_16k.resize(self.chunk_16k.len(), 0.0);
        self.clean_16k.clear();
        self.canceller.process(&self.chunk_16k, &self.reference_16k, &mut self.clean_16k);
        self.status.canceller = self.canceller.status();
    }

    fn process_chunk(&mut self) {
        let settings = Arc::clone(&self.config.settings);
        self.status.input_db = vad::rms_db(&self.host_chunk);
        if !settings.enabled.load(Ordering::Relaxed) {
            self.status.listen = ListenState::Idle;
            return;
        }
        if self.resampler.is_none() {
            return;
        }
        self.condition_input();
        self.segmenter.set_config(segmenter_config(&settings));
        let ptt = settings
            .push_to_talk_mode
            .load(Ordering::Relaxed)
            .then(|| settings.push_to_talk_down.load(Ordering::Relaxed));
        let finished = &mut self.finished;
        let mut started = false;
        let result = self.segmenter.push(&self.clean_16k, ptt, |event, seg| match event {
            SegmentEvent::Ended => finished.push(seg.utterance().to_vec()),
            SegmentEvent::Started => started = true,
            _ => {}
        });
        if let Err(e) = result {
            self.report_error(format!("voice activity detection: {e}"));
        }
        if started {
            self.status.listen = ListenState::Hearing;
            self.publish();
        }
        for utterance in std::mem::take(&mut self.finished) {
            match self.teach_next.take() {
                Some(command) => self.teach(command, &utterance),
                None => self.recognize(&utterance, settings.threshold()),
            }
        }
        self.status.listen = self.settled_listen_state();
    }

    /// The status light between events: hearing while inside an utterance, the last result for
    /// [`RESULT_SHOWN_FOR`], idle while no recognizer could load, else listening.
    fn settled_listen_state(&self) -> ListenState {
        if self.segmenter.in_speech() {
            return ListenState::Hearing;
        }
        match self.status.listen {
            ListenState::Fired | ListenState::Rejected if self.result_at.elapsed() < RESULT_SHOWN_FOR => self.status.listen,
            _ if self.slot.failed.is_some() => ListenState::Idle,
            _ => ListenState::Listening,
        }
    }

    fn recognize(&mut self, utterance: &[f32], threshold: f32) {
        self.status.listen = ListenState::Recognizing;
        self.publish();
        let started = Instant::now();
        let Some(outcome) = self.run_recognizer(utterance) else {
            self.status.listen = ListenState::Listening;
            return;
        };
        let latency_ms = started.elapsed().as_secs_f32() * 1000.0;
        self.progress.utterances.fetch_add(1, Ordering::Relaxed);
        let fired = outcome.decide(threshold).cloned();
        if let Some(best) = &fired {
            if let Some(command) = self.commands.commands().get(best.command) {
                let fire = Fire {
                    action: command.action,
                    command: best.command as u16,
                    confidence: best.confidence,
                    stamp: self.frames_in,
                };
                let _ = self.to_audio.push(fire);
            }
        }
        self.status.listen = if fired.is_some() { ListenState::Fired } else { ListenState::Rejected };
        self.result_at = Instant::now();
        let summary = summarize(&outcome, &self.commands, fired.is_some(), latency_ms, utterance.len());
        self.status.history.insert(0, summary);
        self.status.history.truncate(HISTORY_LEN);
        self.publish();
    }

    /// Stores `utterance` as an example of `command`, re-prepares the recognizer and saves the
    /// enrollments where the plugin persists them.
    fn teach(&mut self, command: usize, utterance: &[f32]) {
        self.status.teaching = None;
        self.ensure_recognizer();
        let (Some(recognizer), Some(id)) = (self.slot.recognizer.as_mut(), self.commands.commands().get(command)) else {
            return;
        };
        match recognizer.enrollment_embedding(utterance) {
            Ok(Some(embedding)) => {
                self.enrollments.by_command.entry(id.id.clone()).or_default().push(embedding);
                recognizer.set_enrollments(&self.enrollments);
                if let Err(e) = recognizer.prepare(&self.commands) {
                    self.report_error(format!("after teaching: {e}"));
                }
                if let (Some(store), Ok(json)) = (&self.config.enrollments, serde_json::to_string(&self.enrollments)) {
                    *store.write() = json;
                }
                self.status.listen = ListenState::Fired;
                self.result_at = Instant::now();
            }
            Ok(None) => {
                let message = format!("the {} recognizer cannot learn from recordings; switch to S2O to teach", recognizer.name());
                self.report_error(message);
            }
            Err(e) => self.report_error(format!("teaching failed: {e}")),
        }
        self.publish();
    }

    /// Runs the recognizer, containing errors and panics. `None` when nothing could run.
    fn run_recognizer(&mut self, utterance: &[f32]) -> Option<Recognition> {
        self.ensure_recognizer();
        let recognizer = self.slot.recognizer.as_mut()?;
        match catch_unwind(AssertUnwindSafe(|| recognizer.recognize(utterance))) {
            Ok(Ok(outcome)) => Some(outcome),
            Ok(Err(e)) => {
                let message = format!("{} recognizer: {e}", recognizer.name());
                self.report_error(message);
                None
            }
            Err(_) => {
                // Drop the broken instance; the next utterance loads a fresh one.
                self.slot.recognizer = None;
                self.status.faults += 1;
                self.report_error("the recognizer crashed and was restarted".into());
                None
            }
        }
    }

    fn ensure_recognizer(&mut self) {
        let wanted = self.config.settings.recognizer();
        if wanted != self.slot.kind {
            // A new recognizer: the old one's problems no longer apply.
            self.slot = Slot { kind: wanted, recognizer: None, failed: None };
            self.status.errors.clear();
            self.status.errors.extend(self.vad_warning.clone());
        }
        if self.slot.recognizer.is_some() || self.slot.failed.is_some() {
            return;
        }
        let enrollments = &self.enrollments;
        let loaded = catch_unwind(AssertUnwindSafe(|| {
            let mut r = (self.config.recognizers)(wanted)?;
            r.set_enrollments(enrollments);
            r.prepare(&self.commands)?;
            Ok::<_, RecognizerError>(r)
        }));
        self.status.recognizer = wanted.name().to_string();
        match loaded {
            Ok(Ok(r)) => {
                self.status.models = r.describe_models();
                self.status.models.push(self.segmenter.detector_name().to_string());
                self.slot.recognizer = Some(r);
            }
            Ok(Err(e)) => {
                self.slot.failed = Some(e.to_string());
                self.status.errors.push(format!("{} recognizer could not load: {e}", wanted.name()));
                self.status.listen = ListenState::Idle;
            }
            Err(_) => {
                self.slot.failed = Some("panicked while loading".into());
                self.status.errors.push(format!("{} recognizer crashed while loading", wanted.name()));
            }
        }
    }

    fn report_error(&mut self, message: String) {
        if !self.status.errors.contains(&message) {
            self.status.errors.push(message);
        }
        self.publish();
    }

    fn maybe_publish(&mut self) {
        if self.slot.kind != self.config.settings.recognizer() {
            self.ensure_recognizer();
        }
        if self.last_publish.elapsed() >= PUBLISH_EVERY {
            self.publish();
        }
    }

    fn publish(&mut self) {
        self.status.dropped_samples = self.capture_stats.dropped.load(Ordering::Relaxed);
        self.state_out.write(self.status.clone());
        self.last_publish = Instant::now();
    }
}

/// Recognizes a whole clip: sanitize, resample to 16 kHz, recognize. The CLI's `recognize` and
/// `eval` use this; the engine thread runs the same recognizer on segmented utterances.
pub fn recognize_clip(recognizer: &mut dyn Recognizer, mono: &[f32], rate: u32) -> Result<Recognition, RecognizerError> {
    let clean: Vec<f32> = mono.iter().map(|&x| audio_capture::sanitize(x)).collect();
    let audio = ToSixteenK::convert_all(rate, &clean).map_err(|e| RecognizerError::Input(e.to_string()))?;
    recognizer.recognize(&audio)
}

fn segmenter_config(settings: &EngineSettings) -> SegmenterConfig {
    SegmenterConfig {
        hangover_ms: settings.hangover_ms().clamp(64.0, 2000.0),
        max_utterance_ms: settings.max_utterance_ms().clamp(500.0, 10_000.0),
        ..SegmenterConfig::default()
    }
}

fn summarize(outcome: &Recognition, commands: &CommandSet, fired: bool, latency_ms: f32, samples: usize) -> ResultSummary {
    let id = |i: usize| commands.commands().get(i).map(|c| c.id.clone());
    ResultSummary {
        transcript: outcome.transcript.clone(),
        best: outcome.best().and_then(|c| id(c.command)),
        confidence: outcome.best().map_or(0.0, |c| c.confidence),
        runner_up: outcome.runner_up().and_then(|c| id(c.command).map(|i| (i, c.confidence))),
        fired,
        latency_ms,
        duration_s: samples as f32 / RATE as f32,
    }
}

/// Sets flush-to-zero and denormals-are-zero for the current thread (engine threads are not
/// audio threads, so no framework does it for them).
#[allow(deprecated)]
fn flush_denormals_on_this_thread() {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        #[cfg(target_arch = "x86")]
        use std::arch::x86::{_mm_getcsr, _mm_setcsr};
        #[cfg(target_arch = "x86_64")]
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        // SAFETY: setting the FTZ (bit 15) and DAZ (bit 6) flags in MXCSR only changes how this
        // thread's SSE unit treats denormals; every x86_64 CPU supports both bits.
        #[allow(deprecated)]
        unsafe {
            _mm_setcsr(_mm_getcsr() | 0x8040);
        }
    }
}
