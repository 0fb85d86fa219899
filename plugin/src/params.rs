//! The plugin's parameters: stable ids, ranges, and how they map onto engine settings.

use crossbeam_utils::atomic::AtomicCell;
use nice_plug::prelude::*;

use crate::engine::{
    CutoffMode, EngineSettings, Listen, ModelKind, RememberedBand, MAX_CUTOFF_HZ, MIN_CUTOFF_HZ,
};
use crate::inference::model::ProviderChoice;

/// Default manual cutoff in Hz (a 128 kbps MP3's typical low-pass).
pub const DEFAULT_CUTOFF_HZ: f32 = 16_000.0;

/// Output gain range in dB, either side of zero.
pub const OUTPUT_GAIN_RANGE_DB: f32 = 24.0;

/// The model choice as the host sees it. Kept separate from [`ModelKind`] so the engine does
/// not depend on the plugin API; the ids are stable and stored in saved state.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelChoice {
    /// Spectrogram U-Net.
    #[id = "unet"]
    #[name = "Spectral U-Net"]
    SpectralUnet,
    /// DDSP harmonic-plus-noise.
    #[id = "ddsp"]
    #[name = "DDSP"]
    Ddsp,
    /// Spectral band replication.
    #[id = "sbr"]
    #[name = "SBR"]
    Sbr,
}

impl From<ModelChoice> for ModelKind {
    fn from(choice: ModelChoice) -> Self {
        match choice {
            ModelChoice::SpectralUnet => ModelKind::SpectralUnet,
            ModelChoice::Ddsp => ModelKind::Ddsp,
            ModelChoice::Sbr => ModelKind::Sbr,
        }
    }
}

/// What the output carries, as the host sees it. Ids are stored in saved state.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenChoice {
    /// The restored signal.
    #[id = "output"]
    #[name = "Output"]
    Output,
    /// Only what Airlift adds: the generated band and the filled holes.
    #[id = "added"]
    #[name = "Added band only"]
    Added,
    /// Only what Denoise takes out: the clicks and the hiss.
    #[id = "removed"]
    #[name = "Removed noise only"]
    Removed,
}

impl From<ListenChoice> for Listen {
    fn from(choice: ListenChoice) -> Self {
        match choice {
            ListenChoice::Output => Listen::Output,
            ListenChoice::Added => Listen::Added,
            ListenChoice::Removed => Listen::Removed,
        }
    }
}

/// Where neural inference runs, as the host sees it. Ids are stored in saved state.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderParam {
    /// CUDA when it works, else CPU.
    #[id = "auto"]
    #[name = "Auto"]
    Auto,
    /// Always the CPU.
    #[id = "cpu"]
    #[name = "CPU"]
    Cpu,
    /// CUDA, falling back to the CPU with a note.
    #[id = "cuda"]
    #[name = "CUDA"]
    Cuda,
}

impl From<ProviderParam> for ProviderChoice {
    fn from(choice: ProviderParam) -> Self {
        match choice {
            ProviderParam::Auto => ProviderChoice::Auto,
            ProviderParam::Cpu => ProviderChoice::Cpu,
            ProviderParam::Cuda => ProviderChoice::Cuda,
        }
    }
}

/// Every parameter Airlift exposes. The `#[id]` strings are part of saved sessions and
/// automation: never change them.
#[derive(Params)]
pub struct AirliftParams {
    /// Where the generated band starts when auto cutoff is off, in Hz.
    #[id = "cutoff"]
    pub cutoff_hz: FloatParam,
    /// Follow the detected band limit instead of `cutoff_hz`.
    #[id = "auto_cutoff"]
    pub auto_cutoff: BoolParam,
    /// Which generator makes the high band.
    #[id = "model"]
    pub model: EnumParam<ModelChoice>,
    /// Wet/dry mix, 0 to 1 (shown in percent).
    #[id = "mix"]
    pub mix: FloatParam,
    /// Output gain in dB.
    #[id = "output_gain"]
    pub output_gain_db: FloatParam,
    /// Where the neural model runs. Takes effect when the host restarts the plugin.
    #[id = "provider"]
    pub provider: EnumParam<ProviderParam>,
    /// What the output carries: the restored signal, or only what Airlift adds to it.
    #[id = "listen"]
    pub listen: EnumParam<ListenChoice>,
    /// The host's bypass button: the output is the input, delayed by the same latency so the
    /// track does not jump, crossfaded in and out; the model runs on meanwhile.
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// Codec repair: fill the holes a lossy codec left below its band limit (on by default;
    /// off generates only the band above the cutoff).
    #[id = "codec_repair"]
    pub codec_repair: BoolParam,
    /// Denoise, for old recordings: 0 (off, the default) to 1 (shown in percent). Repairs
    /// clicks and turns hiss down before the band is generated.
    #[id = "denoise"]
    pub denoise: FloatParam,
    /// What the band-limit detection settled on, saved with the session (not a parameter:
    /// nothing to automate) so that a reopened session starts from it at its first block.
    /// Written by the audio thread as the detection settles, read on activation and on a
    /// reset; a state loaded while the plugin runs is taken at the next block. Older states
    /// without it load as remembering nothing.
    #[persist = "remembered_band"]
    pub remembered_band: AtomicCell<RememberedBand>,
}

impl Default for AirliftParams {
    fn default() -> Self {
        Self {
            cutoff_hz: FloatParam::new(
                "Cutoff",
                DEFAULT_CUTOFF_HZ,
                FloatRange::Skewed {
                    min: MIN_CUTOFF_HZ,
                    max: MAX_CUTOFF_HZ,
                    // Close to a logarithmic scale: 1 kHz to 22 kHz with ~4.7 kHz at the middle.
                    factor: 0.4,
                },
            )
            .with_unit(" Hz")
            .with_value_to_string(formatters::v2s_f32_rounded(0))
            .with_step_size(1.0),
            auto_cutoff: BoolParam::new("Auto Cutoff", true),
            model: EnumParam::new("Model", ModelChoice::SpectralUnet),
            mix: FloatParam::new("Mix", 1.0, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_unit("%")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
            output_gain_db: FloatParam::new(
                "Output Gain",
                0.0,
                FloatRange::Linear {
                    min: -OUTPUT_GAIN_RANGE_DB,
                    max: OUTPUT_GAIN_RANGE_DB,
                },
            )
            .with_unit(" dB")
            .with_value_to_string(formatters::v2s_f32_rounded(1))
            .with_step_size(0.1),
            provider: EnumParam::new("Execution Provider", ProviderParam::Auto),
            listen: EnumParam::new("Listen", ListenChoice::Output),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            codec_repair: BoolParam::new("Codec Repair", true),
            denoise: FloatParam::new("Denoise", 0.0, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_unit("%")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
            remembered_band: AtomicCell::new(RememberedBand::default()),
        }
    }
}

impl AirliftParams {
    /// The engine settings these parameters ask for right now. Smoothing happens in the engine,
    /// per sample, so the CLI and the plugin smooth identically.
    pub fn engine_settings(&self) -> EngineSettings {
        EngineSettings {
            cutoff: if self.auto_cutoff.value() {
                CutoffMode::Auto
            } else {
                CutoffMode::Manual(self.cutoff_hz.value())
            },
            model: self.model.value().into(),
            mix: self.mix.value(),
            output_gain_db: self.output_gain_db.value(),
            listen: self.listen.value().into(),
            bypass: self.bypass.value(),
            codec_repair: self.codec_repair.value(),
            denoise: self.denoise.value(),
        }
    }
}
