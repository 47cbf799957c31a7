//! CTC acoustic models behind one interface: 16 kHz audio in, per-frame log-probabilities over a
//! token vocabulary out.
//!
//! Two ONNX contracts are recognized by their input names:
//! - Hugging Face wav2vec2 CTC (`input_values` [1, samples], zero-mean unit-variance, -> `logits`
//!   [1, frames, vocab]); vocabulary from `vocab.json` or `tokenizer.json` beside the model;
//!   characters with `|` between words and `<pad>` as blank. Drop a wav2vec2 export into the
//!   models folder and it works.
//! - Waveform phoneme CTC (`waveform` [1, samples] + `waveform_lengths` [1] -> `log_probs`), as in
//!   PyPI `hama` 1.3.13; vocabulary from a JSON list of tokens.
//!
//! Loaded on the engine thread (or the CLI) and shared read-only by every instance; ort needs
//! `&mut` to run, hence the mutex, which only engine threads ever take.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ort::session::Session;
use ort::value::TensorRef;

use crate::models;
use crate::onnx::{self, ModelError};

/// Which I/O contract a model follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contract {
    /// Hugging Face wav2vec2 CTC export.
    Wav2Vec2,
    /// Raw waveform + lengths -> log_probs.
    Waveform,
}

/// A loaded CTC model and its vocabulary.
pub struct CtcModel {
    session: Mutex<Session>,
    /// The I/O contract.
    pub contract: Contract,
    /// Token strings by id.
    pub tokens: Vec<String>,
    /// The CTC blank id.
    pub blank: usize,
    /// The word-boundary token, when the vocabulary has one (`|` or `<wb>`).
    pub word_boundary: Option<usize>,
    /// Where it came from (for status displays).
    pub path: PathBuf,
}

/// Output of one run.
pub struct Frames {
    /// Row-major [frames x vocab] log-probabilities.
    pub log_probs: Vec<f32>,
    /// Vocabulary size.
    pub vocab: usize,
}

impl CtcModel {
    /// Loads (or reuses) the model at `path` with its token list at `tokens_path`.
    pub fn shared(path: &Path, tokens_path: &Path) -> Result<Arc<CtcModel>, ModelError> {
        models::shared(&format!("ctc:{}", path.display()), || CtcModel::load(path, tokens_path))
    }

    fn load(path: &Path, tokens_path: &Path) -> Result<CtcModel, ModelError> {
        let session = onnx::open_session(path)?;
        let names: Vec<String> = session.inputs().iter().map(|i| i.name().to_string()).collect();
        let contract = if names.iter().any(|n| n == "input_values") {
            Contract::Wav2Vec2
        } else if names.iter().any(|n| n == "waveform") {
            Contract::Waveform
        } else {
            return Err(ModelError::ModelBroken {
                path: path.to_path_buf(),
                reason: format!("unknown CTC contract: inputs {names:?} (expected input_values or waveform)"),
            });
        };
        let tokens = read_tokens(tokens_path)?;
        let find = |cands: &[&str]| cands.iter().find_map(|c| tokens.iter().position(|t| t == c));
        let blank = find(&["<blank>", "<pad>", "_"]).ok_or_else(|| ModelError::ModelBroken {
            path: tokens_path.to_path_buf(),
            reason: "vocabulary has no blank token (<blank> or <pad>)".into(),
        })?;
        let word_boundary = find(&["<wb>", "|"]);
        let model = CtcModel { session: Mutex::new(session), contract, tokens, blank, word_boundary, path: path.to_path_buf() };
        model.run(&vec![0.0; 16_000])?; // warm-up: first runs allocate and are slow
        Ok(model)
    }

    /// Runs the model on 16 kHz mono audio.
    pub fn run(&self, audio: &[f32]) -> Result<Frames, ModelError> {
        let err = |e: ort::Error| onnx::inference_error("CTC acoustic model", e);
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        // Very short input breaks convolutional front ends: pad to 0.25 s.
        let mut input: Vec<f32> = audio.to_vec();
        if input.len() < 4000 {
            input.resize(4000, 0.0);
        }
        let (data, shape) = match self.contract {
            Contract::Wav2Vec2 => {
                normalize(&mut input);
                let x = TensorRef::from_array_view(([1usize, input.len()], &input[..])).map_err(err)?;
                let out = session.run(ort::inputs!["input_values" => x]).map_err(err)?;
                let (shape, data) = out["logits"].try_extract_tensor::<f32>().map_err(err)?;
                (data.to_vec(), shape.to_vec())
            }
            Contract::Waveform => {
                let x = TensorRef::from_array_view(([1usize, input.len()], &input[..])).map_err(err)?;
                let len = [input.len() as i64];
                let l = TensorRef::from_array_view(([1usize], &len[..])).map_err(err)?;
                let out = session.run(ort::inputs!["waveform" => x, "waveform_lengths" => l]).map_err(err)?;
                let (shape, data) = out["log_probs"].try_extract_tensor::<f32>().map_err(err)?;
                (data.to_vec(), shape.to_vec())
            }
        };
        let vocab = *shape.last().unwrap_or(&0) as usize;
        if vocab == 0 || vocab != self.tokens.len() {
            return Err(ModelError::Inference {
                name: "CTC acoustic model".into(),
                reason: format!("output has {vocab} classes but the vocabulary has {} tokens", self.tokens.len()),
            });
        }
        let mut log_probs = data;
        log_softmax_rows(&mut log_probs, vocab);
        Ok(Frames { log_probs, vocab })
    }
}

/// Zero mean, unit variance (the wav2vec2 feature extractor's normalization).
fn normalize(x: &mut [f32]) {
    let n = x.len().max(1) as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let scale = 1.0 / (var + 1e-7).sqrt();
    x.iter_mut().for_each(|v| *v = (*v - mean) * scale);
}

/// Normalizes each row to log-probabilities (a no-op for rows that already are).
fn log_softmax_rows(data: &mut [f32], vocab: usize) {
    for row in data.chunks_mut(vocab) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
        let log_z = max + sum.ln();
        row.iter_mut().for_each(|v| *v -= log_z);
    }
}

/// Reads a vocabulary: a JSON list of tokens, a `vocab.json` map {token: id}, or a Hugging Face
/// `tokenizer.json` (its `model.vocab` map).
pub fn read_tokens(path: &Path) -> Result<Vec<String>, ModelError> {
    let broken = |reason: String| ModelError::ModelBroken { path: path.to_path_buf(), reason };
    if !path.is_file() {
        return Err(ModelError::ModelMissing { path: path.to_path_buf() });
    }
    let text = std::fs::read_to_string(path).map_err(|e| broken(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| broken(e.to_string()))?;
    if let Some(list) = value.as_array() {
        return list.iter().map(|v| v.as_str().map(str::to_string).ok_or_else(|| broken("token list has a non-string".into()))).collect();
    }
    let map = value.pointer("/model/vocab").unwrap_or(&value);
    let map = map.as_object().ok_or_else(|| broken("expected a token list or a {token: id} map".into()))?;
    let mut by_id: HashMap<usize, String> = HashMap::new();
    for (token, id) in map {
        let id = id.as_u64().ok_or_else(|| broken(format!("token {token:?} has no integer id")))? as usize;
        by_id.insert(id, token.clone());
    }
    (0..by_id.len()).map(|i| by_id.remove(&i).ok_or_else(|| broken(format!("vocabulary ids are not contiguous (missing {i})")))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_list_map_and_tokenizer_json_vocabularies() {
        let dir = std::env::temp_dir().join(format!("voxcue-vocab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let list = dir.join("list.json");
        std::fs::write(&list, r#"["<blank>", "a", "b"]"#).unwrap();
        assert_eq!(read_tokens(&list).unwrap(), vec!["<blank>", "a", "b"]);
        let map = dir.join("vocab.json");
        std::fs::write(&map, r#"{"<pad>": 0, "|": 2, "A": 1}"#).unwrap();
        assert_eq!(read_tokens(&map).unwrap(), vec!["<pad>", "A", "|"]);
        let tok = dir.join("tokenizer.json");
        std::fs::write(&tok, r#"{"model": {"vocab": {"<pad>": 0, "E": 1}}}"#).unwrap();
        assert_eq!(read_tokens(&tok).unwrap(), vec!["<pad>", "E"]);
        let gap = dir.join("gap.json");
        std::fs::write(&gap, r#"{"<pad>": 0, "E": 2}"#).unwrap();
        assert!(read_tokens(&gap).is_err());
    }

    #[test]
    fn log_softmax_makes_rows_sum_to_one() {
        let mut data = vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0];
        log_softmax_rows(&mut data, 3);
        for row in data.chunks(3) {
            let s: f32 = row.iter().map(|v| v.exp()).sum();
            assert!((s - 1.0).abs() < 1e-5);
        }
    }
}
