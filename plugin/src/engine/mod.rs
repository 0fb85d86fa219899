//! The host-agnostic streaming engine: plain slices in and out, with exact latency.
//!
//! Every channel keeps a ring of the last `latency` input samples. Reading the ring before
//! writing gives the dry signal delayed by exactly the latency. Every hop, each channel's newest
//! frame is analysed, the detector is fed, and the high-band correction (what the generated band
//! adds to the input above the ramp: [`crate::dsp::fill`]) is made, then synthesized and
//! overlap-added. The output is
//! `gain · (dry + mix · correction)`: below the ramp it is the input itself, delayed, whatever
//! the mix; silence in gives exact zeros out. Listening to the added band alone takes `dry` off
//! it, and the host's bypass crossfades to `dry`; both ramp like the mix.
//!
//! With a neural model the frame also goes to the inference worker, and its correction is
//! overlap-added `lookahead + slack` frames later (the latency grows by as many hops). The SBR
//! correction of every frame is kept until then: in real time, a frame whose model result has
//! not arrived gets it instead (the overlap-add crossfades the switch) and the dropout counter
//! rises; offline, the engine waits for every result, so a bounce equals an unhurried run.
//! A frame the model failed on (an ONNX Runtime error, a non-finite output) gets SBR the same
//! way and counts as a model error; a worker that died leaves SBR to generate every frame
//! until the next activation starts a new one. The status says which of these happened.

pub mod remembered;
pub mod requests;
pub mod settings;
pub mod status;

use std::sync::Arc;

use realfft::num_complex::Complex;

use crate::dsp::cutoff::{CutoffDetector, Detection};
use crate::dsp::denoise::{ChannelDenoiser, HissReducer, HumCanceller};
use crate::dsp::fill::{write_fill_correction, FillWeights, FILL_WEIGHT_ARRAYS};
use crate::dsp::holes::HoleFiller;
use crate::dsp::sanitize::checked_sample;
use crate::dsp::sbr::{write_generated, BandLayout, RAMP_OCTAVES};
use crate::dsp::smoother::LinearSmoother;
use crate::dsp::stft::{StftLayout, StftPlans, StftScratch, OVERLAP};
use crate::inference::worker::WorkerLink;

pub use crate::model_kind::ModelKind;
pub use remembered::RememberedBand;
pub use requests::DetectAgain;
pub use settings::{
    CutoffMode, EngineSettings, Listen, MAX_CUTOFF_HZ, MAX_SAMPLE_RATE_HZ, MIN_CUTOFF_HZ,
    MIN_SAMPLE_RATE_HZ,
};
pub use status::{EngineStatus, SharedStatus};

/// Length of the mix, gain, listen and bypass ramps in seconds.
pub const SMOOTHING_SECONDS: f32 = 0.02;

/// Seconds a fresh detection after [`Engine::detect_again`] must keep saying "no band limit"
/// before the band held from the previous one ends (a detection settles within 2 s of sound).
pub const DETECT_AGAIN_NO_LIMIT_SECONDS: f32 = 2.0;

/// With Denoise on and auto cutoff, the band of a worn transfer is generated from this many
/// octaves above the corner its judge finds. Measured on the 23 worn excerpts with the corner
/// given (`worn.py`, Denoise 100 %, U-Net): LSD 1.551 at the corner, 1.522 a quarter octave
/// above, 1.540 half an octave above. Just above the corner the disc still holds its music
/// near its level, and raising it there brings up the hiss with it.
pub const WORN_CUTOFF_ABOVE_CORNER_OCTAVES: f32 = 0.25;

/// Whole hops a model result may take beyond its look-ahead before its frame falls back to SBR.
pub const INFERENCE_SLACK_FRAMES: usize = 2;

/// Seconds of model frames late in a row after which the status says the model has stalled
/// (SBR fills in meanwhile, and the model takes over again when it is back).
pub const STALL_SECONDS: f32 = 0.25;

/// The longest the offline path sleeps before it looks again for ring space or a model
/// result; the worker wakes it as soon as either is there, so this only bounds the wait for a
/// worker that has died.
const OFFLINE_WAIT_LIMIT: std::time::Duration = std::time::Duration::from_millis(20);

/// Whether the engine may wait for the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessingMode {
    /// Never wait: a late model frame is replaced by SBR and counted as a dropout.
    #[default]
    Realtime,
    /// Wait for every model frame (offline bounce, the CLI).
    Offline,
}

/// Most channels a model runs on (the plugin is mono or stereo).
pub const MAX_MODEL_CHANNELS: usize = 2;

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
    /// What was learned ([`Learned`]) comes from an engine at another rate or channel count.
    LearnedElsewhere,
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
            EngineError::LearnedElsewhere => write!(
                f,
                "what was learned comes from an engine at another rate or channel count"
            ),
        }
    }
}

impl std::error::Error for EngineError {}

/// Streaming state of one channel.
struct ChannelState {
    /// The last `latency` sanitized input samples; the slot about to be written holds the sample
    /// from exactly `latency` samples ago (the dry delay line). Frames are cut from its newest
    /// `fft_size` samples.
    ring: Vec<f32>,
    /// Overlap-add accumulator of the correction, aligned with the oldest ring sample.
    overlap_add: Vec<f32>,
    /// The finished correction samples being played out during the current hop.
    correction: Vec<f32>,
    /// This frame's input spectrum.
    spectrum: Vec<Complex<f32>>,
    /// The SBR corrections of the last `delay_frames + 1` frames, by frame index modulo that.
    pending: Vec<Vec<Complex<f32>>>,
    /// The correction being synthesized.
    correction_spectrum: Vec<Complex<f32>>,
    /// The input spectra of the last `delay_frames + 1` frames, for the display.
    analysed: Vec<Vec<Complex<f32>>>,
    /// The fills of codec holes of the last `delay_frames + 1` frames, added to whichever
    /// correction the frame gets.
    hole_fills: Vec<Vec<Complex<f32>>>,
    /// The input with its clicks repaired, laid out as `ring`: frames are cut from it, and the
    /// difference from `ring` is the part of what Denoise removes that lies in the samples.
    cleaned: Vec<f32>,
    /// What Denoise took out of the spectra of the last `delay_frames + 1` frames (the hiss),
    /// synthesized with the frame.
    removed_spectra: Vec<Vec<Complex<f32>>>,
    /// Overlap-add accumulator of the removed hiss, aligned as `overlap_add`.
    removed_overlap_add: Vec<f32>,
    /// The finished removed-hiss samples being played out during the current hop.
    removed: Vec<f32>,
    /// The channel's click repair and hiss reducer.
    denoiser: ChannelDenoiser,
}

/// What an engine learned of the material it heard, to start another engine from it
/// ([`Engine::take_learned`], [`Engine::adopt_learned`]).
pub struct Learned {
    /// The layout it was learned at.
    layout: StftLayout,
    /// The channel count it was learned with.
    channels: usize,
    /// The band-limit detector.
    detector: CutoffDetector,
    /// The codec hole finder.
    holes: HoleFiller,
    /// Each channel's hiss floor, so that Denoise works from the first frame.
    hiss: Vec<HissReducer>,
    /// Each channel's hum canceller, so that hum found anywhere goes from the first sample.
    hum: Vec<HumCanceller>,
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
    /// The band-limit detector, fed with the sum of the channels.
    detector: CutoffDetector,
    /// The SBR band of the channel being processed, before the fill.
    generated: Vec<Complex<f32>>,
    /// The spectrum of the channel being processed with its codec holes filled, which SBR
    /// copies from while Codec Repair fills holes.
    repaired: Vec<Complex<f32>>,
    /// Per bin, what the detector and the engine say for the fill: the missing shares, the
    /// sure shares, then the raise shares ([`FillWeights::from_flat`]).
    fill_weights: Vec<f32>,
    /// The fill's weights with a cutoff set by hand vouching for the band above it, as
    /// `fill_weights` (Denoise blends them in).
    vouched_weights: Vec<f32>,
    /// The replaced band, laid out for `band_request_hz`.
    band: BandLayout,
    /// The cutoff the band was last laid out for (`None`: no cutoff asked for).
    band_request_hz: Option<f32>,
    /// The band limit kept while a new detection listens: the last one after
    /// [`Engine::detect_again`], so the band does not vanish meanwhile, or a remembered one
    /// ([`Engine::remember`]). In auto mode the band is generated above it.
    held_cutoff_hz: Option<f32>,
    /// Whether `held_cutoff_hz` is a remembered band limit that detection has not yet
    /// confirmed.
    held_remembered: bool,
    /// Frames the new detection has said "no band limit" while a cutoff is held.
    held_no_limit_frames: u32,
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
    /// Share of the delayed input in the output before the bypass: 1 to listen to the output,
    /// 0 to listen to what is added.
    dry_share: LinearSmoother,
    /// Per-sample `dry_share` values of the chunk being processed.
    dry_share_values: Vec<f32>,
    /// Share of the output in what is heard: 1 to listen to the output or what is added, 0 to
    /// listen to what Denoise removes.
    output_share: LinearSmoother,
    /// Per-sample `output_share` values of the chunk being processed.
    output_share_values: Vec<f32>,
    /// Share of what Denoise removes taken off what is heard: 0 for the output, 1 for what is
    /// added (the band without the removal) and for what is removed (its negative, the noise).
    removed_share: LinearSmoother,
    /// Per-sample `removed_share` values of the chunk being processed.
    removed_share_values: Vec<f32>,
    /// Whether each slot's removed hiss holds anything, on any channel.
    removed_active: Vec<bool>,
    /// Frames to come whose window may hold a repaired click (the cleaned ring then differs
    /// from the input, and frames are cut from it).
    repaired_frames_left: usize,
    /// Share of the processed signal against the bypass's delayed input: 1 active, 0 bypassed.
    active_share: LinearSmoother,
    /// Per-sample `active_share` values of the chunk being processed.
    active_share_values: Vec<f32>,
    /// The settings of the latest block.
    settings: EngineSettings,
    /// Input samples muted because they were NaN, infinite or huge.
    rejected_samples: u64,
    /// Frames still to come whose window holds a muted sample: the detector does not learn
    /// from them (they are not the music).
    corrupt_frames_left: usize,
    /// Whether this hop's frame went to the detector and waits for its
    /// [`CutoffDetector::finish_frame`] at mid-hop ([`Engine::finish_listening`]).
    detector_pending: bool,
    /// Whether this hop's frame waits for the codec hole finder's flicker count at mid-hop.
    holes_pending: bool,
    /// The inference worker, when a neural model runs.
    worker: Option<WorkerLink>,
    /// The model the worker runs.
    worker_model: Option<ModelKind>,
    /// Frames between analysis and synthesis: the model's look-ahead plus the slack (0 for SBR).
    delay_frames: usize,
    /// Index of the next frame to analyse.
    frame_index: u32,
    /// Whether each pending slot holds a band (`false`: nothing to add for that frame).
    pending_active: Vec<bool>,
    /// Finds and fills codec holes below the band limit.
    holes: HoleFiller,
    /// Whether each slot's hole fill adds anything, on any channel.
    holes_active: Vec<bool>,
    /// The bin at the top of the audible band, up to which holes are counted while no band
    /// limit is detected.
    audible_top_bin: usize,
    /// Whether the engine waits for the model.
    mode: ProcessingMode,
    /// Frames the model was late for (replaced by SBR).
    dropouts: u64,
    /// Model frames late in a row, up to now.
    late_in_a_row: u32,
    /// Frames the model failed on (an ONNX Runtime error or a non-finite output), replaced by
    /// SBR.
    model_errors: u64,
    /// Whether the worker thread has died: SBR generates the band until the next activation
    /// builds a new worker.
    model_stopped: bool,
    /// Frames whose high band came from the model.
    model_frames: u64,
    /// Whether to keep the display spectra (only while an editor shows them).
    display_enabled: bool,
    /// Power per bin of the last synthesized frame's input, summed over channels.
    display_input: Vec<f32>,
    /// Power per bin of the last synthesized frame's output, summed over channels.
    display_output: Vec<f32>,
    /// Whether the display spectra changed since they were last taken.
    display_fresh: bool,
}

impl Engine {
    /// An engine for `channels` channels at `sample_rate_hz`, starting from `settings`.
    /// Allocates everything it will ever use.
    pub fn new(
        sample_rate_hz: f32,
        channels: usize,
        settings: EngineSettings,
    ) -> Result<Self, EngineError> {
        Self::with_worker(
            sample_rate_hz,
            channels,
            settings,
            None,
            ProcessingMode::Realtime,
        )
    }

    /// An engine whose high band comes from `worker` (for the model kind it was started for)
    /// when there is one, SBR otherwise. `mode` says whether it may wait for the model.
    pub fn with_worker(
        sample_rate_hz: f32,
        channels: usize,
        settings: EngineSettings,
        worker: Option<(ModelKind, WorkerLink)>,
        mode: ProcessingMode,
    ) -> Result<Self, EngineError> {
        check_sample_rate(sample_rate_hz)?;
        if channels == 0 {
            return Err(EngineError::NoChannels);
        }
        let layout = StftLayout::for_sample_rate(sample_rate_hz);
        let delay_frames = worker.as_ref().map_or(0, |(_, link)| {
            link.lookahead_frames + INFERENCE_SLACK_FRAMES
        });
        let (worker_model, worker) = match worker {
            Some((kind, link)) => (Some(kind), Some(link)),
            None => (None, None),
        };
        let plans = Arc::new(StftPlans::new(layout));
        let channels: Vec<ChannelState> = (0..channels)
            .map(|_| ChannelState {
                ring: vec![0.0; layout.fft_size + delay_frames * layout.hop_size],
                overlap_add: vec![0.0; layout.fft_size],
                correction: vec![0.0; layout.hop_size],
                spectrum: plans.make_spectrum(),
                pending: (0..=delay_frames).map(|_| plans.make_spectrum()).collect(),
                correction_spectrum: plans.make_spectrum(),
                analysed: (0..=delay_frames).map(|_| plans.make_spectrum()).collect(),
                hole_fills: (0..=delay_frames).map(|_| plans.make_spectrum()).collect(),
                cleaned: vec![0.0; layout.fft_size + delay_frames * layout.hop_size],
                removed_spectra: (0..=delay_frames).map(|_| plans.make_spectrum()).collect(),
                removed_overlap_add: vec![0.0; layout.fft_size],
                removed: vec![0.0; layout.hop_size],
                denoiser: ChannelDenoiser::new(&layout),
            })
            .collect();
        let ramp_samples = (SMOOTHING_SECONDS * sample_rate_hz).round() as u32;
        let holes = HoleFiller::new(layout, channels.len());
        let mut engine = Self {
            layout,
            scratch: plans.make_scratch(),
            plans,
            channels,
            detector: CutoffDetector::new(layout),
            generated: vec![Complex::new(0.0, 0.0); layout.num_bins()],
            repaired: vec![Complex::new(0.0, 0.0); layout.num_bins()],
            fill_weights: vec![0.0; FILL_WEIGHT_ARRAYS * layout.num_bins()],
            vouched_weights: vec![0.0; 2 * layout.num_bins()],
            band: BandLayout::with_capacity(&layout),
            band_request_hz: None,
            held_cutoff_hz: None,
            held_remembered: false,
            held_no_limit_frames: 0,
            band_active: false,
            hop_position: 0,
            ring_position: 0,
            mix: LinearSmoother::new(settings.mix, ramp_samples),
            gain: LinearSmoother::new(db_to_gain(settings.output_gain_db), ramp_samples),
            mix_values: vec![0.0; layout.hop_size],
            gain_values: vec![0.0; layout.hop_size],
            dry_share: LinearSmoother::new(1.0, ramp_samples),
            dry_share_values: vec![0.0; layout.hop_size],
            output_share: LinearSmoother::new(1.0, ramp_samples),
            output_share_values: vec![0.0; layout.hop_size],
            removed_share: LinearSmoother::new(0.0, ramp_samples),
            removed_share_values: vec![0.0; layout.hop_size],
            removed_active: vec![false; delay_frames + 1],
            repaired_frames_left: 0,
            active_share: LinearSmoother::new(1.0, ramp_samples),
            active_share_values: vec![0.0; layout.hop_size],
            settings,
            rejected_samples: 0,
            corrupt_frames_left: 0,
            detector_pending: false,
            holes_pending: false,
            worker,
            worker_model,
            delay_frames,
            frame_index: 0,
            pending_active: vec![false; delay_frames + 1],
            holes,
            holes_active: vec![false; delay_frames + 1],
            audible_top_bin: (crate::dsp::holes::UNLIMITED_TOP_HZ / layout.bin_hz()) as usize,
            mode,
            dropouts: 0,
            late_in_a_row: 0,
            model_errors: 0,
            model_stopped: false,
            model_frames: 0,
            display_enabled: false,
            display_input: vec![0.0; layout.num_bins()],
            display_output: vec![0.0; layout.num_bins()],
            display_fresh: false,
        };
        engine.set_settings(settings);
        engine.reset_ramps();
        Ok(engine)
    }

    /// The delay from input to output in samples: one analysis window, plus the model's
    /// look-ahead and the inference slack in whole hops when a model runs. The same for every
    /// block size; it changes only with the sample rate and the model.
    pub fn latency_samples(&self) -> u32 {
        (self.layout.fft_size + self.delay_frames * self.layout.hop_size) as u32
    }

    /// The STFT layout in use.
    pub fn layout(&self) -> StftLayout {
        self.layout
    }

    /// Number of channels processed.
    pub fn num_channels(&self) -> usize {
        self.channels.len()
    }

    /// Takes new settings; mix, gain, listen and bypass ramp from their current values, the
    /// cutoff applies from the next frame on (the overlap-add crossfades it). No allocation.
    pub fn set_settings(&mut self, settings: EngineSettings) {
        self.settings = settings;
        self.mix.set_target(settings.mix.clamp(0.0, 1.0));
        self.gain.set_target(db_to_gain(settings.output_gain_db));
        let (output_share, removed_share, dry_share) = match settings.listen {
            Listen::Output => (1.0, 0.0, 1.0),
            Listen::Added => (1.0, 1.0, 0.0),
            Listen::Removed => (0.0, 1.0, 1.0),
        };
        self.output_share.set_target(output_share);
        self.removed_share.set_target(removed_share);
        self.dry_share.set_target(dry_share);
        self.active_share
            .set_target(if settings.bypass { 0.0 } else { 1.0 });
    }

    /// Puts every ramp at its target.
    fn reset_ramps(&mut self) {
        for ramp in [
            &mut self.mix,
            &mut self.gain,
            &mut self.dry_share,
            &mut self.output_share,
            &mut self.removed_share,
            &mut self.active_share,
        ] {
            ramp.reset(ramp.target());
        }
    }

    /// Clears all audio state (delay lines, overlap-add, detector), as after a transport jump.
    pub fn reset(&mut self) {
        for channel in &mut self.channels {
            channel.ring.fill(0.0);
            channel.overlap_add.fill(0.0);
            channel.correction.fill(0.0);
            channel.cleaned.fill(0.0);
            channel.removed_overlap_add.fill(0.0);
            channel.removed.fill(0.0);
            channel.denoiser.reset();
        }
        self.pending_active.fill(false);
        self.removed_active.fill(false);
        self.repaired_frames_left = 0;
        self.holes_active.fill(false);
        self.corrupt_frames_left = 0;
        self.detector.reset();
        self.holes.reset();
        self.drop_pending_listening();
        self.band_request_hz = None;
        self.held_cutoff_hz = None;
        self.held_remembered = false;
        self.band_active = false;
        self.hop_position = 0;
        self.ring_position = 0;
        self.reset_ramps();
    }

    /// Starts the band-limit detection afresh, as after a change of material ("Detect again" in
    /// the editor). In auto mode the band keeps its current cutoff until the new detection
    /// settles, within about 2 s of sound. Real-time safe.
    pub fn detect_again(&mut self) {
        self.held_cutoff_hz = self.band_limit_hz();
        self.held_remembered = false;
        self.held_no_limit_frames = 0;
        self.detector.reset();
        self.holes.reset();
        self.drop_pending_listening();
    }

    /// Starts from what a saved state remembers of this material ([`RememberedBand`]), as a
    /// reopened session or an offline bounce from the top does: the detection listens afresh,
    /// and meanwhile the band is generated above the remembered band limit (in auto mode) and
    /// remembered codec holes are filled, from the next frame on. Detection takes over when it
    /// settles, on the same band limit or another; a "no band limit" verdict ends the
    /// remembered band only once it has lasted [`DETECT_AGAIN_NO_LIMIT_SECONDS`], as after
    /// [`Engine::detect_again`]. A remembered worn transfer's corner is the worn-transfer
    /// judge's verdict until its own judgements overturn it, so with Denoise on its band is
    /// generated from the first block too. Remembering nothing is a fresh detection.
    /// Real-time safe.
    pub fn remember(&mut self, remembered: RememberedBand) {
        self.detector.reset();
        self.holes.reset();
        self.drop_pending_listening();
        self.held_no_limit_frames = 0;
        self.held_cutoff_hz = remembered.band_limit_hz();
        self.held_remembered = self.held_cutoff_hz.is_some();
        self.detector
            .assume_worn_corner(remembered.worn_corner_hz());
        if self.held_remembered && remembered.codec_holes {
            self.holes.assume_found();
        }
    }

    /// What a saved state should remember of the material now: the remembered band limit
    /// while detection has not yet confirmed it, else the detection's verdict, with whether
    /// codec holes were found. Nothing while detection listens afresh (after
    /// [`Engine::detect_again`] it forgets what was remembered). Real-time safe.
    pub fn remembered(&self) -> RememberedBand {
        let holes = self.holes.holes_found();
        let band = match (self.held_cutoff_hz, self.detector.detection()) {
            (Some(hz), _) if self.held_remembered => RememberedBand::band_limit(hz, holes),
            (_, Detection::BandLimit { cutoff_hz }) => RememberedBand::band_limit(cutoff_hz, holes),
            (_, Detection::NoBandLimit) => RememberedBand::no_band_limit(),
            (_, Detection::Listening) => RememberedBand::default(),
        };
        band.with_worn_corner(self.detector.worn_corner_hz())
    }

    /// The band limit in force: the one held while a new detection listens, else the
    /// detected one.
    fn band_limit_hz(&self) -> Option<f32> {
        self.held_cutoff_hz
            .or_else(|| self.detector.detection().cutoff_hz())
    }

    /// Takes what the engine learned of the material: the band-limit detector, the codec hole
    /// finder, and each channel's hiss floor and hum canceller, with all they heard. The engine
    /// listens afresh from here. For a second pass over the same material
    /// ([`Engine::adopt_learned`]).
    pub fn take_learned(&mut self) -> Learned {
        self.drop_pending_listening();
        Learned {
            layout: self.layout,
            channels: self.channels.len(),
            detector: std::mem::replace(&mut self.detector, CutoffDetector::new(self.layout)),
            holes: std::mem::replace(
                &mut self.holes,
                HoleFiller::new(self.layout, self.channels.len()),
            ),
            hiss: self
                .channels
                .iter_mut()
                .map(|channel| {
                    channel.denoiser.hear_last_frame();
                    std::mem::replace(&mut channel.denoiser.hiss, HissReducer::new(&self.layout))
                })
                .collect(),
            hum: self
                .channels
                .iter_mut()
                .map(|channel| {
                    std::mem::replace(
                        &mut channel.denoiser.hum,
                        HumCanceller::new(self.layout.sample_rate_hz),
                    )
                })
                .collect(),
        }
    }

    /// Starts from what another engine learned of this material ([`Engine::take_learned`]),
    /// as if it had heard it already: the band limit detected over the whole of it applies
    /// from the first frame, codec holes found in it are filled from the first frame, and
    /// Denoise knows the hiss floor from the first frame and the hum found in it from the first
    /// sample.
    /// Detection runs on, so a band limit that changes part-way is followed as in a first
    /// hearing. The CLI's look-ahead; call it before the first block. Fails when the other
    /// engine ran at another rate or channel count.
    pub fn adopt_learned(&mut self, learned: Learned) -> Result<(), EngineError> {
        if learned.layout != self.layout || learned.channels != self.channels.len() {
            return Err(EngineError::LearnedElsewhere);
        }
        self.detector = learned.detector;
        self.holes = learned.holes;
        for (channel, mut hiss) in self.channels.iter_mut().zip(learned.hiss) {
            hiss.rewind();
            channel.denoiser.hiss = hiss;
        }
        for (channel, mut hum) in self.channels.iter_mut().zip(learned.hum) {
            hum.rewind();
            channel.denoiser.hum = hum;
        }
        self.drop_pending_listening();
        self.holes.rewind();
        self.held_cutoff_hz = None;
        self.held_remembered = false;
        self.band_request_hz = None;
        self.band_active = false;
        Ok(())
    }

    /// What the engine is doing, for the editor, the log and the CLI.
    pub fn status(&self) -> EngineStatus {
        EngineStatus {
            requested_model: self.settings.model,
            active_model: self
                .worker_model
                .filter(|_| !self.model_stopped)
                .unwrap_or(ModelKind::Sbr),
            detection: self.detector.detection(),
            applied_cutoff_hz: self.band_request_hz.filter(|_| self.band_active),
            worn_corner_hz: self.detector.worn_corner_hz(),
            worn_cutoff_hz: self.worn_cutoff_hz(),
            worn_corner_remembered: self.detector.worn_corner_remembered(),
            latency_samples: self.latency_samples(),
            sample_rate_hz: self.layout.sample_rate_hz,
            rejected_samples: self.rejected_samples,
            dropouts: self.dropouts,
            model_errors: self.model_errors,
            model_stalled: !self.model_stopped
                && self.late_in_a_row as f32 >= STALL_SECONDS * self.layout.frames_per_second(),
            model_stopped: self.model_stopped,
            model_frames: self.model_frames,
            clicks_repaired: self
                .channels
                .iter()
                .map(|channel| channel.denoiser.clicks.clicks_repaired())
                .sum(),
            hum_hz: self
                .channels
                .iter()
                .find_map(|channel| channel.denoiser.hum.found_hz())
                .map(|hz| hz as f32),
            provider: self
                .worker
                .as_ref()
                .filter(|_| !self.model_stopped)
                .map(|w| w.provider),
            inference_load: self
                .worker
                .as_ref()
                .filter(|_| !self.model_stopped)
                .map(|w| {
                    use std::sync::atomic::Ordering::Relaxed;
                    let frames = w.timings.frames.load(Relaxed).max(1) as f32;
                    let hop_nanos = self.layout.hop_size as f32 / self.layout.sample_rate_hz * 1e9;
                    w.timings.handle_nanos.load(Relaxed) as f32 / frames / hop_nanos
                }),
            holes_found: self.holes.holes_found(),
            holes_filled: self.holes.holes_found() && self.settings.codec_repair,
            band_limit_remembered: self.held_remembered,
        }
    }

    /// Turns the display spectra on or off. Off (the default), nothing is computed for them.
    pub fn set_display_enabled(&mut self, enabled: bool) {
        self.display_enabled = enabled;
    }

    /// The input and output power per bin of the latest synthesized frame (summed over
    /// channels), if display is on and a frame was synthesized since the last call.
    pub fn take_display(&mut self) -> Option<(&[f32], &[f32])> {
        if !std::mem::take(&mut self.display_fresh) {
            return None;
        }
        Some((&self.display_input, &self.display_output))
    }

    /// The inference worker's timings, when a model runs.
    pub fn worker_timings(
        &self,
    ) -> Option<std::sync::Arc<crate::inference::worker::WorkerTimings>> {
        self.worker.as_ref().map(|w| w.timings.clone())
    }

    /// The band-limit detector, for inspection (its long-term spectrum).
    pub fn detector(&self) -> &CutoffDetector {
        &self.detector
    }

    /// The current band-limit detection.
    pub fn detection(&self) -> Detection {
        self.detector.detection()
    }

    /// The codec-hole finder, for reports (whether holes were found, and their share).
    pub fn holes(&self) -> &HoleFiller {
        &self.holes
    }

    /// Processes one block in place. Every slice is one channel, all of the same length; any
    /// length works, including zero. No allocation, no lock, bounded work.
    pub fn process(&mut self, block: &mut [&mut [f32]]) {
        let len = block.first().map_or(0, |channel| channel.len());
        debug_assert!(block.iter().all(|channel| channel.len() == len));
        debug_assert_eq!(block.len(), self.channels.len());
        let hop = self.layout.hop_size;
        let quarter_hop = hop / 4;
        let mut offset = 0;
        while offset < len {
            // Chunks end at every quarter of the hop: at the first and the third, Denoise works
            // on alternate channels between frames; at mid-hop, the listening of the last frame is
            // finished; at the end of the hop, the next frame is analysed and synthesized. All
            // by sample position, so the output is the same for every block size, and the work
            // is spread so that no two parts land in one block.
            let stop = (self.hop_position / quarter_hop + 1) * quarter_hop;
            let chunk = (len - offset).min(stop - self.hop_position);
            self.mix.fill(&mut self.mix_values[..chunk]);
            self.gain.fill(&mut self.gain_values[..chunk]);
            self.dry_share.fill(&mut self.dry_share_values[..chunk]);
            self.output_share
                .fill(&mut self.output_share_values[..chunk]);
            self.removed_share
                .fill(&mut self.removed_share_values[..chunk]);
            self.active_share
                .fill(&mut self.active_share_values[..chunk]);
            for (channel, io) in self.channels.iter_mut().zip(block.iter_mut()) {
                let io = &mut io[offset..offset + chunk];
                let ring = &mut channel.ring[self.ring_position..self.ring_position + chunk];
                let cleaned = &mut channel.cleaned[self.ring_position..self.ring_position + chunk];
                let correction = &channel.correction[self.hop_position..self.hop_position + chunk];
                let removed = &channel.removed[self.hop_position..self.hop_position + chunk];
                for i in 0..chunk {
                    let input = match checked_sample(io[i]) {
                        Some(sample) => sample,
                        None => {
                            self.rejected_samples += 1;
                            self.corrupt_frames_left = OVERLAP;
                            0.0
                        }
                    };
                    let dry = ring[i];
                    ring[i] = input;
                    // What Denoise removed from this sample: the repaired click and the hiss.
                    let removal = (cleaned[i] - dry) + removed[i];
                    cleaned[i] = input;
                    let mixed_removal = self.gain_values[i] * self.mix_values[i] * removal;
                    let output = self.gain_values[i]
                        * (dry + self.mix_values[i] * (correction[i] + removal));
                    // Written so that each end of a ramp is exact: the output itself, the
                    // added band alone, what Denoise removed, or the delayed input.
                    let heard = self.output_share_values[i] * output
                        - self.removed_share_values[i] * mixed_removal
                        - (1.0 - self.dry_share_values[i]) * dry;
                    let active = self.active_share_values[i];
                    io[i] = active * heard + (1.0 - active) * dry;
                }
            }
            offset += chunk;
            self.hop_position += chunk;
            self.ring_position = (self.ring_position + chunk) % self.channels[0].ring.len();
            if self.hop_position == quarter_hop {
                self.denoise_between_frames(0);
            }
            if self.hop_position == 2 * quarter_hop {
                self.finish_listening();
            }
            if self.hop_position == 3 * quarter_hop {
                self.denoise_between_frames(1);
            }
            if self.hop_position == hop {
                self.hop_position = 0;
                self.process_frame();
            }
        }
    }

    /// Runs one STFT frame on every channel: analysis, detection, the SBR correction, the
    /// request to the model, and synthesis of the frame whose turn it is.
    fn process_frame(&mut self) {
        let size = self.layout.fft_size;
        let hop = self.layout.hop_size;
        let index = self.frame_index;
        self.frame_index = self.frame_index.wrapping_add(1);
        let ring_len = size + self.delay_frames * hop;
        let newest_start = (self.ring_position + ring_len - size) % ring_len;
        let slots = self.delay_frames + 1;
        let slot = index as usize % slots;
        let denoise = self.settings.denoise.clamp(0.0, 1.0);
        // Denoise goes deeper where the band is generated (as laid out for the last frame).
        let band_start_bin = if self.band_active {
            self.band.cutoff_bin
        } else {
            self.layout.num_bins()
        };
        self.removed_active[slot] = false;
        let cleaned_differs = self.repaired_frames_left > 0;
        self.repaired_frames_left = self.repaired_frames_left.saturating_sub(1);
        for channel in &mut self.channels {
            // The band limit and the codec holes are judged on the input itself, before any
            // click is repaired or hiss turned down: Denoise does not move them.
            analyse(
                &self.plans,
                &mut self.scratch,
                &channel.ring,
                newest_start,
                &mut channel.spectrum,
            );
            if self.display_enabled {
                channel.analysed[slot].copy_from_slice(&channel.spectrum);
            }
            if self.corrupt_frames_left == 0 {
                self.detector.add_channel(&channel.spectrum);
                self.holes.add_channel(&channel.spectrum);
            }
            if cleaned_differs {
                analyse(
                    &self.plans,
                    &mut self.scratch,
                    &channel.cleaned,
                    newest_start,
                    &mut channel.spectrum,
                );
            }
            channel.denoiser.clean_spectrum(
                denoise,
                band_start_bin,
                &mut channel.spectrum,
                &mut channel.removed_spectra[slot],
            );
            self.removed_active[slot] |= denoise > 0.0 && channel.denoiser.hiss.ready();
        }
        // The detector and the hole finder finish listening to this frame at mid-hop, half a
        // hop from this frame's own work: their periodic searches do not add to its block.
        self.detector_pending = self.corrupt_frames_left == 0;
        self.holes_pending = true;
        self.corrupt_frames_left = self.corrupt_frames_left.saturating_sub(1);
        let bins = self.layout.num_bins();
        let vouched_cutoff_hz = self.vouched_cutoff_hz();
        let (detected, raise) = self.fill_weights.split_at_mut(2 * bins);
        self.detector
            .write_fill_weights_holding(self.held_cutoff_hz, detected);
        raise.fill(0.0);
        if let Some(cutoff_hz) = vouched_cutoff_hz {
            // An old recording's surface noise moves like music, so the detector never finds
            // the band above a worn disc's gentle low-pass missing, and the fill would add
            // nothing there. With Denoise on, a cutoff set by hand, or the one the worn
            // transfer's corner sets in auto mode, vouches for that band as a detected band
            // limit does, as far as the amount goes; and what the disc still holds above its
            // corner is its music, attenuated: the fill raises it towards the generated band's
            // level, as far as the amount goes.
            self.detector
                .write_fill_weights_vouched_by(cutoff_hz, &mut self.vouched_weights);
            for (weight, vouched) in detected.iter_mut().zip(&self.vouched_weights) {
                *weight += denoise * (vouched - *weight);
            }
            raise.fill(denoise);
        }
        self.update_held();
        self.update_band();

        self.pending_active[slot] = self.band_active;
        let hole_top_bin = self.hole_top_bin();
        let fill_holes = self.settings.codec_repair && self.holes.holes_found();
        self.holes_active[slot] = false;
        for (c, channel) in self.channels.iter_mut().enumerate() {
            self.holes_active[slot] |= self.holes.write_fill(
                c,
                &channel.spectrum,
                hole_top_bin.unwrap_or(0),
                fill_holes,
                &mut channel.hole_fills[slot],
            );
        }
        for channel in &mut self.channels {
            if self.band_active {
                // SBR copies the low band as Codec Repair leaves it, so that the holes it fills
                // are not copied up into the band; the fill still judges against the input.
                let source = if self.holes_active[slot] {
                    for ((repaired, bin), fill) in self
                        .repaired
                        .iter_mut()
                        .zip(&channel.spectrum)
                        .zip(&channel.hole_fills[slot])
                    {
                        *repaired = bin + fill;
                    }
                    &self.repaired
                } else {
                    &channel.spectrum
                };
                write_generated(source, &self.band, &mut self.generated);
                write_fill_correction(
                    &channel.spectrum,
                    &self.generated,
                    FillWeights::from_flat(&self.fill_weights),
                    &self.band,
                    &mut channel.pending[slot],
                );
            }
        }
        if let Some(worker) = &self.worker {
            // A worker that died is not waited for, nor sent to: SBR carries on alone.
            self.model_stopped |= !worker.is_alive();
        }
        if let Some(worker) = self.worker.as_mut().filter(|_| !self.model_stopped) {
            let cutoff = self.band_request_hz.filter(|_| self.band_active);
            let mut spectra: [&[Complex<f32>]; MAX_MODEL_CHANNELS] = [&[]; MAX_MODEL_CHANNELS];
            for (spectrum, channel) in spectra.iter_mut().zip(&self.channels) {
                *spectrum = &channel.spectrum;
            }
            let spectra = &spectra[..self.channels.len().min(MAX_MODEL_CHANNELS)];
            while !worker.try_send(
                index,
                cutoff,
                spectra,
                FillWeights::from_flat(&self.fill_weights),
            ) && self.mode == ProcessingMode::Offline
                && worker.is_alive()
            {
                worker.wait_for_worker(OFFLINE_WAIT_LIMIT);
            }
        }

        // The frame analysed `delay_frames` ago is synthesized now.
        if (index as usize) < self.delay_frames {
            self.advance_output();
            return;
        }
        let target = index - self.delay_frames as u32;
        let target_slot = target as usize % slots;
        let mut from_model = false;
        let used_channels = self.channels.len().min(MAX_MODEL_CHANNELS);
        if let Some(worker) = self.worker.as_mut().filter(|_| !self.model_stopped) {
            let mut corrections: [&mut [Complex<f32>]; MAX_MODEL_CHANNELS] = Default::default();
            for (correction, channel) in corrections.iter_mut().zip(self.channels.iter_mut()) {
                *correction = &mut channel.correction_spectrum;
            }
            let corrections = &mut corrections[..used_channels];
            let received = loop {
                match worker.try_receive(target, corrections) {
                    None if self.mode == ProcessingMode::Offline && worker.is_alive() => {
                        worker.wait_for_worker(OFFLINE_WAIT_LIMIT);
                    }
                    received => break received,
                }
            };
            match received {
                Some(true) => {
                    from_model = true;
                    self.model_frames += 1;
                    self.late_in_a_row = 0;
                }
                Some(false) => self.model_errors += 1,
                None if worker.is_alive() => {
                    self.dropouts += 1;
                    self.late_in_a_row = self.late_in_a_row.saturating_add(1);
                }
                None => self.model_stopped = true,
            }
        }
        if self.display_enabled {
            self.display_input.fill(0.0);
            self.display_output.fill(0.0);
            self.display_fresh = true;
        }
        let holes_active = self.holes_active[target_slot];
        let removed_active = self.removed_active[target_slot];
        let zero = Complex::new(0.0, 0.0);
        for channel in &mut self.channels {
            let mut spectrum = if from_model {
                Some(&mut channel.correction_spectrum)
            } else if self.pending_active[target_slot] {
                Some(&mut channel.pending[target_slot])
            } else if holes_active {
                channel.correction_spectrum.fill(zero);
                Some(&mut channel.correction_spectrum)
            } else {
                None
            };
            let removed = &mut channel.removed_spectra[target_slot];
            if let Some(spectrum) = spectrum.as_deref_mut().filter(|_| holes_active) {
                for (bin, fill) in spectrum.iter_mut().zip(&channel.hole_fills[target_slot]) {
                    *bin += fill;
                }
            }
            if self.display_enabled {
                for (k, ((input, output), bin)) in self
                    .display_input
                    .iter_mut()
                    .zip(self.display_output.iter_mut())
                    .zip(&channel.analysed[target_slot])
                    .enumerate()
                {
                    let mut out = *bin;
                    if removed_active {
                        out += removed[k];
                    }
                    if let Some(spectrum) = spectrum.as_deref() {
                        out += spectrum[k];
                    }
                    *input += bin.norm_sqr();
                    *output += out.norm_sqr();
                }
            }
            if removed_active {
                synthesize_into(
                    &self.plans,
                    &mut self.scratch,
                    removed,
                    &mut channel.removed_overlap_add,
                );
            }
            if let Some(spectrum) = spectrum {
                synthesize_into(
                    &self.plans,
                    &mut self.scratch,
                    spectrum,
                    &mut channel.overlap_add,
                );
            }
        }
        self.advance_output();
    }

    /// Finishes listening to the last frame, half a hop after it was analysed: the
    /// band-limit detector folds it in (and searches for the edge when it is time), and the
    /// hole finder counts its flickering bins. What they conclude applies from the next frame.
    fn finish_listening(&mut self) {
        if std::mem::take(&mut self.detector_pending) {
            self.detector.finish_frame();
        }
        if std::mem::take(&mut self.holes_pending) {
            let top_bin = self.hole_top_bin().unwrap_or(self.audible_top_bin);
            self.holes.finish_frame(top_bin, self.band_limit_hz());
        }
    }

    /// Denoise's work between frames on the channels whose index has `parity` (0: the first,
    /// third, ...; 1: the second, ...): the hiss floor hears the last frame, hum found is
    /// subtracted from the last hop of samples, and its clicks are repaired. Stereo's two
    /// channels have theirs at a quarter and at three quarters of the hop, away from the
    /// frame's own work and from mid-hop's listening, so that no two of them add up in one
    /// block. The click scan trails the newest sample by up to three quarters of a hop more
    /// than it would at the frame, which the ring's length leaves room for; the next frame is
    /// cut from the samples as they stand.
    fn denoise_between_frames(&mut self, parity: usize) {
        let denoise = self.settings.denoise.clamp(0.0, 1.0);
        let hop = self.layout.hop_size;
        let mut repaired = false;
        for channel in self.channels.iter_mut().skip(parity).step_by(2) {
            channel.denoiser.hear_last_frame();
            repaired |=
                channel
                    .denoiser
                    .hum
                    .cancel(denoise, &mut channel.cleaned, self.ring_position, hop);
            repaired |= channel.denoiser.clicks.repair(
                denoise,
                &mut channel.cleaned,
                self.ring_position,
                hop,
            ) > 0;
        }
        if repaired {
            let ring_len = self.channels[0].ring.len();
            self.repaired_frames_left = ring_len.div_ceil(hop) + 1;
        }
    }

    /// Forgets a frame analysed but not yet finished listening to, when the detector and the
    /// hole finder start afresh.
    fn drop_pending_listening(&mut self) {
        self.detector_pending = false;
        self.holes_pending = false;
    }

    /// Moves the finished hop of the overlap-add to the output queue.
    fn advance_output(&mut self) {
        let size = self.layout.fft_size;
        let hop = self.layout.hop_size;
        for channel in &mut self.channels {
            channel
                .correction
                .copy_from_slice(&channel.overlap_add[..hop]);
            channel.overlap_add.copy_within(hop.., 0);
            channel.overlap_add[size - hop..].fill(0.0);
            channel
                .removed
                .copy_from_slice(&channel.removed_overlap_add[..hop]);
            channel.removed_overlap_add.copy_within(hop.., 0);
            channel.removed_overlap_add[size - hop..].fill(0.0);
        }
    }

    /// The bin below which codec holes are looked for: a semitone under the band limit in
    /// force, and no higher than where the generated band's ramp starts. `None` while there is
    /// none: holes are a codec's signature, and a codec low-passes.
    fn hole_top_bin(&self) -> Option<usize> {
        let detected_hz = self.band_limit_hz()?;
        let below_edge =
            (detected_hz * (-RAMP_OCTAVES).exp2() / self.layout.bin_hz()).floor() as usize;
        Some(if self.band_active {
            below_edge.min(self.band.ramp_start_bin)
        } else {
            below_edge
        })
    }

    /// Ends a held band limit once detection has settled: at once on a band limit, after
    /// [`DETECT_AGAIN_NO_LIMIT_SECONDS`] on "no band limit" (a fresh detection may say so before
    /// it has heard enough at the edge).
    fn update_held(&mut self) {
        if self.held_cutoff_hz.is_none() {
            return;
        }
        match self.detector.detection() {
            Detection::Listening => {}
            Detection::NoBandLimit
                if (self.held_no_limit_frames as f32)
                    < DETECT_AGAIN_NO_LIMIT_SECONDS * self.layout.frames_per_second() =>
            {
                self.held_no_limit_frames += 1;
            }
            _ => {
                self.held_cutoff_hz = None;
                self.held_remembered = false;
            }
        }
    }

    /// In auto mode with Denoise on and no band limit in force, the cutoff that a worn
    /// transfer's corner sets ([`WORN_CUTOFF_ABOVE_CORNER_OCTAVES`] above it), when the
    /// detector's worn-transfer judge takes the input for one.
    fn worn_cutoff_hz(&self) -> Option<f32> {
        if self.settings.cutoff != CutoffMode::Auto
            || self.settings.denoise <= 0.0
            || self.band_limit_hz().is_some()
        {
            return None;
        }
        self.detector.worn_corner_hz().map(|corner_hz| {
            (corner_hz * WORN_CUTOFF_ABOVE_CORNER_OCTAVES.exp2())
                .clamp(MIN_CUTOFF_HZ, MAX_CUTOFF_HZ)
        })
    }

    /// The cutoff that vouches for the band above it with Denoise on: one set by hand, or in
    /// auto mode the one a worn transfer's corner sets ([`Self::worn_cutoff_hz`]).
    fn vouched_cutoff_hz(&self) -> Option<f32> {
        match self.settings.cutoff {
            CutoffMode::Manual(hz) if self.settings.denoise > 0.0 => {
                Some(hz.clamp(MIN_CUTOFF_HZ, MAX_CUTOFF_HZ))
            }
            CutoffMode::Manual(_) => None,
            CutoffMode::Auto => self.worn_cutoff_hz(),
        }
    }

    /// Chooses the cutoff for the next frame and rebuilds the band layout when it moved.
    fn update_band(&mut self) {
        let cutoff_hz = match self.settings.cutoff {
            CutoffMode::Auto => self.band_limit_hz().or_else(|| self.worn_cutoff_hz()),
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

/// The spectrum of the newest frame of `ring` (a channel's ring whose newest frame starts at
/// `newest_start`), windowed for analysis, into `spectrum`.
fn analyse(
    plans: &StftPlans,
    scratch: &mut StftScratch,
    ring: &[f32],
    newest_start: usize,
    spectrum: &mut [Complex<f32>],
) {
    let (older, newer) = ring.split_at(newest_start);
    let frame = newer.iter().chain(older).take(plans.layout.fft_size);
    for ((out, sample), w) in scratch
        .time
        .iter_mut()
        .zip(frame)
        .zip(&plans.analysis_window)
    {
        *out = sample * w;
    }
    // The sizes are fixed at construction, so the transform cannot fail.
    let _ = plans.forward(scratch, spectrum);
}

/// Inverse-transforms `spectrum` (clobbering it) and overlap-adds the frame, windowed for
/// synthesis, into `accumulator`; a frame that came out non-finite is dropped.
fn synthesize_into(
    plans: &StftPlans,
    scratch: &mut StftScratch,
    spectrum: &mut [Complex<f32>],
    accumulator: &mut [f32],
) {
    let _ = plans.inverse(scratch, spectrum);
    let frame = &scratch.time;
    if frame.iter().all(|x| x.is_finite()) {
        for ((acc, x), w) in accumulator
            .iter_mut()
            .zip(frame)
            .zip(&plans.synthesis_window)
        {
            *acc += x * w;
        }
    }
}

/// Whether the engine runs at `sample_rate_hz`: callers check it before loading a model, so
/// the error is about the rate, not the model.
pub fn check_sample_rate(sample_rate_hz: f32) -> Result<(), EngineError> {
    if (MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&sample_rate_hz) {
        Ok(())
    } else {
        Err(EngineError::UnsupportedSampleRate { sample_rate_hz })
    }
}

/// Converts decibels to a linear amplitude factor.
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}
