//! The spectral generator (the Spectral U-Net): the model predicts the high band's
//! log-magnitude per bin, and each generated bin takes the phase the manifest names: of the
//! band copied up (as SBR would place it), of the input itself, or propagated from frame to
//! frame as a steady sinusoid at the bin's centre.

use realfft::num_complex::Complex;

use super::generator::{FrameGenerator, GeneratorFrame};
use super::manifest::{PHASE_INPUT, PHASE_PROPAGATED};
use super::model::{LoadedModel, ModelError};
use crate::dsp::random_phase::next_phasor;
use crate::dsp::stft::{StftLayout, OVERLAP};

/// A spectral model and the state of its phase.
pub struct SpectralGenerator {
    /// The model.
    model: LoadedModel,
    /// Model output `[channels, model_bins]`: the high band's log-magnitudes.
    output: Vec<f32>,
    /// With propagated phase: each channel's running phase per bin (`[channels, bins]`, unit
    /// phasors).
    propagated: Vec<Complex<f32>>,
}

impl SpectralGenerator {
    /// A generator running `model` for `channels` channels of `layout`. Allocates.
    pub fn new(model: LoadedModel, layout: &StftLayout, channels: usize) -> Self {
        let bins = layout.num_bins();
        Self {
            output: vec![0.0; channels * super::manifest::model_bins(layout)],
            propagated: start_phases(channels * bins),
            model,
        }
    }
}

impl FrameGenerator for SpectralGenerator {
    fn reset(&mut self) {
        reset_phases(&mut self.propagated);
    }

    fn generate(
        &mut self,
        frame: &GeneratorFrame<'_>,
        generated: &mut [Complex<f32>],
    ) -> Result<(), ModelError> {
        let (bins, model_bins) = (frame.spectra.bins, frame.model_bins);
        frame.timed_run(|| {
            self.model.run(
                frame.log_mag,
                frame.cutoff_bins,
                frame.channels,
                model_bins,
                &mut self.output,
            )
        })?;
        let band = frame.band;
        let own_phase = self.model.manifest.phase == PHASE_INPUT;
        let propagate = self.model.manifest.phase == PHASE_PROPAGATED;
        for c in 0..frame.channels {
            let spectrum = frame.spectra.channel(c);
            let high = &self.output[c * model_bins..(c + 1) * model_bins];
            let running = &mut self.propagated[c * bins..(c + 1) * bins];
            if propagate {
                advance_phases(running);
            }
            let generated = &mut generated[c * bins..(c + 1) * bins];
            generated.fill(Complex::new(0.0, 0.0));
            // Above the model's bins (beyond 22.05 or 24 kHz) nothing is generated.
            for k in band.ramp_start_bin..band.end_bin.min(model_bins) {
                let source = if propagate {
                    running[k]
                } else if own_phase {
                    spectrum[k]
                } else {
                    spectrum[band.source_bin[k]]
                };
                let norm = source.norm();
                let phase = if norm > 0.0 {
                    source / norm
                } else {
                    Complex::new(0.0, 0.0)
                };
                generated[k] = phase * high[k].exp();
            }
        }
        Ok(())
    }
}

/// `count` unit phasors at fixed pseudo-random angles: the start of propagated phase, the same
/// on every run so that offline output is repeatable.
fn start_phases(count: usize) -> Vec<Complex<f32>> {
    let mut phases = vec![Complex::new(1.0, 0.0); count];
    reset_phases(&mut phases);
    phases
}

/// Sets `phases` back to their fixed start (no allocation).
fn reset_phases(phases: &mut [Complex<f32>]) {
    let mut seed: u32 = 0x9E37_79B9;
    for phase in phases.iter_mut() {
        *phase = next_phasor(&mut seed);
    }
}

/// Advances every bin's phase by one hop of a steady sinusoid at the bin's centre: a quarter
/// turn per bin index, as the hop is a quarter of the window.
fn advance_phases(phases: &mut [Complex<f32>]) {
    debug_assert_eq!(OVERLAP, 4);
    for (k, phase) in phases.iter_mut().enumerate() {
        *phase = match k % 4 {
            0 => *phase,
            1 => Complex::new(-phase.im, phase.re),
            2 => -*phase,
            _ => Complex::new(phase.im, -phase.re),
        };
    }
}
