//! The S2O recognizer: an audio encoder whose output lands in the command phrases' text-embedding
//! space (MiniLM, 384-d), so one nearest-neighbour search maps speech to a command with no
//! transcript. Zero-shot: a command typed into the file is found through its text embedding.
//! Few-shot: a user's recordings of a command ("enrollments") are added as extra index entries.
//!
//! Owned by the engine thread; the encoder and text embedder are shared by `Arc`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ort::session::Session;
use ort::value::TensorRef;
use serde::{Deserialize, Serialize};

use crate::commands::CommandSet;
use crate::models;
use crate::onnx::{self, ModelError};
use crate::recognizer::embedding::TextEmbedder;
use crate::recognizer::index::{Embedding, PhraseIndex};
use crate::recognizer::{normalize_words, word_runs, Candidate, Recognition, Recognizer, RecognizerError};

/// Where the trained encoder lives.
pub const S2O_FILE: &str = "s2o/s2o.onnx";

/// Similarity -> confidence calibration (`calibration.json` beside the model overrides).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(default)]
pub struct S2oCalibration {
    /// Cosine similarity of the best entry at confidence 0.5.
    pub similarity_center: f32,
    pub similarity_width: f32,
    /// Similarity margin to the best entry of another command at confidence 0.5.
    pub margin_center: f32,
    pub margin_width: f32,
    /// Subtracted from the similarity of enrolled audio entries: audio-to-audio cosines run higher
    /// than audio-to-text ones, so both kinds share one threshold after this shift.
    pub audio_entry_offset: f32,
    /// Similarity margin of the best command over the best word run cut from a phrase ("play
    /// deck" of "play deck a") at confidence 0.5: below it, a command was cut short.
    pub partial_center: f32,
    pub partial_width: f32,
}

impl Default for S2oCalibration {
    fn default() -> Self {
        S2oCalibration {
            similarity_center: 0.614,
            similarity_width: 0.03,
            margin_center: -0.05,
            margin_width: 0.01,
            audio_entry_offset: 0.128,
            partial_center: 0.0,
            partial_width: 0.01,
        }
    }
}

/// A user's recordings, as audio embeddings per command id. Saved beside the command file
/// (`NAME.enrollments.json`) and in the plugin state.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Enrollments {
    pub by_command: HashMap<String, Vec<Vec<f32>>>,
}

impl Enrollments {
    /// The sidecar path for a command file.
    pub fn path_for(commands_file: &Path) -> PathBuf {
        commands_file.with_extension("enrollments.json")
    }

    /// Reads a sidecar; a missing file is an empty set.
    pub fn load(path: &Path) -> Result<Enrollments, ModelError> {
        if !path.is_file() {
            return Ok(Enrollments::default());
        }
        let broken = |reason: String| ModelError::ModelBroken { path: path.to_path_buf(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| broken(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| broken(e.to_string()))
    }

    /// Writes the sidecar.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, serde_json::to_string(self).map_err(std::io::Error::other)?)
    }
}

/// The audio encoder: 16 kHz audio -> unit-length 384-d embedding.
pub struct AudioEncoder {
    session: Mutex<Session>,
    pub path: PathBuf,
}

impl AudioEncoder {
    /// Loads (or reuses) the default S2O encoder.
    pub fn shared_default() -> Result<Arc<AudioEncoder>, ModelError> {
        let path = models::locate(S2O_FILE);
        models::shared(&format!("s2o:{}", path.display()), || {
            let encoder = AudioEncoder { session: Mutex::new(onnx::open_session(&path)?), path: path.clone() };
            encoder.embed(&vec![0.0; 16_000])?;
            Ok(encoder)
        })
    }

    /// Embeds an utterance (zero-mean unit-variance normalized here, as the model expects).
    pub fn embed(&self, audio: &[f32]) -> Result<Vec<f32>, ModelError> {
        let err = |e: ort::Error| onnx::inference_error("S2O encoder", e);
        let mut input = audio.to_vec();
        if input.len() < 4000 {
            input.resize(4000, 0.0);
        }
        let n = input.len() as f32;
        let mean = input.iter().sum::<f32>() / n;
        let std = (input.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n + 1e-7).sqrt();
        input.iter_mut().for_each(|v| *v = (*v - mean) / std);
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let x = TensorRef::from_array_view(([1usize, input.len()], &input[..])).map_err(err)?;
        let out = session.run(ort::inputs!["input_values" => x]).map_err(err)?;
        let (_, data) = out["embedding"].try_extract_tensor::<f32>().map_err(err)?;
        let norm = data.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-9);
        Ok(data.iter().map(|v| v / norm).collect())
    }
}

/// What an index entry stands for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Entry {
    /// A command's phrase (text embedding).
    Phrase(usize),
    /// A user's recording of a command (audio embedding).
    Recording(usize),
    /// A word run cut from a phrase that is no phrase itself: nearest to it means "cut short".
    Partial,
}

/// Largest set that gets cut-short veto entries.
const MAX_PHRASES_WITH_PARTIALS: usize = 512;

/// Distinct leading and trailing word runs of the set's phrases that are no phrase of the set.
fn partial_runs(commands: &CommandSet) -> Vec<String> {
    let known: std::collections::HashSet<String> = commands.phrases().map(|(_, p)| normalize_words(p)).collect();
    let mut runs: Vec<String> = commands.phrases().flat_map(|(_, p)| word_runs(p)).filter(|r| !known.contains(r)).collect();
    runs.sort();
    runs.dedup();
    runs
}

/// The recognizer.
pub struct S2oRecognizer {
    encoder: Arc<AudioEncoder>,
    embedder: Arc<TextEmbedder>,
    calibration: S2oCalibration,
    /// Phrases, recordings and the word runs that must not fire.
    index: PhraseIndex<Entry>,
    commands: usize,
    /// Enrollments applied on the next `prepare`.
    enrollments: Enrollments,
    /// Text embeddings already computed (MiniLM costs ~30 ms a text on one thread), so editing
    /// a command re-embeds only what changed.
    text_cache: HashMap<String, Vec<f32>>,
    best: Vec<f32>,
}

impl S2oRecognizer {
    /// Loads the encoder and the text embedder.
    pub fn load() -> Result<Self, RecognizerError> {
        let encoder = AudioEncoder::shared_default()?;
        let embedder = TextEmbedder::shared_default()?;
        let calibration = read_calibration(&encoder.path)?;
        Ok(S2oRecognizer {
            encoder,
            embedder,
            calibration,
            index: PhraseIndex::build(Vec::new()),
            commands: 0,
            enrollments: Enrollments::default(),
            text_cache: HashMap::new(),
            best: Vec::new(),
        })
    }

    /// The text embedding of `text`, from the cache when it was embedded before.
    fn text_embedding(&mut self, text: &str) -> Result<Vec<f32>, RecognizerError> {
        if let Some(v) = self.text_cache.get(text) {
            return Ok(v.clone());
        }
        let v = self.embedder.embed(text)?;
        self.text_cache.insert(text.to_string(), v.clone());
        Ok(v)
    }
}

fn read_calibration(model: &Path) -> Result<S2oCalibration, RecognizerError> {
    let path = model.with_file_name("calibration.json");
    if !path.is_file() {
        return Ok(S2oCalibration::default());
    }
    let broken = |reason: String| ModelError::ModelBroken { path: path.clone(), reason };
    let text = std::fs::read_to_string(&path).map_err(|e| broken(e.to_string()))?;
    Ok(serde_json::from_str(&text).map_err(|e| broken(e.to_string()))?)
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Recognizer for S2oRecognizer {
    fn name(&self) -> &'static str {
        "s2o"
    }

    fn describe_models(&self) -> Vec<String> {
        vec![
            format!("S2O encoder ({})", self.encoder.path.display()),
            format!("MiniLM text embedder ({})", self.embedder.path.display()),
        ]
    }

    fn prepare(&mut self, commands: &Arc<CommandSet>) -> Result<(), RecognizerError> {
        let phrases: Vec<(usize, &str)> = commands.phrases().collect();
        // Cut-short vetoes only for sets a person speaks from memory: a 10,000-phrase set would
        // add tens of thousands of entries (and minutes of embedding) for little gain.
        let partials = if phrases.len() <= MAX_PHRASES_WITH_PARTIALS { partial_runs(commands) } else { Vec::new() };
        let texts = phrases.iter().map(|p| (p.1, Entry::Phrase(p.0))).chain(partials.iter().map(|r| (r.as_str(), Entry::Partial)));
        let mut entries = Vec::new();
        for (text, kind) in texts {
            entries.push((Embedding(self.text_embedding(text)?), kind));
        }
        for (id, recordings) in &self.enrollments.by_command {
            if let Some(command) = commands.index_of(id) {
                entries.extend(recordings.iter().map(|e| (Embedding(e.clone()), Entry::Recording(command))));
            }
        }
        self.index = PhraseIndex::build(entries);
        self.commands = commands.len();
        Ok(())
    }

    fn set_enrollments(&mut self, enrollments: &Enrollments) {
        self.enrollments = enrollments.clone();
    }

    fn enrollment_embedding(&self, utterance: &[f32]) -> Result<Option<Vec<f32>>, RecognizerError> {
        Ok(Some(self.encoder.embed(utterance)?))
    }

    fn recognize(&mut self, utterance: &[f32]) -> Result<Recognition, RecognizerError> {
        let t0 = Instant::now();
        let query = Embedding(self.encoder.embed(utterance)?);
        let t1 = Instant::now();
        self.best.clear();
        self.best.resize(self.commands, -1.0);
        let mut best_partial = -1.0f32;
        for hit in self.index.search(&query, 32) {
            let (command, similarity) = match hit.value {
                Entry::Phrase(c) => (c, hit.similarity),
                Entry::Recording(c) => (c, hit.similarity - self.calibration.audio_entry_offset),
                Entry::Partial => {
                    best_partial = best_partial.max(hit.similarity);
                    continue;
                }
            };
            let slot = &mut self.best[command];
            *slot = slot.max(similarity);
        }
        let mut order: Vec<usize> = (0..self.commands).filter(|&c| self.best[c] > -1.0).collect();
        order.sort_by(|&a, &b| self.best[b].total_cmp(&self.best[a]));
        let top = order.first().map_or(-1.0, |&c| self.best[c]);
        let second = order.get(1).map_or(-1.0, |&c| self.best[c]);
        let cal = self.calibration;
        let ranked = order
            .iter()
            .enumerate()
            .map(|(rank, &command)| {
                let sim = self.best[command];
                let margin = if rank == 0 { sim - second } else { sim - top };
                let mut confidence = sigmoid((sim - cal.similarity_center) / cal.similarity_width)
                    .min(sigmoid((margin - cal.margin_center) / cal.margin_width));
                if rank == 0 {
                    confidence = confidence.min(sigmoid((sim - best_partial - cal.partial_center) / cal.partial_width));
                }
                Candidate { command, confidence, score: sim }
            })
            .collect();
        let t2 = Instant::now();
        let mut outcome = Recognition { ranked, transcript: None, ..Recognition::default() };
        outcome.stages.acoustic_ms = (t1 - t0).as_secs_f32() * 1000.0;
        outcome.stages.search_ms = (t2 - t1).as_secs_f32() * 1000.0;
        Ok(outcome)
    }
}
