//! What the host (or the CLI) asks of the engine, independent of any plugin API.

use crate::model_kind::ModelKind;

/// The lowest sample rate the engine runs at, in Hz.
pub const MIN_SAMPLE_RATE_HZ: f32 = 44_100.0;

/// The highest sample rate the engine runs at, in Hz.
pub const MAX_SAMPLE_RATE_HZ: f32 = 192_000.0;

/// Lowest manual cutoff in Hz.
pub const MIN_CUTOFF_HZ: f32 = 1_000.0;

/// Highest manual cutoff in Hz.
pub const MAX_CUTOFF_HZ: f32 = 22_000.0;

/// How the cutoff is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CutoffMode {
    /// Follow the detected band limit; generate nothing while there is none.
    Auto,
    /// Generate above this frequency in Hz.
    Manual(f32),
}

/// What the output carries: the restored signal, or only what Airlift adds to it, so that an
/// engineer can judge the generated band on its own (restoration tools call it the delta).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Listen {
    /// The restored signal.
    #[default]
    Output,
    /// The output less the input delayed by the latency, and without what Denoise removed:
    /// the generated band and the filled holes. Input plus added less removed equals output.
    Added,
    /// What Denoise took out (the clicks and the hiss), so that an engineer can hear that no
    /// music went with it.
    Removed,
}

/// Everything the engine reads from the parameters, once per block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineSettings {
    /// Where the generated band starts.
    pub cutoff: CutoffMode,
    /// The requested generator.
    pub model: ModelKind,
    /// Wet/dry mix, 0 (dry) to 1 (wet).
    pub mix: f32,
    /// Output gain in dB.
    pub output_gain_db: f32,
    /// What the output carries.
    pub listen: Listen,
    /// The host's bypass: the output is the input delayed by the latency, while the model
    /// runs on so that nothing warms up when the bypass ends.
    pub bypass: bool,
    /// Codec repair: fill the holes a lossy codec left below its band limit, where the
    /// stream is found to have them ([`crate::dsp::holes`]). Off: only the band above the
    /// cutoff is generated.
    pub codec_repair: bool,
    /// Denoise, for old recordings, 0 (off) to 1: how far clicks are repaired and hiss turned
    /// down before the band is generated ([`crate::dsp::denoise`]).
    pub denoise: f32,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            cutoff: CutoffMode::Auto,
            model: ModelKind::Sbr,
            mix: 1.0,
            output_gain_db: 0.0,
            listen: Listen::Output,
            bypass: false,
            codec_repair: true,
            denoise: 0.0,
        }
    }
}
