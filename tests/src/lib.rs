//! Shared support for Airlift's integration tests: deterministic test signals, the band-limit
//! filters the detector must recognise, block-wise rendering through the engine, a CLAP host
//! that loads the real bundle, and how a restored file's opening is judged.

pub mod clap_host;
pub mod cli;
pub mod excerpts;
pub mod filters;
pub mod fixture;
pub mod models;
pub mod opening;
pub mod render;
pub mod signals;

use std::path::PathBuf;

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_owned()
}

/// The sample rates Airlift supports, in Hz.
pub const SUPPORTED_RATES_HZ: [u32; 6] = [44_100, 48_000, 88_200, 96_000, 176_400, 192_000];
