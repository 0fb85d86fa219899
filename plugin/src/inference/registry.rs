//! Where models come from: embedded in the binary, or dropped into the user's model folder.

use std::borrow::Cow;
use std::path::PathBuf;

use super::manifest::ModelManifest;
use crate::model_kind::ModelKind;

/// Environment variable naming the user model folder.
pub const MODEL_DIR_ENV: &str = "AIRLIFT_MODEL_DIR";

/// Models compiled into the plugin: `(manifest JSON, ONNX bytes)`, the Spectral U-Net and
/// DDSP.
const EMBEDDED: &[(&str, &[u8])] = &[
    (
        include_str!("../../../models/unet.json"),
        include_bytes!("../../../models/unet.onnx"),
    ),
    (
        include_str!("../../../models/ddsp.json"),
        include_bytes!("../../../models/ddsp.onnx"),
    ),
];

/// A model file and its manifest, not yet loaded into ONNX Runtime.
pub struct ModelSource {
    /// The parsed manifest.
    pub manifest: ModelManifest,
    /// The `.onnx` bytes.
    pub bytes: Cow<'static, [u8]>,
    /// Where it came from, for the status line and the log.
    pub origin: String,
}

/// Why no model is available for a choice.
#[derive(Debug, Clone, PartialEq)]
pub enum RegistryError {
    /// Neither embedded nor in the user folder.
    NotInstalled {
        /// The model choice.
        kind: ModelKind,
        /// The user folder that was searched.
        searched: Option<PathBuf>,
    },
    /// A file in the user folder could not be read or parsed.
    Broken {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryError::NotInstalled { kind, searched } => {
                write!(f, "the {} model is not available yet", kind.display_name())?;
                if let Some(dir) = searched {
                    write!(f, " (none embedded, none in {})", dir.display())?;
                }
                Ok(())
            }
            RegistryError::Broken { path, detail } => {
                write!(f, "model file {} is unusable: {detail}", path.display())
            }
        }
    }
}

impl std::error::Error for RegistryError {}

/// The user model folder: `$AIRLIFT_MODEL_DIR`, else `$XDG_DATA_HOME/airlift/models`, else
/// `~/.local/share/airlift/models`.
pub fn user_model_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(MODEL_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(data.join("airlift/models"))
}

/// The model for `kind`: a user model (`NAME.json` + `NAME.onnx` whose manifest's `slot` is the
/// kind) wins over an embedded one, so users can try new models without a rebuild.
pub fn find_model(kind: ModelKind) -> Result<ModelSource, RegistryError> {
    let dir = user_model_dir();
    if let Some(dir) = dir.as_ref().filter(|d| d.is_dir()) {
        let mut manifests: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| RegistryError::Broken {
                path: dir.clone(),
                detail: e.to_string(),
            })?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .filter(|path| path.with_extension("onnx").is_file())
            .collect();
        manifests.sort();
        for path in manifests {
            let broken = |detail: String| RegistryError::Broken {
                path: path.clone(),
                detail,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| broken(e.to_string()))?;
            let manifest = ModelManifest::from_json(&text).map_err(|e| broken(e.to_string()))?;
            if manifest.model_kind() != Some(kind) {
                continue;
            }
            let onnx = path.with_extension("onnx");
            let bytes = std::fs::read(&onnx).map_err(|e| broken(e.to_string()))?;
            return Ok(ModelSource {
                manifest,
                bytes: Cow::Owned(bytes),
                origin: onnx.display().to_string(),
            });
        }
    }
    for (json, bytes) in EMBEDDED {
        let manifest = ModelManifest::from_json(json).map_err(|e| RegistryError::Broken {
            path: PathBuf::from("(embedded)"),
            detail: e.to_string(),
        })?;
        if manifest.model_kind() == Some(kind) {
            let origin = format!("embedded {}", manifest.name);
            return Ok(ModelSource {
                manifest,
                bytes: Cow::Borrowed(bytes),
                origin,
            });
        }
    }
    Err(RegistryError::NotInstalled {
        kind,
        searched: dir,
    })
}
