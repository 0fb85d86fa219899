//! The host-agnostic streaming engine: plain slices in and out, with exact latency.
//!
//! Every channel keeps a ring of the last `fft_size` input samples. Reading the ring before
//! writing gives the dry signal delayed by exactly `fft_size` samples, which is the engine's
//! latency. Every hop, each channel's newest frame is analysed, the detector is fed, and the
//! high-band correction (generated band minus input band, above the ramp only) is synthesized
//! and overlap-added. The output is `gain · (dry + mix · correction)`: below the ramp it is the
//! input itself, delayed, whatever the mix; silence in gives exact zeros out.

pub mod settings;
pub mod status;

use std::sync::Arc;

use realfft::num_complex::Complex;

use crate::dsp::cutoff::{CutoffDetector, Detection};
use crate::dsp::sanitize::checked_sample;
use crate::dsp::sbr::{write_correction, BandLayout};
use crate::dsp::smoother::LinearSmoother;
use crate::dsp::stft::{StftLayout, StftPlans, StftScratch};

pub use settings::{
    CutoffMode, EngineSettings, ModelKind, MAX_CUTOFF_HZ, MAX_SAMPLE_RATE_HZ, MIN_CUTOFF_HZ,
    MIN_SAMPLE_RATE_HZ,
};
pub use status::{EngineStatus, SharedStatus};

/// Length of the mix and gain ramps in seconds.
pub const SMOOTHING_SECONDS: f32 = 0.02;

/// Why an engine could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineError {
    /// The sample rate is outside [`MIN_SAMPLE_RATE_HZ`]..=[`MAX_SAMPLE_RATE_HZ`].
    UnsupportedSampleRate {
        /// The rate asked for.
        sample_rate_hz: f32,
    },
    /// The engine needs at least one channel.
    NoChannels,
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::UnsupportedSampleRate { sample_rate_hz } => write!(
                f,
                "unsupported sample rate {sample_rate_hz} Hz (Airlift runs from {} to {} Hz)",
                MIN_SAMPLE_RATE_HZ, MAX_SAMPLE_RATE_HZ
            ),
            EngineError::NoChannels => write!(f, "no audio channels"),
        }
    }
}

impl std::error::Error for EngineError {}

/// Streaming state of one channel.
struct ChannelState {
    /// The last `fft_size` sanitized input samples; the slot about to be written holds the
    /// sample from exactly `fft_size` samples ago (the dry delay line).
    ring: Vec<f32>,
    /// Overlap-add accumulator of the correction, aligned with the oldest ring sample.
    overlap_add: Vec<f32>,
    /// The finished correction samples being played out during the current hop.
    correction: Vec<f32>,
    /// This frame's spectrum (input, then correction).
    spectrum: Vec<Complex<f32>>,
}

/// The engine: one per plugin instance or CLI render.
pub struct Engine {
    /// Frame size and hop at this sample rate.
    layout: StftLayout,
    /// Shared FFT plans and windows.
    plans: Arc<StftPlans>,
    /// Per-channel streaming state.
    channels: Vec<ChannelState>,
    /// Working buffers of the transforms, shared by the channels in turn.
    scratch: StftScratch,
    /// Correction spectrum being built for one channel.
    correction_spectrum: Vec<Complex<f32>>,
    /// The band-limit detector, fed with the sum of the channels.
    detector: CutoffDetector,
    /// The replaced band, laid out for `band_request_hz`.
    band: BandLayout,
    /// The cutoff the band was last laid out for (`None`: no cutoff asked for).
    band_request_hz: Option<f32>,
    /// Whether `band` holds a band to generate (the request may lie above the top).
    band_active: bool,
    /// Samples into the current hop.
    hop_position: usize,
    /// Next ring slot to write (the same for every channel).
    ring_position: usize,
    /// Wet/dry mix ramp.
    mix: LinearSmoother,
    /// Linear output gain ramp.
    gain: LinearSmoother,
    /// Per-sample mix values of the chunk being processed (one hop at most).
    mix_values: Vec<f32>,
    /// Per-sample gain values of the chunk being processed (one hop at most).
    gain_values: Vec<f32>,
    /// The settings of the latest block.
    settings: EngineSettings,
    /// Input samples muted because they were NaN, infinite or huge.
    rejected_samples: u64,
}

impl Engine {
    /// An engine for `channels` channels at `sample_rate_hz`, starting from `settings`.
    /// Allocates everything it will ever use.
    pub fn new(
        sample_rate_hz: f32,
        channels: usize,
        settings: EngineSettings,
    ) -> Result<Self, EngineError> {
        if !(MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&sample_rate_hz) {
            return Err(EngineError::UnsupportedSampleRate { sample_rate_hz });
        }
        if channels == 0 {
            return Err(EngineError::NoChannels);
        }
        let layout = StftLayout::for_sample_rate(sample_rate_hz);
        let plans = Arc::new(StftPlans::new(layout));
        let channels = (0..channels)
            .map(|_| ChannelState {
                ring: vec![0.0; layout.fft_size],
                overlap_add: vec![0.0; layout.fft_size],
                correction: vec![0.0; layout.hop_size],
                spectrum: plans.make_spectrum(),
            })
            .collect();
        let ramp_samples = (SMOOTHING_SECONDS * sample_rate_hz).round() as u32;
        let mut engine = Self {
            layout,
            scratch: plans.make_scratch(),
            correction_spectrum: plans.make_spectrum(),
            plans,
            channels,
            detector: CutoffDetector::new(layout),
            band: BandLayout::with_capacity(&layout),
            band_request_hz: None,
            band_active: false,
            hop_position: 0,
            ring_position: 0,
            mix: LinearSmoother::new(settings.mix, ramp_samples),
            gain: LinearSmoother::new(db_to_gain(settings.output_gain_db), ramp_samples),
            mix_values: vec![0.0; layout.hop_size],
            gain_values: vec![0.0; layout.hop_size],
            settings,
            rejected_samples: 0,
        };
        engine.set_settings(settings);
        engine.mix.reset(engine.mix.target());
        engine.gain.reset(engine.gain.target());
        Ok(engine)
    }

    /// The delay from input to output in samples: one analysis window. The same for every
    /// block size; it changes only with the sample rate.
    pub fn latency_samples(&self) -> u32 {
        self.layout.fft_size as u32
    }

    /// The STFT layout in use.
    pub fn layout(&self) -> StftLayout {
        self.layout
    }

    /// Number of channels processed.
    pub fn num_channels(&self) -> usize {
        self.channels.len()
    }

    /// Takes new settings; mix and gain ramp from their current values, the cutoff applies from
    /// the next frame on (the overlap-add crossfades it). No allocation.
    pub fn set_settings(&mut self, settings: EngineSettings) {
        self.settings = settings;
        self.mix.set_target(settings.mix.clamp(0.0, 1.0));
        self.gain.set_target(db_to_gain(settings.output_gain_db));
    }

    /// Clears all audio state (delay lines, overlap-add, detector), as after a transport jump.
    pub fn reset(&mut self) {
        for channel in &mut self.channels {
            channel.ring.fill(0.0);
            channel.overlap_add.fill(0.0);
            channel.correction.fill(0.0);
        }
        self.detector.reset();
        self.band_request_hz = None;
        self.band_active = false;
        self.hop_position = 0;
        self.ring_position = 0;
        self.mix.reset(self.mix.target());
        self.gain.reset(self.gain.target());
    }

    /// What the engine is doing, for the editor, the log and the CLI.
    pub fn status(&self) -> EngineStatus {
        EngineStatus {
            requested_model: self.settings.model,
            active_model: ModelKind::Sbr,
            detection: self.detector.detection(),
            applied_cutoff_hz: self.band_request_hz.filter(|_| self.band_active),
            latency_samples: self.latency_samples(),
            sample_rate_hz: self.layout.sample_rate_hz,
            rejected_samples: self.rejected_samples,
        }
    }

    /// The band-limit detector, for inspection (its long-term spectrum).
    pub fn detector(&self) -> &CutoffDetector {
        &self.detector
    }

    /// The current band-limit detection.
    pub fn detection(&self) -> Detection {
        self.detector.detection()
    }

    /// Processes one block in place. Every slice is one channel, all of the same length; any
    /// length works, including zero. No allocation, no lock, bounded work.
    pub fn process(&mut self, block: &mut [&mut [f32]]) {
        let len = block.first().map_or(0, |channel| channel.len());
        debug_assert!(block.iter().all(|channel| channel.len() == len));
        debug_assert_eq!(block.len(), self.channels.len());
        let hop = self.layout.hop_size;
        let mut offset = 0;
        while offset < len {
            let chunk = (len - offset).min(hop - self.hop_position);
            self.mix.fill(&mut self.mix_values[..chunk]);
            self.gain.fill(&mut self.gain_values[..chunk]);
            for (channel, io) in self.channels.iter_mut().zip(block.iter_mut()) {
                let io = &mut io[offset..offset + chunk];
                let ring = &mut channel.ring[self.ring_position..self.ring_position + chunk];
                let correction = &channel.correction[self.hop_position..self.hop_position + chunk];
                for i in 0..chunk {
                    let input = match checked_sample(io[i]) {
                        Some(sample) => sample,
                        None => {
                            self.rejected_samples += 1;
                            0.0
                        }
                    };
                    let dry = ring[i];
                    ring[i] = input;
                    io[i] = self.gain_values[i] * (dry + self.mix_values[i] * correction[i]);
                }
            }
            offset += chunk;
            self.hop_position += chunk;
            self.ring_position = (self.ring_position + chunk) % self.layout.fft_size;
            if self.hop_position == hop {
                self.hop_position = 0;
                self.process_frame();
            }
        }
    }

    /// Runs one STFT frame on every channel: analysis, detection, band generation, synthesis.
    fn process_frame(&mut self) {
        let size = self.layout.fft_size;
        let hop = self.layout.hop_size;
        let oldest = self.ring_position;
        for channel in &mut self.channels {
            let (older, newer) = channel.ring.split_at(oldest);
            let time = &mut self.scratch.time;
            let window = &self.plans.analysis_window;
            for ((out, sample), w) in time.iter_mut().zip(newer.iter().chain(older)).zip(window) {
                *out = sample * w;
            }
            // The sizes are fixed at construction, so the transform cannot fail.
            let _ = self.plans.forward(&mut self.scratch, &mut channel.spectrum);
            self.detector.add_channel(&channel.spectrum);
        }
        self.detector.finish_frame();
        self.update_band();

        for channel in &mut self.channels {
            if self.band_active {
                write_correction(&channel.spectrum, &self.band, &mut self.correction_spectrum);
                let _ = self
                    .plans
                    .inverse(&mut self.scratch, &mut self.correction_spectrum);
                let frame = &self.scratch.time;
                if frame.iter().all(|x| x.is_finite()) {
                    let window = &self.plans.synthesis_window;
                    for ((acc, x), w) in channel.overlap_add.iter_mut().zip(frame).zip(window) {
                        *acc += x * w;
                    }
                }
            }
            channel
                .correction
                .copy_from_slice(&channel.overlap_add[..hop]);
            channel.overlap_add.copy_within(hop.., 0);
            channel.overlap_add[size - hop..].fill(0.0);
        }
    }

    /// Chooses the cutoff for the next frame and rebuilds the band layout when it moved.
    fn update_band(&mut self) {
        let cutoff_hz = match self.settings.cutoff {
            CutoffMode::Auto => self.detector.detection().cutoff_hz(),
            CutoffMode::Manual(hz) => Some(hz.clamp(MIN_CUTOFF_HZ, MAX_CUTOFF_HZ)),
        };
        if cutoff_hz != self.band_request_hz {
            self.band_request_hz = cutoff_hz;
            self.band_active = match cutoff_hz {
                Some(hz) => self.band.configure(&self.layout, hz),
                None => false,
            };
        }
    }
}

/// Converts decibels to a linear amplitude factor.
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}
