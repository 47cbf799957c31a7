//! Where model files live, and a process-wide cache so every plugin instance shares one copy of
//! each loaded model.
//!
//! Used from engine threads and the CLI. Guarantees: a model is loaded at most once per process
//! while anyone holds it; loading happens off the audio thread.

use std::any::Any;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::onnx::ModelError;

/// Folders searched for models, in order: `$VOXCUE_MODELS`, the per-user data folder the install
/// script fills (`~/.local/share/voxcue/models`), and the source tree's `models/` (for developers
/// and tests).
pub fn search_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(p) = std::env::var_os("VOXCUE_MODELS") {
        dirs.push(PathBuf::from(p));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".local/share/voxcue/models"));
    }
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"));
    dirs
}

/// Finds `relative` (e.g. `upstream/silero_vad.onnx`) in the search folders. When it is nowhere,
/// returns the path in the first folder, so the error names a real place to put it.
pub fn locate(relative: &str) -> PathBuf {
    let dirs = search_dirs();
    dirs.iter()
        .map(|d| d.join(relative))
        .find(|p| p.exists())
        .unwrap_or_else(|| dirs.last().expect("at least one dir").join(relative))
}

type CacheMap = HashMap<String, Weak<dyn Any + Send + Sync>>;
static CACHE: OnceLock<Mutex<CacheMap>> = OnceLock::new();

/// Returns the shared instance for `key`, loading it with `load` if no instance is alive.
pub fn shared<T: Any + Send + Sync>(
    key: &str,
    load: impl FnOnce() -> Result<T, ModelError>,
) -> Result<Arc<T>, ModelError> {
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(alive) = map.get(key).and_then(Weak::upgrade) {
        if let Ok(typed) = alive.downcast::<T>() {
            return Ok(typed);
        }
    }
    let loaded: Arc<T> = Arc::new(load()?);
    let erased: Arc<dyn Any + Send + Sync> = loaded.clone();
    map.insert(key.to_string(), Arc::downgrade(&erased));
    Ok(loaded)
}
