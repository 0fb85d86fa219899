//! A snapshot of what the engine is doing, for the editor, the log and the CLI.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::dsp::cutoff::Detection;

use super::settings::ModelKind;

/// What the engine is doing right now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineStatus {
    /// The model the settings ask for.
    pub requested_model: ModelKind,
    /// The model actually generating the high band.
    pub active_model: ModelKind,
    /// The band-limit detector's result.
    pub detection: Detection,
    /// The cutoff the band is generated above, if any band is generated.
    pub applied_cutoff_hz: Option<f32>,
    /// The reported latency in samples.
    pub latency_samples: u32,
    /// The sample rate the engine runs at.
    pub sample_rate_hz: f32,
    /// Input samples muted because they were NaN, infinite or beyond +60 dBFS.
    pub rejected_samples: u64,
}

impl EngineStatus {
    /// Why the requested model is not the one running, if it is not.
    pub fn fallback_reason(&self) -> Option<&'static str> {
        if self.requested_model == self.active_model {
            return None;
        }
        Some(match self.requested_model {
            ModelKind::SpectralUnet => {
                "the Spectral U-Net model is not available yet; SBR runs instead"
            }
            ModelKind::Ddsp => "the DDSP model is not available yet; SBR runs instead",
            ModelKind::Sbr => "SBR is unavailable",
        })
    }

    /// The latency in milliseconds.
    pub fn latency_ms(&self) -> f32 {
        self.latency_samples as f32 * 1000.0 / self.sample_rate_hz
    }
}

/// The engine status published by the audio thread through atomics, for the editor and the
/// background logger. Writing never allocates or locks.
#[derive(Debug, Default)]
pub struct SharedStatus {
    /// Detected cutoff in Hz as `f32` bits; 0 while listening, `u32::MAX` for no band limit.
    detected_cutoff_bits: AtomicU32,
    /// Applied cutoff in Hz as `f32` bits; 0 when nothing is generated.
    applied_cutoff_bits: AtomicU32,
    /// Reported latency in samples.
    latency_samples: AtomicU32,
    /// Sample rate in Hz as `f32` bits; 0 when the engine is not running.
    sample_rate_bits: AtomicU32,
    /// Index into [`ModelKind::ALL`] of the requested model.
    requested_model: AtomicU32,
    /// Index into [`ModelKind::ALL`] of the running model.
    active_model: AtomicU32,
    /// Input samples muted as corrupt.
    rejected_samples: AtomicU64,
}

/// Marker stored in place of a cutoff for "no band limit".
const NO_BAND_LIMIT_BITS: u32 = u32::MAX;

impl SharedStatus {
    /// Publishes a snapshot. Relaxed ordering: each field is independent.
    pub fn publish(&self, status: &EngineStatus) {
        let detected = match status.detection {
            Detection::Listening => 0,
            Detection::NoBandLimit => NO_BAND_LIMIT_BITS,
            Detection::BandLimit { cutoff_hz } => cutoff_hz.to_bits(),
        };
        self.detected_cutoff_bits.store(detected, Ordering::Relaxed);
        self.applied_cutoff_bits.store(
            status.applied_cutoff_hz.map_or(0, f32::to_bits),
            Ordering::Relaxed,
        );
        self.latency_samples
            .store(status.latency_samples, Ordering::Relaxed);
        self.sample_rate_bits
            .store(status.sample_rate_hz.to_bits(), Ordering::Relaxed);
        self.requested_model
            .store(model_index(status.requested_model), Ordering::Relaxed);
        self.active_model
            .store(model_index(status.active_model), Ordering::Relaxed);
        self.rejected_samples
            .store(status.rejected_samples, Ordering::Relaxed);
    }

    /// Marks the engine as not running (unsupported configuration).
    pub fn publish_stopped(&self) {
        self.sample_rate_bits.store(0, Ordering::Relaxed);
        self.latency_samples.store(0, Ordering::Relaxed);
        self.applied_cutoff_bits.store(0, Ordering::Relaxed);
    }

    /// The latest published snapshot, or `None` when the engine is not running.
    pub fn snapshot(&self) -> Option<EngineStatus> {
        let sample_rate_hz = f32::from_bits(self.sample_rate_bits.load(Ordering::Relaxed));
        if sample_rate_hz == 0.0 {
            return None;
        }
        let detection = match self.detected_cutoff_bits.load(Ordering::Relaxed) {
            0 => Detection::Listening,
            NO_BAND_LIMIT_BITS => Detection::NoBandLimit,
            bits => Detection::BandLimit {
                cutoff_hz: f32::from_bits(bits),
            },
        };
        let applied = self.applied_cutoff_bits.load(Ordering::Relaxed);
        Some(EngineStatus {
            requested_model: model_at(self.requested_model.load(Ordering::Relaxed)),
            active_model: model_at(self.active_model.load(Ordering::Relaxed)),
            detection,
            applied_cutoff_hz: (applied != 0).then(|| f32::from_bits(applied)),
            latency_samples: self.latency_samples.load(Ordering::Relaxed),
            sample_rate_hz,
            rejected_samples: self.rejected_samples.load(Ordering::Relaxed),
        })
    }
}

/// Position of a model in [`ModelKind::ALL`].
fn model_index(model: ModelKind) -> u32 {
    ModelKind::ALL.iter().position(|&m| m == model).unwrap_or(0) as u32
}

/// The model at a position of [`ModelKind::ALL`], SBR when out of range.
fn model_at(index: u32) -> ModelKind {
    ModelKind::ALL
        .get(index as usize)
        .copied()
        .unwrap_or(ModelKind::Sbr)
}
