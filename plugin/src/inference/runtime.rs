//! Finding and loading the ONNX Runtime shared library, once per process.
//!
//! ONNX Runtime allows one environment per process and must be loaded before any other `ort`
//! call, so the runtime is a process-wide singleton made on first use (never on the audio
//! thread). A failure is kept too, so every plugin instance reports the same reason and runs
//! SBR.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

/// The file names tried beside the plugin or CLI binary, newest first.
pub const LIBRARY_NAMES: [&str; 2] = ["libonnxruntime.so.1.31.1", "libonnxruntime.so"];

/// Environment variable that names the library explicitly.
pub const DYLIB_ENV: &str = "ORT_DYLIB_PATH";

/// A loaded ONNX Runtime.
pub struct Runtime {
    /// The environment every session is made in.
    pub environment: Environment,
    /// The library that was loaded.
    pub library_path: PathBuf,
}

/// Why ONNX Runtime is not available.
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeError {
    /// No library at `ORT_DYLIB_PATH` or beside the binary.
    NotFound {
        /// Every path that was tried.
        searched: Vec<PathBuf>,
    },
    /// A library was found but could not be used (not ONNX Runtime, too old, broken).
    Load {
        /// The library.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl std::fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuntimeError::NotFound { searched } => {
                let paths: Vec<String> = searched.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "ONNX Runtime not found (looked for {}; set {DYLIB_ENV} to its path)",
                    paths.join(", ")
                )
            }
            RuntimeError::Load { path, message } => {
                write!(
                    f,
                    "ONNX Runtime at {} is unusable: {message}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for RuntimeError {}

/// The process's ONNX Runtime, loading it on first call. Blocks while loading: call it from
/// `activate`, the CLI or a background thread, never from `process`.
pub fn runtime() -> Result<&'static Runtime, &'static RuntimeError> {
    static RUNTIME: OnceLock<Result<Runtime, RuntimeError>> = OnceLock::new();
    RUNTIME.get_or_init(load).as_ref()
}

/// The folder of the binary this code lives in: the plugin's `.clap`/`.so` inside a host, the
/// executable in the CLI.
pub fn own_binary_dir() -> Option<PathBuf> {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let address = own_binary_dir as *const libc::c_void;
    // SAFETY: dladdr only reads the loader's tables for an address inside this object.
    if unsafe { libc::dladdr(address, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dladdr returned a NUL-terminated path owned by the loader.
    let name = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
    let path = PathBuf::from(name.to_string_lossy().into_owned());
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    path.parent().map(Path::to_owned)
}

/// Where the library is looked for, in order.
pub fn candidate_paths() -> Vec<PathBuf> {
    if let Some(path) = std::env::var_os(DYLIB_ENV).filter(|p| !p.is_empty()) {
        return vec![PathBuf::from(path)];
    }
    own_binary_dir()
        .map(|dir| LIBRARY_NAMES.iter().map(|name| dir.join(name)).collect())
        .unwrap_or_default()
}

fn load() -> Result<Runtime, RuntimeError> {
    let searched = candidate_paths();
    let path = searched
        .iter()
        .find(|path| path.exists())
        .cloned()
        .ok_or_else(|| RuntimeError::NotFound {
            searched: searched.clone(),
        })?;
    let load_error = |message: String| RuntimeError::Load {
        path: path.clone(),
        message,
    };
    let builder = ort::init_from(&path).map_err(|e| load_error(e.to_string()))?;
    let environment = builder
        .with_name("airlift")
        .build()
        .map_err(|e| load_error(e.to_string()))?;
    Ok(Runtime {
        environment,
        library_path: path,
    })
}
