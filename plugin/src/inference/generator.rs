//! The generator seam: what the worker drives frame by frame. The worker keeps the context (the
//! log-magnitudes the model reads, each channel's spectra, the cutoff and the fill weights) and
//! joins every generated band to the input by the fill rule; a generator turns one frame's
//! context into each channel's generated spectrum above the ramp. A new kind of model is one
//! new implementation of [`FrameGenerator`] and one line where the worker picks its generator
//! ([`super::worker`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use realfft::num_complex::Complex;

use super::model::ModelError;
use crate::dsp::sbr::BandLayout;

/// Each channel's spectrum of the frame being generated, as the worker keeps it: one history
/// per channel, the frame at `slot`.
#[derive(Clone, Copy)]
pub struct TargetSpectra<'a> {
    /// Per channel, the spectra of the last frames, `bins` each.
    pub history: &'a [Vec<Complex<f32>>],
    /// Which of them is the frame being generated.
    pub slot: usize,
    /// Bins per spectrum.
    pub bins: usize,
}

impl<'a> TargetSpectra<'a> {
    /// Channel `channel`'s spectrum of the frame being generated.
    pub fn channel(&self, channel: usize) -> &'a [Complex<f32>] {
        &self.history[channel][self.slot * self.bins..(self.slot + 1) * self.bins]
    }
}

/// One frame's context, for a generator.
pub struct GeneratorFrame<'a> {
    /// The model's input `[channels, frames, model_bins]`: log-magnitudes of the past frames
    /// up to the newest (the look-ahead included).
    pub log_mag: &'a [f32],
    /// The cutoff in bins, one per channel, for a model that is told it.
    pub cutoff_bins: &'a [f32],
    /// The band being generated (laid out for this frame's cutoff).
    pub band: &'a BandLayout,
    /// The spectra of the frame being generated.
    pub spectra: TargetSpectra<'a>,
    /// Channels in the frame.
    pub channels: usize,
    /// Bins the model sees per spectrum.
    pub model_bins: usize,
    /// Where the time spent inside `session.run` adds up, for the benchmarks
    /// ([`WorkerTimings::run_nanos`](super::worker::WorkerTimings::run_nanos)).
    pub run_nanos: &'a AtomicU64,
}

impl GeneratorFrame<'_> {
    /// Runs `session_run` (one call of the model) and adds the time it took to
    /// [`run_nanos`](Self::run_nanos).
    pub fn timed_run<T>(&self, session_run: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = session_run();
        self.run_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        result
    }
}

/// A model kind's way from a frame's context to each channel's generated band.
pub trait FrameGenerator: Send {
    /// Back to rest, as at the start of playback (first frame, or frames were dropped):
    /// recurrent state, running phases, synthesizers.
    fn reset(&mut self);

    /// Writes each channel's generated spectrum for `frame` into `generated` (`channels`
    /// spectra of `frame.spectra.bins` bins, one after the other), from the band's ramp up;
    /// the worker fills it into the input. Runs the model: worker thread only.
    fn generate(
        &mut self,
        frame: &GeneratorFrame<'_>,
        generated: &mut [Complex<f32>],
    ) -> Result<(), ModelError>;
}
