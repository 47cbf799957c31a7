//! Recognizers: a finished 16 kHz utterance in, ranked commands out.
//!
//! Owned by the engine thread (or the CLI). A recognizer holds `Arc`s to immutable models shared
//! by every instance plus its own per-stream scratch; `prepare` rebuilds what depends on the
//! command set (pronunciations, index) off the audio thread.

pub mod asr;
pub mod ctc;
pub mod embedding;
pub mod index;
pub mod lexicon;
pub mod phonetic;
pub mod s2o;

use std::sync::Arc;

use crate::commands::CommandSet;
use crate::onnx::ModelError;

/// Which recognizer to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RecognizerKind {
    /// Acoustic CTC model + command scoring + text retrieval.
    #[default]
    Asr,
    /// Speech straight into the command-embedding space.
    S2o,
}

impl RecognizerKind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            RecognizerKind::Asr => "asr",
            RecognizerKind::S2o => "s2o",
        }
    }

    /// Parses a command-line name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "asr" => Some(RecognizerKind::Asr),
            "s2o" => Some(RecognizerKind::S2o),
            _ => None,
        }
    }
}

/// One ranked command.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Index into the command set.
    pub command: usize,
    /// Calibrated confidence in 0..=1 (comparable with the threshold).
    pub confidence: f32,
    /// Raw score the recognizer ranked by (recognizer-specific scale).
    pub score: f32,
}

/// Time spent in each stage of one recognition, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StageTimes {
    pub acoustic_ms: f32,
    pub scoring_ms: f32,
    pub embedding_ms: f32,
    pub search_ms: f32,
}

impl StageTimes {
    /// All stages together.
    pub fn total_ms(&self) -> f32 {
        self.acoustic_ms + self.scoring_ms + self.embedding_ms + self.search_ms
    }
}

/// The outcome for one utterance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recognition {
    /// Best first; may be empty (no speech, empty command set).
    pub ranked: Vec<Candidate>,
    /// What the acoustic model heard, when the recognizer produces text.
    pub transcript: Option<String>,
    /// Where the time went.
    pub stages: StageTimes,
}

impl Recognition {
    /// The command to fire at `threshold`, if the best one clears it.
    pub fn decide(&self, threshold: f32) -> Option<&Candidate> {
        self.ranked.first().filter(|c| c.confidence >= threshold)
    }

    /// The best candidate, fired or not.
    pub fn best(&self) -> Option<&Candidate> {
        self.ranked.first()
    }

    /// The second-best candidate.
    pub fn runner_up(&self) -> Option<&Candidate> {
        self.ranked.get(1)
    }
}

/// Why a recognition failed.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum RecognizerError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("bad input audio: {0}")]
    Input(String),
    #[error("recognizer {recognizer} is not available: {reason}")]
    Unavailable { recognizer: &'static str, reason: String },
}

/// A speech-to-command recognizer.
pub trait Recognizer: Send {
    /// Short name for reports ("asr").
    fn name(&self) -> &'static str;
    /// Models in use, in plain words, for the editor's status.
    fn describe_models(&self) -> Vec<String>;
    /// Rebuilds everything that depends on the command set.
    fn prepare(&mut self, commands: &Arc<CommandSet>) -> Result<(), RecognizerError>;
    /// Recognizes one utterance of 16 kHz mono samples.
    fn recognize(&mut self, utterance: &[f32]) -> Result<Recognition, RecognizerError>;
    /// Uses the user's recordings as extra examples (from the next `prepare`); recognizers that
    /// cannot learn from examples ignore them.
    fn set_enrollments(&mut self, _enrollments: &s2o::Enrollments) {}
    /// The embedding of a recording to enroll, for recognizers that learn from examples.
    fn enrollment_embedding(&self, _utterance: &[f32]) -> Result<Option<Vec<f32>>, RecognizerError> {
        Ok(None)
    }
}

/// A phrase's words, lower case, single-spaced.
pub(crate) fn normalize_words(phrase: &str) -> String {
    phrase.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// The leading and trailing word runs of a phrase, shorter than the phrase ("play", "play deck",
/// "deck a", "a" for "play deck a").
pub(crate) fn word_runs(phrase: &str) -> Vec<String> {
    let normalized = normalize_words(phrase);
    let words: Vec<&str> = normalized.split(' ').collect();
    let mut runs = Vec::new();
    for k in 1..words.len() {
        runs.push(words[..k].join(" "));
        runs.push(words[k..].join(" "));
    }
    runs
}

/// Default confidence threshold (the plugin's threshold parameter starts here).
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// Loads a recognizer of `kind` with the default models (slow: run off the audio thread).
pub fn load(kind: RecognizerKind) -> Result<Box<dyn Recognizer>, RecognizerError> {
    match kind {
        RecognizerKind::Asr => Ok(Box::new(asr::AsrRecognizer::load()?)),
        RecognizerKind::S2o => Ok(Box::new(s2o::S2oRecognizer::load()?)),
    }
}
