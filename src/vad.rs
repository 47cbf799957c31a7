//! Voice activity detection on 16 kHz audio, 32 ms frames.
//!
//! Owned by the engine thread (per-stream state). Guarantees: the silero model is shared
//! read-only between instances through [`crate::models::shared`]; each detector keeps its own
//! recurrent state and scratch buffers, allocated once.

use std::sync::{Arc, Mutex};

use ort::session::Session;
use ort::value::TensorRef;

use crate::models;
use crate::onnx::{self, ModelError};

/// Samples per VAD frame at 16 kHz (silero's fixed window).
pub const FRAME: usize = 512;
/// Silero looks at the last 64 samples of the previous frame as context.
const CONTEXT: usize = 64;
/// Silero's recurrent state: [2, 1, 128].
const STATE_LEN: usize = 2 * 128;
/// Where the set-up script puts silero VAD (MIT, PyPI `silero-vad` 6.2.3).
pub const SILERO_FILE: &str = "upstream/silero_vad.onnx";

/// Something that says how likely a 32 ms frame is to be speech.
pub trait SpeechDetector: Send {
    /// Probability in 0..=1 that `frame` (exactly [`FRAME`] samples) is speech.
    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, ModelError>;
    /// Forgets the recurrent state (new stream).
    fn reset(&mut self);
    /// Short name for status displays.
    fn name(&self) -> &'static str;
}

/// The shared, immutable part: the ONNX session (ort needs `&mut` to run, hence the mutex; only
/// engine threads ever take it).
pub struct SileroModel {
    session: Mutex<Session>,
}

impl SileroModel {
    /// Loads (or reuses) the process-wide silero model.
    pub fn shared() -> Result<Arc<SileroModel>, ModelError> {
        let path = models::locate(SILERO_FILE);
        models::shared(&path.display().to_string(), || {
            let session = onnx::open_session(&path)?;
            Ok(SileroModel { session: Mutex::new(session) })
        })
    }
}

/// Silero VAD with its per-stream state.
pub struct SileroVad {
    model: Arc<SileroModel>,
    state: Vec<f32>,
    input: Vec<f32>,
}

impl SileroVad {
    /// A detector with fresh state; runs one warm-up frame so the first real frame is fast.
    pub fn new(model: Arc<SileroModel>) -> Result<Self, ModelError> {
        let mut vad = SileroVad { model, state: vec![0.0; STATE_LEN], input: vec![0.0; CONTEXT + FRAME] };
        vad.speech_probability(&[0.0; FRAME])?;
        vad.reset();
        Ok(vad)
    }
}

impl SpeechDetector for SileroVad {
    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, ModelError> {
        debug_assert_eq!(frame.len(), FRAME);
        self.input.copy_within(FRAME.., 0);
        self.input[CONTEXT..].copy_from_slice(frame);
        let err = |e: ort::Error| onnx::inference_error("silero VAD", e);
        let mut session = self.model.session.lock().unwrap_or_else(|p| p.into_inner());
        let input = TensorRef::from_array_view(([1usize, CONTEXT + FRAME], &self.input[..])).map_err(err)?;
        let state = TensorRef::from_array_view(([2usize, 1, 128], &self.state[..])).map_err(err)?;
        let sr = TensorRef::from_array_view(((), &[16_000i64][..])).map_err(err)?;
        let outputs = session
            .run(ort::inputs!["input" => input, "state" => state, "sr" => sr])
            .map_err(err)?;
        let (_, prob) = outputs["output"].try_extract_tensor::<f32>().map_err(err)?;
        let (_, new_state) = outputs["stateN"].try_extract_tensor::<f32>().map_err(err)?;
        self.state.copy_from_slice(&new_state[..STATE_LEN]);
        Ok(prob.first().copied().unwrap_or(0.0))
    }

    fn reset(&mut self) {
        self.state.fill(0.0);
        self.input.fill(0.0);
    }

    fn name(&self) -> &'static str {
        "silero VAD"
    }
}

/// Fallback when silero is missing: frame energy against a slowly tracked noise floor. Weak under
/// music (it hears beats), so the engine reports it as a degraded mode.
pub struct EnergyVad {
    noise_db: f32,
}

impl Default for EnergyVad {
    fn default() -> Self {
        EnergyVad { noise_db: -60.0 }
    }
}

impl SpeechDetector for EnergyVad {
    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, ModelError> {
        let db = rms_db(frame);
        // Track the floor down fast and up slowly.
        let rate = if db < self.noise_db { 0.3 } else { 0.005 };
        self.noise_db += rate * (db - self.noise_db);
        let above = db - self.noise_db.max(-70.0);
        Ok(((above - 6.0) / 12.0).clamp(0.0, 1.0))
    }

    fn reset(&mut self) {
        self.noise_db = -60.0;
    }

    fn name(&self) -> &'static str {
        "energy VAD (fallback)"
    }
}

/// RMS level in dBFS (floor -120).
pub fn rms_db(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return -120.0;
    }
    let mean_sq = samples.iter().map(|x| x * x).sum::<f32>() / samples.len() as f32;
    (10.0 * mean_sq.max(1e-12).log10()).max(-120.0)
}
