//! ONNX Runtime set-up shared by every model and every plugin instance in the process.
//!
//! Used from the engine thread and the CLI, never from the audio thread. Guarantees: the runtime
//! library is loaded once per process, by full path (so another plugin's copy cannot win by name),
//! every session runs on one thread with spinning off and denormals flushed, and heap memory freed
//! while a session is built goes back to the kernel (glibc `malloc_trim`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::session::builder::GraphOptimizationLevel;
use ort::environment::Environment;
use ort::session::Session;

/// The ONNX Runtime version Voxcue is built and tested against.
pub const ORT_VERSION: &str = "1.31.1";
/// File name of the runtime library the set-up script installs.
pub const ORT_LIBRARY: &str = "libonnxruntime.so.1.31.1";

/// Why a model or the runtime could not be used. Cloneable so the editor state can show it.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    #[error("ONNX Runtime library not found (looked in: {looked}); run scripts/setup.sh or set ORT_DYLIB_PATH")]
    RuntimeMissing { looked: String },
    #[error("ONNX Runtime at {path} could not be loaded: {reason}")]
    RuntimeBroken { path: PathBuf, reason: String },
    #[error("model file {path} not found; run scripts/setup.sh or set VOXCUE_MODELS")]
    ModelMissing { path: PathBuf },
    #[error("model {path} could not be loaded: {reason}")]
    ModelBroken { path: PathBuf, reason: String },
    #[error("model {name} failed while running: {reason}")]
    Inference { name: String, reason: String },
}

/// The process-wide runtime: where the library came from and the environment every session uses.
struct Runtime {
    path: PathBuf,
    environment: Environment,
}

static RUNTIME: OnceLock<Result<Runtime, ModelError>> = OnceLock::new();

/// Loads the ONNX Runtime library once per process and returns where it came from.
pub fn ensure_runtime() -> Result<PathBuf, ModelError> {
    runtime().map(|r| r.path.clone())
}

fn runtime() -> Result<&'static Runtime, ModelError> {
    RUNTIME.get_or_init(load_runtime).as_ref().map_err(Clone::clone)
}

fn load_runtime() -> Result<Runtime, ModelError> {
    let candidates = runtime_candidates();
    let Some(path) = candidates.iter().find(|p| p.is_file()).cloned() else {
        let looked = candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(ModelError::RuntimeMissing { looked });
    };
    let broken = |reason: String| ModelError::RuntimeBroken { path: path.clone(), reason };
    let builder = ort::init_from(&path).map_err(|e| broken(e.to_string()))?;
    let environment = builder.with_name("voxcue").build().map_err(|e| broken(e.to_string()))?;
    Ok(Runtime { path, environment })
}

fn runtime_candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        out.push(PathBuf::from(p));
    }
    for dir in crate::models::search_dirs() {
        out.push(dir.join("ort").join(ORT_LIBRARY));
        out.push(dir.join(ORT_LIBRARY));
    }
    out
}

/// Opens a model with Voxcue's session settings: one intra-op and one inter-op thread, no
/// spinning (ORT's spin would burn a core the DAW needs), denormals flushed, full optimization.
pub fn open_session(path: &Path) -> Result<Session, ModelError> {
    let runtime = runtime()?;
    if !path.is_file() {
        return Err(ModelError::ModelMissing { path: path.to_path_buf() });
    }
    let broken = |reason: String| ModelError::ModelBroken { path: path.to_path_buf(), reason };
    Session::builder(&runtime.environment)
        .and_then(|b| b.with_optimization_level(GraphOptimizationLevel::Level3).map_err(Into::into))
        .and_then(|b| b.with_intra_threads(1).map_err(Into::into))
        .and_then(|b| b.with_inter_threads(1).map_err(Into::into))
        .and_then(|b| b.with_intra_op_spinning(false).map_err(Into::into))
        .and_then(|b| b.with_inter_op_spinning(false).map_err(Into::into))
        .and_then(|b| b.with_flush_to_zero().map_err(Into::into))
        .and_then(|mut b| b.commit_from_file(path))
        .map_err(|e| broken(e.to_string()))
        .inspect(|_| release_freed_memory())
}

/// Hands heap memory freed while a session was built back to the kernel.
///
/// Building a session allocates and frees tens of MB (the file buffer, and for the int8 MiniLM,
/// whose weights are stored as int8 -> Cast -> Mul, constant folding makes ~90 MB of fp32 weights
/// and frees the rest); glibc keeps freed heap pages resident unless asked. Measured with
/// `voxcue bench --recognizer s2o --instances 1`: 244 -> 202 MB resident (peak unchanged, ~295 MB).
/// ORT's own options were measured too and left at their defaults: CPU memory arena off -0.4 MB,
/// memory pattern off -1 MB, graph optimization level 1/2 no change, prepacking off -7 MB but
/// +6 ms per utterance.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's `malloc_trim` only returns free pages of its own heaps to the kernel,
        // under its own locks; it reads or writes no memory owned by any caller. It runs here on
        // the engine thread or the CLI's main thread (model loading), never on the audio thread.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Wraps an ort error raised while running `name`.
pub fn inference_error(name: &str, e: impl std::fmt::Display) -> ModelError {
    ModelError::Inference { name: name.to_string(), reason: e.to_string() }
}
