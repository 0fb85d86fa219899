//! The vocabulary of model choices that the engine, the inference floor, the parameters and the
//! CLI all speak: which generator makes the high band. It sits below `engine` and `inference`
//! so that neither floor imports the other for it.

/// The generator of the high band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// Spectrogram U-Net that inpaints the high band of the STFT.
    SpectralUnet,
    /// DDSP harmonic-plus-noise model.
    Ddsp,
    /// Spectral band replication: plain DSP, no neural network.
    Sbr,
}

impl ModelKind {
    /// Every model, in the order the parameter lists them.
    pub const ALL: [ModelKind; 3] = [ModelKind::SpectralUnet, ModelKind::Ddsp, ModelKind::Sbr];

    /// Human-readable name, as the plugin and the log show it.
    pub fn display_name(self) -> &'static str {
        match self {
            ModelKind::SpectralUnet => "Spectral U-Net",
            ModelKind::Ddsp => "DDSP",
            ModelKind::Sbr => "SBR",
        }
    }

    /// Name used on the command line (`--model`).
    pub fn cli_name(self) -> &'static str {
        match self {
            ModelKind::SpectralUnet => "unet",
            ModelKind::Ddsp => "ddsp",
            ModelKind::Sbr => "sbr",
        }
    }

    /// Parses a command-line name.
    pub fn from_cli_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|model| model.cli_name().eq_ignore_ascii_case(name))
    }
}
