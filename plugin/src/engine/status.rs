//! A snapshot of what the engine is doing, for the editor, the log and the CLI.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::dsp::cutoff::Detection;

use crate::model_kind::ModelKind;

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
    /// The corner of an old disc's transfer, when the detector's worn-transfer judge takes the
    /// input for one (whatever the settings).
    pub worn_corner_hz: Option<f32>,
    /// The cutoff that corner sets, when it is in force: auto mode, Denoise on and no band
    /// limit detected.
    pub worn_cutoff_hz: Option<f32>,
    /// Whether that corner is one a saved state remembered, not yet confirmed by the judge
    /// listening now.
    pub worn_corner_remembered: bool,
    /// The reported latency in samples.
    pub latency_samples: u32,
    /// The sample rate the engine runs at.
    pub sample_rate_hz: f32,
    /// Input samples muted because they were NaN, infinite or beyond +60 dBFS.
    pub rejected_samples: u64,
    /// Frames the model was late for, replaced by SBR.
    pub dropouts: u64,
    /// Frames the model failed on (an ONNX Runtime error or a non-finite output), replaced
    /// by SBR.
    pub model_errors: u64,
    /// Whether the model has been late for a while in a row ([`super::STALL_SECONDS`]): SBR
    /// fills in until it is back.
    pub model_stalled: bool,
    /// Whether the model's worker died: SBR runs until the next activation.
    pub model_stopped: bool,
    /// Frames whose high band came from the model.
    pub model_frames: u64,
    /// Clicks Denoise repaired since the last reset, over all channels.
    pub clicks_repaired: u64,
    /// The mains frequency of the hum Denoise found and removes, in Hz (50 or 60), if any.
    pub hum_hz: Option<f32>,
    /// The execution provider of the model ("CPU", "CUDA"), when a model runs.
    pub provider: Option<&'static str>,
    /// The worker's busy time per frame as a fraction of a hop, when a model runs: above 1
    /// it cannot keep up in real time.
    pub inference_load: Option<f32>,
    /// Whether the stream was found to have codec holes below its band limit.
    pub holes_found: bool,
    /// Whether codec holes are being filled (found, and Codec Repair on).
    pub holes_filled: bool,
    /// Whether the band limit in force is one a saved state remembered, not yet confirmed by
    /// the detection now listening.
    pub band_limit_remembered: bool,
}

impl EngineStatus {
    /// Why the requested model is not the one running, if it is not.
    pub fn fallback_reason(&self) -> Option<&'static str> {
        if self.model_stopped {
            return Some(match self.requested_model {
                ModelKind::SpectralUnet => {
                    "Spectral U-Net stopped working. Using SBR until the plugin restarts."
                }
                ModelKind::Ddsp => "DDSP stopped working. Using SBR until the plugin restarts.",
                ModelKind::Sbr => "The model stopped working. Using SBR.",
            });
        }
        if self.model_stalled {
            return Some("The model is not keeping up. SBR fills in until it is back.");
        }
        if self.requested_model == self.active_model {
            return None;
        }
        Some(match self.requested_model {
            ModelKind::SpectralUnet => "Spectral U-Net is not running. Using SBR.",
            ModelKind::Ddsp => "DDSP is not running. Using SBR.",
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
    /// See [`EngineStatus::worn_corner_hz`], as `f32` bits; 0 for none.
    worn_corner_bits: AtomicU32,
    /// See [`EngineStatus::worn_cutoff_hz`], as `f32` bits; 0 for none.
    worn_cutoff_bits: AtomicU32,
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
    /// Model frames replaced by SBR.
    dropouts: AtomicU64,
    /// Frames the model failed on.
    model_errors: AtomicU64,
    /// Frames generated by the model.
    model_frames: AtomicU64,
    /// See [`EngineStatus::clicks_repaired`].
    clicks_repaired: AtomicU64,
    /// 0: no model, 1: CPU, 2: CUDA.
    provider: AtomicU32,
    /// Inference load as `f32` bits; NaN when no model runs.
    inference_load_bits: AtomicU32,
    /// Bit 0: codec holes found; bit 1: being filled; bit 2: the band limit is remembered;
    /// bit 3: the model has stalled; bit 4: the model's worker died; bit 5: 50 Hz hum found;
    /// bit 6: 60 Hz hum found; bit 7: the worn corner is remembered.
    flags: AtomicU32,
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
        self.worn_corner_bits.store(
            status.worn_corner_hz.map_or(0, f32::to_bits),
            Ordering::Relaxed,
        );
        self.worn_cutoff_bits.store(
            status.worn_cutoff_hz.map_or(0, f32::to_bits),
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
        self.dropouts.store(status.dropouts, Ordering::Relaxed);
        self.model_frames
            .store(status.model_frames, Ordering::Relaxed);
        self.clicks_repaired
            .store(status.clicks_repaired, Ordering::Relaxed);
        self.model_errors
            .store(status.model_errors, Ordering::Relaxed);
        let provider = match status.provider {
            None => 0,
            Some("CUDA") => 2,
            Some(_) => 1,
        };
        self.provider.store(provider, Ordering::Relaxed);
        self.inference_load_bits.store(
            status.inference_load.unwrap_or(f32::NAN).to_bits(),
            Ordering::Relaxed,
        );
        self.flags.store(
            u32::from(status.holes_found)
                | u32::from(status.holes_filled) << 1
                | u32::from(status.band_limit_remembered) << 2
                | u32::from(status.model_stalled) << 3
                | u32::from(status.model_stopped) << 4
                | u32::from(status.hum_hz == Some(50.0)) << 5
                | u32::from(status.hum_hz == Some(60.0)) << 6
                | u32::from(status.worn_corner_remembered) << 7,
            Ordering::Relaxed,
        );
    }

    /// Marks the engine as not running (unsupported configuration).
    pub fn publish_stopped(&self) {
        self.sample_rate_bits.store(0, Ordering::Relaxed);
        self.latency_samples.store(0, Ordering::Relaxed);
        self.applied_cutoff_bits.store(0, Ordering::Relaxed);
        self.worn_cutoff_bits.store(0, Ordering::Relaxed);
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
        let hz_of = |bits: u32| (bits != 0).then(|| f32::from_bits(bits));
        let flags = self.flags.load(Ordering::Relaxed);
        Some(EngineStatus {
            requested_model: model_at(self.requested_model.load(Ordering::Relaxed)),
            active_model: model_at(self.active_model.load(Ordering::Relaxed)),
            detection,
            applied_cutoff_hz: hz_of(applied),
            worn_corner_hz: hz_of(self.worn_corner_bits.load(Ordering::Relaxed)),
            worn_cutoff_hz: hz_of(self.worn_cutoff_bits.load(Ordering::Relaxed)),
            worn_corner_remembered: flags & 128 != 0,
            latency_samples: self.latency_samples.load(Ordering::Relaxed),
            sample_rate_hz,
            rejected_samples: self.rejected_samples.load(Ordering::Relaxed),
            dropouts: self.dropouts.load(Ordering::Relaxed),
            model_errors: self.model_errors.load(Ordering::Relaxed),
            model_stalled: flags & 8 != 0,
            model_stopped: flags & 16 != 0,
            model_frames: self.model_frames.load(Ordering::Relaxed),
            clicks_repaired: self.clicks_repaired.load(Ordering::Relaxed),
            hum_hz: if flags & 32 != 0 {
                Some(50.0)
            } else if flags & 64 != 0 {
                Some(60.0)
            } else {
                None
            },
            provider: match self.provider.load(Ordering::Relaxed) {
                0 => None,
                2 => Some("CUDA"),
                _ => Some("CPU"),
            },
            inference_load: Some(f32::from_bits(
                self.inference_load_bits.load(Ordering::Relaxed),
            ))
            .filter(|load| !load.is_nan()),
            holes_found: flags & 1 != 0,
            holes_filled: flags & 2 != 0,
            band_limit_remembered: flags & 4 != 0,
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
