//! Signal-processing building blocks of the engine: the STFT frame layout and transforms, the
//! windows, spectral band replication (SBR), band-limit detection, input sanitizing and the
//! parameter smoothers. Each module owns one DSP object; all buffers are sized at construction.

pub mod cutoff;
pub mod sanitize;
pub mod sbr;
pub mod smoother;
pub mod stft;
pub mod window;
