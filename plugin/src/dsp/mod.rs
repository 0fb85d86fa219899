//! Signal-processing building blocks of the engine: the STFT frame layout and transforms, the
//! windows, spectral band replication (SBR), the DDSP harmonic-plus-noise synthesizer, the fill
//! that joins a generated band to the input, band-limit detection, denoising, input sanitizing,
//! the parameter smoothers and the small dense networks evaluated on the audio thread. Each
//! module owns one DSP object; all buffers are sized at construction.

pub mod cutoff;
pub mod ddsp;
pub mod denoise;
pub mod dense;
pub mod fill;
pub mod holes;
pub mod random_phase;
pub mod sanitize;
pub mod sbr;
pub mod smoother;
pub mod stft;
pub mod window;
