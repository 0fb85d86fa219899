//! The harmonic-plus-noise generator (DDSP): the model maps the low band to per-frame controls
//! (fundamentals, harmonic amplitudes, noise band gains) and a recurrent state carried from
//! frame to frame; one [`HarmonicNoiseSynth`] per channel turns the controls into the band.

use realfft::num_complex::Complex;

use super::generator::{FrameGenerator, GeneratorFrame};
use super::model::{HarmonicNoiseControls, LoadedModel, ModelError};
use crate::dsp::ddsp::{FrameControls, HarmonicNoiseSynth};
use crate::dsp::stft::StftLayout;

/// Bins at the foot of the crossfade ramp that get no synthesized noise. Noise drawn anew each
/// frame spreads over the synthesis window's main lobe (two bins each way) in the overlap-add;
/// starting it two bins up keeps that spread out of the low band. The ramp's weight there is
/// under 7 %, so nothing audible is lost.
const NOISE_GUARD_BINS: usize = 2;

/// A harmonic-noise model, its recurrent state and its synthesizers.
pub struct HarmonicNoiseGenerator {
    /// The model.
    model: LoadedModel,
    /// Its outputs for all channels.
    controls: HarmonicNoiseControls,
    /// The recurrent state per channel, `[channels, state]`.
    state: Vec<f32>,
    /// One synthesizer per channel (none for a manifest without synthesis).
    synths: Vec<HarmonicNoiseSynth>,
}

impl HarmonicNoiseGenerator {
    /// A generator running `model` for `channels` channels of `layout`. Allocates.
    pub fn new(model: LoadedModel, layout: &StftLayout, channels: usize) -> Self {
        let bins = layout.num_bins();
        let controls = HarmonicNoiseControls::for_manifest(&model.manifest, channels);
        let synths = model
            .manifest
            .synthesis
            .as_ref()
            .map_or_else(Vec::new, |synthesis| {
                let hop_fraction = layout.hop_size as f32 / layout.fft_size as f32;
                (0..channels)
                    .map(|c| {
                        HarmonicNoiseSynth::new(synthesis.layout(bins, hop_fraction), c as u64)
                    })
                    .collect()
            });
        Self {
            state: vec![0.0; controls.state.len()],
            controls,
            synths,
            model,
        }
    }
}

impl FrameGenerator for HarmonicNoiseGenerator {
    fn reset(&mut self) {
        self.state.fill(0.0);
        for synth in &mut self.synths {
            synth.reset();
        }
    }

    /// Runs the model and synthesizes each channel's band. A channel whose band below the ramp
    /// is digital silence gets nothing: silence stays silent, and its recurrent state goes back
    /// to rest, as at the start of playback. A state that ran on over silence made the music
    /// that resumed after a pause up to 7 dB too bright.
    fn generate(
        &mut self,
        frame: &GeneratorFrame<'_>,
        generated: &mut [Complex<f32>],
    ) -> Result<(), ModelError> {
        let (bins, channels) = (frame.spectra.bins, frame.channels);
        if self.synths.is_empty() {
            // A checked manifest of this kind always has a synthesis; without one, nothing.
            generated.fill(Complex::new(0.0, 0.0));
            return Ok(());
        }
        frame.timed_run(|| {
            self.model.run_harmonic_noise(
                frame.log_mag,
                frame.cutoff_bins,
                &self.state,
                channels,
                frame.model_bins,
                &mut self.controls,
            )
        })?;
        self.state.copy_from_slice(&self.controls.state);
        let state_size = self.state.len() / channels.max(1);
        let band = frame.band;
        let (sources, harmonics, bands) = (
            self.controls.f0_bins.len() / channels,
            self.controls.harmonic_mags.len() / channels,
            self.controls.noise_log_mags.len() / channels,
        );
        for c in 0..channels {
            let spectrum = frame.spectra.channel(c);
            let silent = spectrum[..band.ramp_start_bin]
                .iter()
                .all(|bin| bin.re == 0.0 && bin.im == 0.0);
            let generated = &mut generated[c * bins..(c + 1) * bins];
            if silent {
                generated.fill(Complex::new(0.0, 0.0));
                self.state[c * state_size..(c + 1) * state_size].fill(0.0);
            } else {
                let controls = FrameControls {
                    f0_bins: &self.controls.f0_bins[c * sources..(c + 1) * sources],
                    harmonic_mags: &self.controls.harmonic_mags[c * harmonics..(c + 1) * harmonics],
                    noise_log_mags: &self.controls.noise_log_mags[c * bands..(c + 1) * bands],
                };
                self.synths[c].render(
                    controls,
                    band.ramp_start_bin,
                    band.ramp_start_bin + NOISE_GUARD_BINS,
                    band.end_bin,
                    generated,
                );
            }
        }
        Ok(())
    }
}
