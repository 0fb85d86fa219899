//! The inference worker: one thread per engine, fed by the audio thread through lock-free
//! rings of fixed-size records.
//!
//! Request record (audio → worker), all `f32`: frame index (`u32` bits), cutoff in Hz (0: none),
//! then per channel the frame's spectrum as `bins` real parts and `bins` imaginary parts, then
//! the fill's weights: per bin how much of the band the detector finds missing, per bin how
//! surely a detected band limit vouches for it, then per bin how far the input may be raised
//! ([`FillWeights::from_flat`]).
//! Result record (worker → audio), of the same length: frame index (`u32` bits), 1 or 0 (ok or
//! failed), then per channel the high-band correction spectrum in the same layout. The worker
//! keeps the context and look-ahead frames itself, has its [`FrameGenerator`] (one per kind of
//! model) generate the frame `lookahead` frames back, and fills the generated band into the
//! input by the fill rule ([`write_fill_correction`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_utils::sync::{Parker, Unparker};
use realfft::num_complex::Complex;
use rtrb::{Consumer, Producer, RingBuffer};

use super::generator::{FrameGenerator, GeneratorFrame, TargetSpectra};
use super::harmonic_noise::HarmonicNoiseGenerator;
use super::manifest::{model_bins, KIND_HARMONIC_NOISE, LOG_FLOOR};
use super::model::{LoadedModel, ModelError};
use super::spectral::SpectralGenerator;
use crate::dsp::fill::{write_fill_correction, FillWeights, FILL_WEIGHT_ARRAYS};
use crate::dsp::sbr::BandLayout;
use crate::dsp::stft::StftLayout;

/// Records each ring holds: enough to ride out a few slow frames.
const RING_RECORDS: usize = 8;

/// How long the worker waits before it looks again for space in a full result ring (the
/// audio thread has stopped reading: a stall, not the normal flow, so it is not woken for it).
const RESULT_SPACE_WAIT: Duration = Duration::from_micros(200);

/// Options of the worker that tests and benchmarks set.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerOptions {
    /// Extra time the worker spends on every frame, to force late frames in tests.
    pub injected_delay: Duration,
    /// Faults to inject, for the fault-injection tests: none by default.
    pub faults: InjectedFaults,
}

/// Faults the worker injects at given frames (the engine's frame indices, as requested), so
/// that tests can check what the engine makes of a model that stalls, fails or stops.
#[derive(Debug, Clone, Copy, Default)]
pub struct InjectedFaults {
    /// Before it generates from this request, the worker stalls for this long (a model that
    /// hangs, a machine that preempts the thread).
    pub stall: Option<(u32, Duration)>,
    /// The model run for this request fails, as an ONNX Runtime error would.
    pub error_at: Option<u32>,
    /// At this request the worker thread panics and ends (a model that dies part-way).
    pub panic_at: Option<u32>,
}

/// Sets the worker's "alive" flag to false when the worker thread ends, by return or by
/// panic, so that the engine learns of a worker that died.
struct AliveGuard(Arc<AtomicBool>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Where the worker's time goes, for benchmarks: updated by the worker, read by anyone.
#[derive(Debug, Default)]
pub struct WorkerTimings {
    /// Frames generated.
    pub frames: AtomicU64,
    /// Nanoseconds spent inside `session.run`.
    pub run_nanos: AtomicU64,
    /// Nanoseconds from taking a request to having its result ready (features, run,
    /// synthesis), not counting waits for ring space or injected delays.
    pub handle_nanos: AtomicU64,
    /// The worker's kernel thread id on Linux (0 elsewhere, or before it starts), so that a
    /// benchmark or test can read its CPU time and wake-ups under `/proc/self/task`.
    pub os_thread_id: AtomicU64,
}

/// Sizes of the records for a layout and channel count.
#[derive(Debug, Clone, Copy)]
struct RecordLayout {
    /// Bins per spectrum.
    bins: usize,
    /// Channels per record.
    channels: usize,
}

impl RecordLayout {
    /// Floats in one record (both directions have the same size).
    fn len(&self) -> usize {
        self.weights_offset() + FILL_WEIGHT_ARRAYS * self.bins
    }

    /// Where a request's fill weights (missing, sure, then raise shares) start.
    fn weights_offset(&self) -> usize {
        2 + self.channels * 2 * self.bins
    }
}

/// The audio thread's end of a worker: rings and counters. Dropping it stops and joins the
/// thread, so drop it off the audio thread.
pub struct WorkerLink {
    /// Requests to the worker.
    requests: Producer<f32>,
    /// Results from the worker.
    results: Consumer<f32>,
    /// Record sizes.
    records: RecordLayout,
    /// Future frames the model needs.
    pub lookahead_frames: usize,
    /// Set by the worker while it runs.
    alive: Arc<AtomicBool>,
    /// Set to ask the worker to stop.
    stop: Arc<AtomicBool>,
    /// The worker thread.
    thread: Option<JoinHandle<()>>,
    /// The execution provider in use.
    pub provider: &'static str,
    /// Why the provider differs from the one asked for, if it does.
    pub provider_note: Option<String>,
    /// Name of the model, for the status.
    pub model_name: String,
    /// Where the worker's time goes.
    pub timings: Arc<WorkerTimings>,
    /// Wakes the worker when a request is in: one atomic swap while the worker is busy; while
    /// it sleeps, crossbeam's short internal lock (held by the worker only as it goes to sleep)
    /// and one futex wake. Never allocates.
    wake_worker: Unparker,
    /// Where a non-real-time caller (offline mode) sleeps until the worker has news.
    worker_news: Parker,
}

impl WorkerLink {
    /// Starts a worker running `model` for `channels` channels of `layout`.
    pub fn spawn(
        model: LoadedModel,
        layout: StftLayout,
        channels: usize,
        options: WorkerOptions,
    ) -> std::io::Result<Self> {
        let records = RecordLayout {
            bins: layout.num_bins(),
            channels,
        };
        let (requests, worker_requests) = RingBuffer::new(RING_RECORDS * records.len());
        let (worker_results, results) = RingBuffer::new(RING_RECORDS * records.len());
        let alive = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let lookahead_frames = model.manifest.lookahead_frames;
        let provider = model.provider;
        let provider_note = model.provider_note.clone();
        let model_name = model.manifest.name.clone();
        let timings = Arc::new(WorkerTimings::default());
        let worker_wake = Parker::new();
        let wake_worker = worker_wake.unparker().clone();
        let worker_news = Parker::new();
        let notify_link = worker_news.unparker().clone();
        let mut worker = Worker::new(
            model,
            layout,
            records,
            worker_requests,
            worker_results,
            options,
        );
        worker.timings = timings.clone();
        let (thread_alive, thread_stop) = (alive.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("airlift-inference".into())
            .spawn(move || {
                let _alive = AliveGuard(thread_alive);
                #[cfg(target_os = "linux")]
                // SAFETY: gettid has no preconditions.
                worker
                    .timings
                    .os_thread_id
                    .store(unsafe { libc::gettid() } as u64, Ordering::Release);
                worker.run(&thread_stop, &worker_wake, &notify_link);
            })?;
        Ok(Self {
            requests,
            results,
            records,
            lookahead_frames,
            alive,
            stop,
            thread: Some(thread),
            provider,
            provider_note,
            model_name,
            timings,
            wake_worker,
            worker_news,
        })
    }

    /// Blocks the calling thread until the worker has taken a request or delivered a result,
    /// or `timeout` has passed. For offline mode only: never call it on the audio thread.
    pub fn wait_for_worker(&self, timeout: Duration) {
        self.worker_news.park_timeout(timeout);
    }

    /// The model and where it runs, for the log and the status line.
    pub fn summary(&self) -> String {
        format!("{} on ONNX Runtime ({})", self.model_name, self.provider)
    }

    /// Whether the worker thread still runs: false once it has stopped, or died of a panic.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// Sends one frame. Returns `false` without blocking when the ring is full (the worker is
    /// behind). Real-time safe.
    pub fn try_send(
        &mut self,
        index: u32,
        cutoff_hz: Option<f32>,
        spectra: &[&[Complex<f32>]],
        weights: FillWeights,
    ) -> bool {
        let Ok(mut chunk) = self.requests.write_chunk_uninit(self.records.len()) else {
            return false;
        };
        let bins = self.records.bins;
        let (first, second) = chunk.as_mut_slices();
        let mut slots = first.iter_mut().chain(second.iter_mut());
        let mut put = |value: f32| {
            if let Some(slot) = slots.next() {
                slot.write(value);
            }
        };
        put(f32::from_bits(index));
        put(cutoff_hz.unwrap_or(0.0));
        for spectrum in spectra {
            for bin in &spectrum[..bins] {
                put(bin.re);
            }
            for bin in &spectrum[..bins] {
                put(bin.im);
            }
        }
        for &share in weights.missing[..bins]
            .iter()
            .chain(&weights.sure[..bins])
            .chain(&weights.raise[..bins])
        {
            put(share);
        }
        // SAFETY: every slot of the chunk was written above (the record length is exact).
        unsafe { chunk.commit_all() };
        self.wake_worker.unpark();
        true
    }

    /// Looks for the result of frame `index`, discarding older (late) ones. On success writes
    /// each channel's correction into `corrections` and returns `Some(ok)`; returns `None` when
    /// it has not arrived yet. Real-time safe.
    pub fn try_receive(
        &mut self,
        index: u32,
        corrections: &mut [&mut [Complex<f32>]],
    ) -> Option<bool> {
        let len = self.records.len();
        let bins = self.records.bins;
        loop {
            let chunk = self.results.read_chunk(len).ok()?;
            let (first, second) = chunk.as_slices();
            let at = |i: usize| {
                if i < first.len() {
                    first[i]
                } else {
                    second[i - first.len()]
                }
            };
            let found = at(0).to_bits();
            if found < index {
                chunk.commit_all();
                continue;
            }
            if found > index {
                return None;
            }
            let ok = at(1) != 0.0;
            for (c, correction) in corrections.iter_mut().enumerate() {
                let base = 2 + c * 2 * bins;
                for (k, bin) in correction[..bins].iter_mut().enumerate() {
                    *bin = Complex::new(at(base + k), at(base + bins + k));
                }
            }
            chunk.commit_all();
            return Some(ok);
        }
    }
}

impl Drop for WorkerLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.wake_worker.unpark();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The worker thread's state.
struct Worker {
    /// What turns each frame's context into its generated band: one per kind of model.
    generator: Box<dyn FrameGenerator>,
    /// Frames of context the model reads (the look-ahead included).
    frames: usize,
    /// Future frames the model needs.
    lookahead: usize,
    /// The engine's STFT layout.
    layout: StftLayout,
    /// Record sizes.
    records: RecordLayout,
    /// Incoming frames.
    requests: Consumer<f32>,
    /// Outgoing corrections.
    results: Producer<f32>,
    /// Test options.
    options: WorkerOptions,
    /// Log-magnitudes of the model's bins of the last `frames` frames per channel, indexed by
    /// frame modulo `frames`.
    log_mag_history: Vec<Vec<f32>>,
    /// Spectra of the last `lookahead + 1` frames per channel.
    spectrum_history: Vec<Vec<Complex<f32>>>,
    /// Cutoff of the last `lookahead + 1` frames.
    cutoff_history: Vec<Option<f32>>,
    /// Fill weights (`FILL_WEIGHT_ARRAYS * bins` per frame) of the last `lookahead + 1` frames.
    weights_history: Vec<f32>,
    /// The frame index expected next; a gap resets the history.
    next_index: Option<u32>,
    /// The first frame received since the history was last reset: frames before it were
    /// never received, so no result is made for them (the engine counts them late).
    first_index: u32,
    /// Model input `[channels, frames, model_bins]`.
    input: Vec<f32>,
    /// The bins the model sees ([`model_bins`]): the first ones of every spectrum.
    model_bins: usize,
    /// The band layout of the frame being generated.
    band: BandLayout,
    /// The cutoff `band` was laid out for.
    band_cutoff_hz: Option<f32>,
    /// Whether `band` holds a band.
    band_active: bool,
    /// The result record being built.
    record: Vec<f32>,
    /// The cutoff in bins per channel, for a model that is told it.
    cutoff_bins: Vec<f32>,
    /// Every channel's generated spectrum (`[channels, bins]`).
    generated: Vec<Complex<f32>>,
    /// One channel's correction, before it is copied into the record.
    correction: Vec<Complex<f32>>,
    /// Where the time goes.
    timings: Arc<WorkerTimings>,
}

impl Worker {
    fn new(
        model: LoadedModel,
        layout: StftLayout,
        records: RecordLayout,
        requests: Consumer<f32>,
        results: Producer<f32>,
        options: WorkerOptions,
    ) -> Self {
        let frames = model.manifest.frames();
        let lookahead = model.manifest.lookahead_frames;
        let bins = records.bins;
        let model_bins = model_bins(&layout);
        let channels = records.channels;
        Self {
            generator: generator_for(model, &layout, channels),
            frames,
            lookahead,
            cutoff_bins: vec![0.0; channels],
            generated: vec![Complex::new(0.0, 0.0); channels * bins],
            correction: vec![Complex::new(0.0, 0.0); bins],
            log_mag_history: vec![vec![LOG_FLOOR.ln(); frames * model_bins]; channels],
            spectrum_history: vec![vec![Complex::new(0.0, 0.0); (lookahead + 1) * bins]; channels],
            cutoff_history: vec![None; lookahead + 1],
            weights_history: vec![0.0; (lookahead + 1) * FILL_WEIGHT_ARRAYS * bins],
            next_index: None,
            first_index: 0,
            input: vec![0.0; channels * frames * model_bins],
            model_bins,
            band: BandLayout::with_capacity(&layout),
            band_cutoff_hz: None,
            band_active: false,
            record: vec![0.0; records.len()],
            timings: Arc::default(),
            layout,
            records,
            requests,
            results,
            options,
        }
    }

    /// Takes requests until `stop`: sleeps on `wake` while there are none (the link unparks it
    /// for every request and to stop), and tells `notify_link` whenever it has taken a request
    /// or delivered a result.
    fn run(&mut self, stop: &AtomicBool, wake: &Parker, notify_link: &Unparker) {
        let len = self.records.len();
        while !stop.load(Ordering::Acquire) {
            let Ok(chunk) = self.requests.read_chunk(len) else {
                wake.park();
                continue;
            };
            let started = Instant::now();
            let (first, second) = chunk.as_slices();
            self.record[..first.len()].copy_from_slice(first);
            self.record[first.len()..].copy_from_slice(second);
            chunk.commit_all();
            notify_link.unpark();
            self.inject_before_frame();
            if self.take_frame().is_some() {
                let handled = started.elapsed().as_nanos() as u64;
                self.timings
                    .handle_nanos
                    .fetch_add(handled, Ordering::Relaxed);
                self.timings.frames.fetch_add(1, Ordering::Relaxed);
                if !self.options.injected_delay.is_zero() {
                    std::thread::sleep(self.options.injected_delay);
                }
                while !stop.load(Ordering::Acquire) {
                    if let Ok(mut out) = self.results.write_chunk_uninit(len) {
                        let (a, b) = out.as_mut_slices();
                        for (slot, &value) in a.iter_mut().chain(b.iter_mut()).zip(&self.record) {
                            slot.write(value);
                        }
                        // SAFETY: the record fills the chunk exactly.
                        unsafe { out.commit_all() };
                        notify_link.unpark();
                        break;
                    }
                    wake.park_timeout(RESULT_SPACE_WAIT);
                }
            }
        }
    }

    /// Injects the faults asked for at the request in `self.record`: a stall, or the thread's
    /// death.
    fn inject_before_frame(&self) {
        let index = self.record[0].to_bits();
        let faults = self.options.faults;
        if let Some((at, stall)) = faults.stall {
            if at == index {
                std::thread::sleep(stall);
            }
        }
        if faults.panic_at == Some(index) {
            panic!("injected fault: the inference thread dies at frame {index}");
        }
    }

    /// Files the request in `self.record` into the history and, once the look-ahead is there,
    /// generates the frame `lookahead` back, leaving its result record in `self.record`.
    fn take_frame(&mut self) -> Option<u32> {
        let bins = self.records.bins;
        let model_bins = self.model_bins;
        let (frames, lookahead) = (self.frames, self.lookahead);
        let index = self.record[0].to_bits();
        let cutoff = Some(self.record[1]).filter(|&hz| hz > 0.0);
        if self.next_index != Some(index) {
            // First frame, or frames were dropped: start from silence.
            for history in &mut self.log_mag_history {
                history.fill(LOG_FLOOR.ln());
            }
            for history in &mut self.spectrum_history {
                history.fill(Complex::new(0.0, 0.0));
            }
            self.cutoff_history.fill(None);
            self.generator.reset();
            self.first_index = index;
        }
        self.next_index = Some(index.wrapping_add(1));
        let slot = index as usize % frames;
        let spectrum_slot = index as usize % (lookahead + 1);
        self.cutoff_history[spectrum_slot] = cutoff;
        let weights_at = self.records.weights_offset();
        let weights_len = FILL_WEIGHT_ARRAYS * bins;
        self.weights_history[spectrum_slot * weights_len..(spectrum_slot + 1) * weights_len]
            .copy_from_slice(&self.record[weights_at..weights_at + weights_len]);
        for c in 0..self.records.channels {
            let base = 2 + c * 2 * bins;
            let (re, im) = (
                &self.record[base..base + bins],
                &self.record[base + bins..base + 2 * bins],
            );
            let log_mag = &mut self.log_mag_history[c][slot * model_bins..(slot + 1) * model_bins];
            let spectrum =
                &mut self.spectrum_history[c][spectrum_slot * bins..(spectrum_slot + 1) * bins];
            for k in 0..bins {
                spectrum[k] = Complex::new(re[k], im[k]);
            }
            for (value, bin) in log_mag.iter_mut().zip(spectrum.iter()) {
                *value = (bin.norm() + LOG_FLOOR).ln();
            }
        }
        if (index as usize) < lookahead {
            return None;
        }
        let target = index - lookahead as u32;
        if target < self.first_index {
            // Its spectrum never came (the ring was full while the worker stalled).
            return None;
        }
        let target_slot = target as usize % (lookahead + 1);
        let mut ok = self.generate(index, target_slot).is_ok()
            && self.options.faults.error_at != Some(index);
        if ok && !self.record[2..].iter().all(|v| v.is_finite()) {
            // A model that overflows must not reach the output: the engine uses SBR instead.
            self.record[2..].fill(0.0);
            ok = false;
        }
        self.record[0] = f32::from_bits(target);
        self.record[1] = if ok { 1.0 } else { 0.0 };
        Some(target)
    }

    /// Has the generator generate the frame whose spectrum sits in `target_slot`, with the
    /// frames up to `newest`, and writes the corrections that fill its band into the record.
    fn generate(&mut self, newest: u32, target_slot: usize) -> Result<(), ModelError> {
        let bins = self.records.bins;
        let model_bins = self.model_bins;
        let frames = self.frames;
        let channels = self.records.channels;
        for c in 0..channels {
            for j in 0..frames {
                let age = (frames - 1 - j) as u32;
                let row = (c * frames + j) * model_bins;
                let destination = &mut self.input[row..row + model_bins];
                if age > newest {
                    destination.fill(LOG_FLOOR.ln());
                } else {
                    let slot = (newest - age) as usize % frames;
                    destination.copy_from_slice(
                        &self.log_mag_history[c][slot * model_bins..(slot + 1) * model_bins],
                    );
                }
            }
        }
        self.record[2..].fill(0.0);
        let cutoff = self.cutoff_history[target_slot];
        if cutoff != self.band_cutoff_hz {
            self.band_cutoff_hz = cutoff;
            self.band_active = cutoff.is_some_and(|hz| self.band.configure(&self.layout, hz));
        }
        if !self.band_active {
            return Ok(());
        }
        self.cutoff_bins
            .fill(self.band.cutoff_hz / self.layout.bin_hz());
        let spectra = TargetSpectra {
            history: &self.spectrum_history,
            slot: target_slot,
            bins,
        };
        let frame = GeneratorFrame {
            log_mag: &self.input,
            cutoff_bins: &self.cutoff_bins,
            band: &self.band,
            spectra,
            channels,
            model_bins,
            run_nanos: &self.timings.run_nanos,
        };
        self.generator.generate(&frame, &mut self.generated)?;
        let weights_len = FILL_WEIGHT_ARRAYS * bins;
        let weights = FillWeights::from_flat(
            &self.weights_history[target_slot * weights_len..(target_slot + 1) * weights_len],
        );
        for c in 0..channels {
            write_fill_correction(
                spectra.channel(c),
                &self.generated[c * bins..(c + 1) * bins],
                weights,
                &self.band,
                &mut self.correction,
            );
            write_record_channel(&mut self.record, c, bins, &self.correction);
        }
        Ok(())
    }
}

/// The generator for `model`, by the kind its manifest declares, for `channels` channels of
/// `layout`: the one place that tells the kinds apart. Allocates: call it before the worker
/// starts.
fn generator_for(
    model: LoadedModel,
    layout: &StftLayout,
    channels: usize,
) -> Box<dyn FrameGenerator> {
    if model.manifest.kind == KIND_HARMONIC_NOISE {
        Box::new(HarmonicNoiseGenerator::new(model, layout, channels))
    } else {
        Box::new(SpectralGenerator::new(model, layout, channels))
    }
}

/// Writes channel `channel`'s correction into a result record (real parts, then imaginary).
fn write_record_channel(
    record: &mut [f32],
    channel: usize,
    bins: usize,
    correction: &[Complex<f32>],
) {
    let base = 2 + channel * 2 * bins;
    for (k, bin) in correction.iter().enumerate() {
        record[base + k] = bin.re;
        record[base + bins + k] = bin.im;
    }
}
