//! Sentence embeddings (all-MiniLM-L6-v2 by default) through ort + tokenizers: mean pooling over
//! the attention mask, then L2 normalization. Any sentence-embedding ONNX with `input_ids` /
//! `attention_mask` (/ `token_type_ids`) inputs and a `last_hidden_state` output, plus its
//! `tokenizer.json`, drops in.
//!
//! Loaded off the audio thread and shared by `Arc` between instances.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ort::session::Session;
use ort::value::TensorRef;
use tokenizers::Tokenizer;

use crate::models;
use crate::onnx::{self, ModelError};

/// The embedder.
pub struct TextEmbedder {
    session: Mutex<Session>,
    tokenizer: Tokenizer,
    /// Whether the model takes `token_type_ids`.
    wants_token_types: bool,
    /// Where the model came from.
    pub path: PathBuf,
}

impl TextEmbedder {
    /// Loads (or reuses) the default MiniLM embedder.
    pub fn shared_default() -> Result<Arc<TextEmbedder>, ModelError> {
        let model = models::locate("upstream/minilm_l6_int8.onnx");
        let tokenizer = models::locate("upstream/minilm_tokenizer.json");
        models::shared(&format!("embed:{}", model.display()), || TextEmbedder::load(&model, &tokenizer))
    }

    /// Loads a sentence-embedding model and its tokenizer.
    pub fn load(model: &Path, tokenizer: &Path) -> Result<TextEmbedder, ModelError> {
        let session = onnx::open_session(model)?;
        let wants_token_types = session.inputs().iter().any(|i| i.name() == "token_type_ids");
        if !tokenizer.is_file() {
            return Err(ModelError::ModelMissing { path: tokenizer.to_path_buf() });
        }
        let tokenizer = Tokenizer::from_file(tokenizer)
            .map_err(|e| ModelError::ModelBroken { path: tokenizer.to_path_buf(), reason: e.to_string() })?;
        let embedder = TextEmbedder { session: Mutex::new(session), tokenizer, wants_token_types, path: model.to_path_buf() };
        embedder.embed("warm up")?;
        Ok(embedder)
    }

    /// The unit-length embedding of `text`.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, ModelError> {
        let err = |e: &dyn std::fmt::Display| onnx::inference_error("text embedder", e);
        let encoding = self.tokenizer.encode(text, true).map_err(|e| err(&e))?;
        let ids: Vec<i64> = encoding.get_ids().iter().map(|&i| i as i64).collect();
        let mask: Vec<i64> = encoding.get_attention_mask().iter().map(|&i| i as i64).collect();
        let types: Vec<i64> = encoding.get_type_ids().iter().map(|&i| i as i64).collect();
        let n = ids.len();
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let t_ids = TensorRef::from_array_view(([1usize, n], &ids[..])).map_err(|e| err(&e))?;
        let t_mask = TensorRef::from_array_view(([1usize, n], &mask[..])).map_err(|e| err(&e))?;
        let outputs = if self.wants_token_types {
            let t_types = TensorRef::from_array_view(([1usize, n], &types[..])).map_err(|e| err(&e))?;
            session.run(ort::inputs!["input_ids" => t_ids, "attention_mask" => t_mask, "token_type_ids" => t_types])
        } else {
            session.run(ort::inputs!["input_ids" => t_ids, "attention_mask" => t_mask])
        }
        .map_err(|e| err(&e))?;
        let (shape, hidden) = outputs[0].try_extract_tensor::<f32>().map_err(|e| err(&e))?;
        let dim = *shape.last().unwrap_or(&0) as usize;
        Ok(mean_pool_normalized(hidden, &mask, dim))
    }
}

/// Mean of the token vectors where `mask` is 1, scaled to unit length.
pub fn mean_pool_normalized(hidden: &[f32], mask: &[i64], dim: usize) -> Vec<f32> {
    let mut pooled = vec![0.0f32; dim];
    let mut count = 0.0f32;
    for (t, &m) in mask.iter().enumerate() {
        if m != 0 {
            for (p, h) in pooled.iter_mut().zip(&hidden[t * dim..(t + 1) * dim]) {
                *p += h;
            }
            count += 1.0;
        }
    }
    let norm = pooled.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-9);
    // The mean's 1/count cancels in the normalization.
    let _ = count;
    pooled.iter_mut().for_each(|v| *v /= norm);
    pooled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_ignores_padding_and_normalizes() {
        let hidden = [1.0, 0.0, 3.0, 0.0, 100.0, 100.0];
        let v = mean_pool_normalized(&hidden, &[1, 1, 0], 2);
        assert!((v[0] - 1.0).abs() < 1e-6 && v[1].abs() < 1e-6);
    }
}
