//! The ASR recognizer: CTC acoustic model -> every command phrase scored against the audio
//! (CTC forward likelihood) -> calibrated decision; plus a greedy transcript for display.
//!
//! Owned by the engine thread. The acoustic model and lexicon are shared by `Arc`; the phrase
//! table is rebuilt by `prepare` when the command set changes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;

use crate::commands::CommandSet;
use crate::ctc_model::{Contract, CtcModel};
use crate::models;
use crate::onnx::ModelError;
use crate::recognizer::ctc::{self, Label, LogProbs};
use crate::recognizer::embedding::TextEmbedder;
use crate::recognizer::index::{Embedding, PhraseIndex};
use crate::recognizer::phonetic::Vocabulary;
use crate::recognizer::lexicon::Lexicon;
use crate::recognizer::{Candidate, Recognition, Recognizer, RecognizerError};

/// Calibration of the score -> confidence mapping, per acoustic model (`calibration.json` beside
/// the model overrides the defaults).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(default)]
pub struct Calibration {
    /// Bonus per phrase token: CTC models are blank-heavy, and without it short phrases win.
    pub token_bonus: f32,
    /// Per-frame log-likelihood ratio (best phrase vs free decoding) at confidence 0.5.
    pub llr_center: f32,
    /// Width of the LLR sigmoid.
    pub llr_width: f32,
    /// Score margin to the runner-up command at confidence 0.5.
    pub margin_center: f32,
    /// Width of the margin sigmoid.
    pub margin_width: f32,
    /// Weight (in log-likelihood units) of the transcript's embedding similarity to each command;
    /// 0 turns the text-retrieval stage off (phoneme models have no words to embed).
    pub embedding_weight: f32,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            token_bonus: 3.0,
            llr_center: 0.10,
            llr_width: 0.04,
            margin_center: 0.25,
            margin_width: 0.5,
            embedding_weight: 0.0,
        }
    }
}

/// One spelled phrase variant.
struct PhraseModel {
    command: usize,
    labels: Vec<Label>,
}

/// Where the acoustic model comes from.
#[derive(Clone, Debug)]
pub struct AcousticSource {
    pub model: PathBuf,
    pub tokens: PathBuf,
    pub label: String,
}

/// Finds the acoustic model: `$VOXCUE_ACOUSTIC_MODEL` (an ONNX file with `vocab.json`,
/// `tokenizer.json` or a `tokens.json` list beside it), a user's wav2vec2 export in `models/wav2vec2/`, the project's
/// trained `models/voxcue_ctc/`, or the hama phoneme model.
pub fn find_acoustic_model() -> AcousticSource {
    let with_vocab = |model: PathBuf, label: &str| {
        let dir = model.parent().map(Path::to_path_buf).unwrap_or_default();
        let tokens = ["vocab.json", "tokenizer.json", "tokens.json"].iter().map(|f| dir.join(f)).find(|p| p.is_file()).unwrap_or_else(|| dir.join("vocab.json"));
        AcousticSource { model, tokens, label: label.to_string() }
    };
    if let Some(p) = std::env::var_os("VOXCUE_ACOUSTIC_MODEL") {
        return with_vocab(PathBuf::from(p), "custom CTC model");
    }
    for (rel, label) in [("wav2vec2/model.onnx", "wav2vec2 CTC"), ("voxcue_ctc/model.onnx", "Voxcue CTC (Whisper tiny.en encoder)")] {
        let p = models::locate(rel);
        if p.is_file() {
            return with_vocab(p, label);
        }
    }
    AcousticSource {
        model: models::locate("hama/asr_waveform_fp16.onnx"),
        tokens: models::locate("hama/tokens.json"),
        label: "hama phoneme CTC".into(),
    }
}

/// The recognizer.
pub struct AsrRecognizer {
    model: Arc<CtcModel>,
    lexicon: Arc<Lexicon>,
    calibration: Calibration,
    phrases: Vec<PhraseModel>,
    commands: usize,
    label: String,
    scratch: Vec<f32>,
    best_per_command: Vec<f32>,
    /// Text retrieval stage (character models only): embedder, phrase index, command vocabulary.
    retrieval: Option<Retrieval>,
    /// Similarity of the current transcript to each command (scratch).
    similarity: Vec<f32>,
}

/// Transcript -> phonetic normalization -> embedding -> nearest phrases.
struct Retrieval {
    embedder: Arc<TextEmbedder>,
    index: PhraseIndex<usize>,
    vocabulary: Vocabulary,
}

impl AsrRecognizer {
    /// Loads the default acoustic model and lexicon.
    pub fn load() -> Result<Self, RecognizerError> {
        Self::load_from(&find_acoustic_model())
    }

    /// Loads a specific acoustic model.
    pub fn load_from(source: &AcousticSource) -> Result<Self, RecognizerError> {
        let model = CtcModel::shared(&source.model, &source.tokens)?;
        let lexicon = models::shared(&format!("lexicon:{}", source.model.display()), || build_lexicon(&model))?;
        let calibration = read_calibration(&source.model)?;
        let retrieval_wanted = calibration.embedding_weight > 0.0 && matches!(*lexicon, Lexicon::Characters { .. });
        let embedder = if retrieval_wanted { Some(TextEmbedder::shared_default()?) } else { None };
        Ok(AsrRecognizer {
            retrieval: embedder.map(|embedder| Retrieval { embedder, index: PhraseIndex::build(Vec::new()), vocabulary: Vocabulary::default() }),
            similarity: Vec::new(),
            model,
            lexicon,
            calibration,
            phrases: Vec::new(),
            commands: 0,
            label: source.label.clone(),
            scratch: Vec::new(),
            best_per_command: Vec::new(),
        })
    }

    /// Ranks commands on precomputed log-probabilities (unit-testable without a model).
    fn rank(&mut self, lp: LogProbs) -> Vec<Candidate> {
        let frames = lp.frames().max(1) as f32;
        let free = ctc::best_path_score(lp);
        self.best_per_command.clear();
        self.best_per_command.resize(self.commands, f32::NEG_INFINITY);
        for phrase in &self.phrases {
            let score = ctc::forward_score(lp, self.model.blank, &phrase.labels, &mut self.scratch)
                + self.calibration.token_bonus * phrase.labels.iter().filter(|l| !l.optional).count() as f32;
            let slot = &mut self.best_per_command[phrase.command];
            *slot = slot.max(score);
        }
        if self.similarity.len() == self.commands {
            for (best, sim) in self.best_per_command.iter_mut().zip(&self.similarity) {
                *best += self.calibration.embedding_weight * sim;
            }
        }
        let mut order: Vec<usize> = (0..self.commands).filter(|&c| self.best_per_command[c].is_finite()).collect();
        order.sort_by(|&a, &b| self.best_per_command[b].total_cmp(&self.best_per_command[a]));
        let top = order.first().map_or(f32::NEG_INFINITY, |&c| self.best_per_command[c]);
        let second = order.get(1).map_or(top - 100.0, |&c| self.best_per_command[c]);
        let cal = self.calibration;
        order
            .iter()
            .enumerate()
            .map(|(rank, &command)| {
                let score = self.best_per_command[command];
                let llr = (score - free) / frames;
                let margin = if rank == 0 { score - second } else { score - top };
                let confidence = sigmoid((llr - cal.llr_center) / cal.llr_width).min(sigmoid((margin - cal.margin_center) / cal.margin_width));
                Candidate { command, confidence, score }
            })
            .collect()
    }

    fn transcript(&self, lp: LogProbs) -> String {
        let ids = ctc::greedy_decode(lp, self.model.blank);
        let mut text = String::new();
        for id in ids {
            let token = &self.model.tokens[id];
            if Some(id) == self.model.word_boundary {
                text.push(' ');
            } else if !token.starts_with('<') {
                text.push_str(token);
                if matches!(*self.lexicon, Lexicon::Phonemes { .. }) {
                    text.push('.');
                }
            }
        }
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        text.to_lowercase()
    }
}

impl AsrRecognizer {
    /// Fills `self.similarity` with each command's best phrase similarity to the normalized
    /// transcript. Returns (embedding ms, search ms).
    fn retrieve(&mut self, transcript: &str) -> Result<(f32, f32), RecognizerError> {
        self.similarity.clear();
        let Some(retrieval) = self.retrieval.as_ref() else { return Ok((0.0, 0.0)) };
        self.similarity.resize(self.commands, 0.0);
        if transcript.trim().is_empty() {
            return Ok((0.0, 0.0));
        }
        let t0 = Instant::now();
        let query = Embedding(retrieval.embedder.embed(&retrieval.vocabulary.normalize(transcript))?);
        let t1 = Instant::now();
        for hit in retrieval.index.search(&query, 16) {
            let slot = &mut self.similarity[hit.value];
            *slot = slot.max(hit.similarity);
        }
        let t2 = Instant::now();
        Ok(((t1 - t0).as_secs_f32() * 1000.0, (t2 - t1).as_secs_f32() * 1000.0))
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn build_lexicon(model: &CtcModel) -> Result<Lexicon, ModelError> {
    match model.contract {
        Contract::Waveform => Lexicon::phonemes(
            &model.tokens,
            model.word_boundary,
            &models::locate("upstream/cmudict-en-us.dict"),
            &models::locate("hama/arpabet_to_hama.json"),
        ),
        Contract::Wav2Vec2 => Ok(Lexicon::characters(&model.tokens, model.word_boundary)),
    }
}

fn read_calibration(model: &Path) -> Result<Calibration, RecognizerError> {
    let path = model.with_file_name("calibration.json");
    if !path.is_file() {
        return Ok(Calibration::default());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ModelError::ModelBroken { path: path.clone(), reason: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| ModelError::ModelBroken { path, reason: e.to_string() }.into())
}

impl Recognizer for AsrRecognizer {
    fn name(&self) -> &'static str {
        "asr"
    }

    fn describe_models(&self) -> Vec<String> {
        vec![format!("{} ({})", self.label, self.model.path.display())]
    }

    fn prepare(&mut self, commands: &Arc<CommandSet>) -> Result<(), RecognizerError> {
        self.phrases.clear();
        for (command, phrase) in commands.phrases() {
            for labels in self.lexicon.spell(phrase) {
                self.phrases.push(PhraseModel { command, labels });
            }
        }
        self.commands = commands.len();
        if let Some(retrieval) = self.retrieval.as_mut() {
            let mut entries = Vec::new();
            for (command, phrase) in commands.phrases() {
                entries.push((Embedding(retrieval.embedder.embed(phrase)?), command));
            }
            retrieval.index = PhraseIndex::build(entries);
            retrieval.vocabulary = Vocabulary::from_phrases(commands.phrases().map(|(_, p)| p));
        }
        Ok(())
    }

    fn recognize(&mut self, utterance: &[f32]) -> Result<Recognition, RecognizerError> {
        let t0 = Instant::now();
        let frames = self.model.run(utterance)?;
        let t1 = Instant::now();
        let lp = LogProbs::new(&frames.log_probs, frames.vocab);
        let transcript = self.transcript(lp);
        let (embedding_ms, search_ms) = self.retrieve(&transcript)?;
        let t2 = Instant::now();
        let ranked = self.rank(lp);
        let t3 = Instant::now();
        let mut outcome = Recognition { ranked, transcript: Some(transcript), ..Recognition::default() };
        outcome.stages.acoustic_ms = (t1 - t0).as_secs_f32() * 1000.0;
        outcome.stages.embedding_ms = embedding_ms;
        outcome.stages.search_ms = search_ms;
        outcome.stages.scoring_ms = (t3 - t2).as_secs_f32() * 1000.0;
        Ok(outcome)
    }
}
