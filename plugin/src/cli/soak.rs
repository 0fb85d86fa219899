//! `airlift soak`: the engine as a long mastering session runs it, paced in real time, with the
//! figures of the README's "Reliability" section.
//!
//! One audio thread hands blocks to every instance in turn, at the pace of the sample clock: a
//! block of `block_size` samples is due one block period after it was captured, and a block
//! that begins after its deadline restarts the clock there, as an audio interface's stream
//! goes on after an xrun (blocks are never handed out faster than real time). Two things
//! make a block late, and the soak tells them apart: the plugin's own work (the instances'
//! `process` calls together used more than a block period of the thread's CPU time: an
//! overrun; a virtual machine also charges its own interruptions to the running thread's CPU
//! time, so an overrun is the plugin's only where no such gap came), and the machine (the thread woke late, or was not running
//! while it worked: a shared virtual machine's host takes its CPUs away at times, which the
//! soak reads as steal time in `/proc/stat`). Process time is read both ways: wall time, and
//! the audio thread's own CPU time, which a preemption does not inflate. Frames
//! whose model result came late and were filled by SBR are counted too.
//!
//! With one instance (the soak) the run is cut into segments, as an engineer's session goes:
//! every segment is a new activation at another sample rate (48, 44.1, 48, 96 kHz in turn),
//! with the model and the execution provider changed every few segments, and within a segment
//! every parameter is automated, Bypass and Listen are toggled, Detect again is pressed, the
//! transport jumps and the state is saved and loaded again. With several instances (the
//! session-sized load) every instance runs the chosen model at 48 kHz for the whole run.
//!
//! A monitor thread samples the resident memory, the thread count and the CPU time of the
//! process once a second. The input is a recorded-music file (the bundled demo) looped.

use std::f32::consts::TAU;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::audio_file::read_audio;
use crate::dsp::stft::StftLayout;
use crate::engine::{
    CutoffMode, Engine, EngineSettings, Listen, ModelKind, ProcessingMode, RememberedBand,
};
use crate::inference::model::{ProviderChoice, SessionSettings};
use crate::inference::start_model;
use crate::inference::worker::WorkerOptions;

/// The sample rates the soak's segments cycle through.
const SEGMENT_RATES_HZ: [u32; 4] = [48_000, 44_100, 48_000, 96_000];

/// The execution providers the soak's segments cycle through (CUDA falls back to the CPU where
/// there is none, and says so: that path is exercised too).
const SEGMENT_PROVIDERS: [ProviderChoice; 3] = [
    ProviderChoice::Auto,
    ProviderChoice::Cpu,
    ProviderChoice::Cuda,
];

/// The sample rates of the soak's warm-up, one segment of every model at each.
const WARM_UP_RATES_HZ: [u32; 3] = [48_000, 44_100, 96_000];

/// Seconds of the soak's warm-up: a short segment of every model at every rate, so that every
/// one-time cost (loading ONNX Runtime, a model's first session, a sample rate's first FFT
/// plans) is paid before memory is measured, and growth after it is growth over time.
const WARM_UP_SECONDS: f64 = 60.0;

/// The longest block time the histogram holds, in microseconds; longer ones count in its
/// last bucket (the maximum is kept apart, exactly).
const HISTOGRAM_MICROS: usize = 200_000;

/// How often the monitor samples memory, threads and CPU time.
const MONITOR_PERIOD: Duration = Duration::from_secs(1);

/// What a soak run does.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// Minutes of audio, paced in real time.
    pub minutes: f64,
    /// The model the run is about: with one instance it runs in most segments, with several
    /// every instance runs it.
    pub model: ModelKind,
    /// Instances processed by the one audio thread.
    pub instances: usize,
    /// Samples per block.
    pub block_size: usize,
    /// Minutes per segment of the soak (one instance); a new activation starts each.
    pub segment_minutes: f64,
}

/// One sample of the monitor.
#[derive(Debug, Clone, Copy)]
struct MonitorSample {
    /// Seconds since the run started.
    seconds: f64,
    /// Resident memory in bytes.
    resident_bytes: u64,
    /// Threads of the process.
    threads: u64,
    /// CPU time of the process so far (user and system), in seconds.
    cpu_seconds: f64,
    /// Time the machine's host took the CPUs away so far (steal, summed over CPUs), in
    /// seconds.
    steal_seconds: f64,
}

/// Process time per block at one sample rate.
struct BlockTimes {
    /// The sample rate.
    sample_rate_hz: u32,
    /// Blocks per microsecond of process time (index: microseconds).
    histogram: Vec<u64>,
    /// The longest block, in nanoseconds.
    max_nanos: u64,
    /// Blocks measured.
    count: u64,
}

impl BlockTimes {
    fn new(sample_rate_hz: u32) -> Self {
        Self {
            sample_rate_hz,
            histogram: vec![0; HISTOGRAM_MICROS + 1],
            max_nanos: 0,
            count: 0,
        }
    }

    fn add(&mut self, nanos: u64) {
        let micros = (nanos / 1000) as usize;
        self.histogram[micros.min(HISTOGRAM_MICROS)] += 1;
        self.max_nanos = self.max_nanos.max(nanos);
        self.count += 1;
    }

    /// The `share` quantile in microseconds (the upper edge of its bucket).
    fn quantile_micros(&self, share: f64) -> f64 {
        let wanted = (share * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (micros, &n) in self.histogram.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                return micros as f64 + 1.0;
            }
        }
        HISTOGRAM_MICROS as f64
    }

    /// The duration of a block of `block_size` samples at this rate, in microseconds.
    fn block_micros(&self, block_size: usize) -> f64 {
        block_size as f64 / self.sample_rate_hz as f64 * 1e6
    }

    /// The figures of a report row: p50, p99.9, maximum, and the blocks over a quarter of a
    /// block of `block_size` samples.
    fn summary(&self, block_size: usize) -> String {
        let quarter_micros = self.block_micros(block_size) / 4.0;
        format!(
            "p50 {:.0} µs, p99.9 {:.0} µs, max {:.0} µs; {} of {} blocks over a quarter block ({:.0} µs)",
            self.quantile_micros(0.5),
            self.quantile_micros(0.999),
            self.max_nanos as f64 / 1000.0,
            self.over_micros(quarter_micros),
            self.count,
            quarter_micros
        )
    }

    /// Blocks that took longer than `micros`.
    fn over_micros(&self, micros: f64) -> u64 {
        self.histogram
            .iter()
            .enumerate()
            .filter(|(m, _)| *m as f64 >= micros)
            .map(|(_, &n)| n)
            .sum()
    }
}

/// What the soak counted.
#[derive(Default)]
struct Counts {
    /// Blocks finished after their deadline (what an audio interface would hear).
    xruns: u64,
    /// Blocks whose `process` calls together used more than a block period of the audio
    /// thread's CPU time (the plugin's work, and what the machine charged the thread for).
    overruns: u64,
    /// Blocks whose work took longer than a block period of wall time but not of CPU time:
    /// the thread was preempted while it worked.
    preempted: u64,
    /// Model frames filled by SBR because their result came late.
    late_frames: u64,
    /// Model frames that failed.
    failed_frames: u64,
    /// Frames generated by a model.
    model_frames: u64,
    /// Activations (segments times instances).
    activations: u64,
    /// Model switches (a segment whose model differs from the one before).
    model_switches: u64,
    /// State saves and loads.
    state_loads: u64,
    /// Activations whose model did not start (SBR ran instead).
    start_failures: u64,
    /// Blocks whose processing began more than half a block period after they were
    /// captured: the thread woke late (the machine ran something else).
    late_wakeups: u64,
    /// Seconds of audio per instance.
    audio_seconds: f64,
    /// Seconds of wall time.
    wall_seconds: f64,
    /// Whether the audio thread got real-time scheduling.
    realtime_priority: bool,
    /// The process before the first activation.
    before_activation: Option<MonitorSample>,
    /// The process between activations, once every instance was dropped and the allocator
    /// gave back its free memory (`malloc_trim`): what stays from one activation to the next.
    between_activations: Vec<MonitorSample>,
    /// Blocks that began after their deadline, where the stream restarted.
    restarts: u64,
    /// Overruns in the first second after an activation.
    overruns_first_second: u64,
    /// Model frames late while the machine had just stalled the audio thread (it woke late
    /// or was preempted within the reported latency before the frame was due).
    late_frames_after_stall: u64,
}

/// Runs the soak or the session-sized load with `input` (a recorded-music file) looped, and
/// prints its figures as Markdown.
pub fn run(input: &Path, options: &SoakOptions) -> Result<(), String> {
    if options.instances == 0 || options.block_size == 0 {
        return Err("soak needs at least one instance and one sample per block".into());
    }
    let audio = read_audio(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let clip = stereo_clip(&audio.channels);
    let total = Duration::from_secs_f64(options.minutes * 60.0);
    let segment = if options.instances == 1 {
        Duration::from_secs_f64((options.segment_minutes * 60.0).max(5.0))
    } else {
        total
    };

    let clock = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let monitor = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("airlift-soak-monitor".into())
            .spawn(move || monitor(&stop, clock))
            .map_err(|e| e.to_string())?
    };
    let mut counts = Counts {
        realtime_priority: raise_priority(),
        before_activation: read_process(clock),
        ..Counts::default()
    };

    let started = Instant::now();
    let mut times: Vec<BlockTimes> = Vec::new();
    let mut cpu_times: Vec<BlockTimes> = Vec::new();
    let mut remembered = vec![RememberedBand::default(); options.instances];
    let mut segment_index = 0usize;
    let mut previous_model = None;
    let mut position = 0usize;
    while started.elapsed() < total {
        let (rate, model, provider, length) = if options.instances == 1 {
            soak_segment(options.model, segment_index, segment)
        } else {
            (48_000, options.model, ProviderChoice::Auto, total)
        };
        if previous_model.is_some_and(|m| m != model) {
            counts.model_switches += 1;
        }
        previous_model = Some(model);
        // Activation: off the audio thread's clock, as a host stops processing for it.
        let mut engines = Vec::with_capacity(options.instances);
        for saved in &remembered {
            let (engine, started_model) = activate(rate, model, provider, *saved)?;
            if !started_model {
                counts.start_failures += 1;
            }
            engines.push(engine);
        }
        counts.activations += engines.len() as u64;
        let slot = match times.iter().position(|t| t.sample_rate_hz == rate) {
            Some(slot) => slot,
            None => {
                times.push(BlockTimes::new(rate));
                cpu_times.push(BlockTimes::new(rate));
                times.len() - 1
            }
        };
        let left = total.saturating_sub(started.elapsed());
        let run_for = length.min(left);
        let automate = options.instances == 1;
        let outcome = run_segment(
            &mut engines,
            model,
            &clip,
            &mut position,
            rate,
            options.block_size,
            run_for,
            automate,
            &mut times[slot],
            &mut cpu_times[slot],
        );
        counts.xruns += outcome.xruns;
        counts.overruns += outcome.overruns;
        counts.preempted += outcome.preempted;
        counts.state_loads += outcome.state_loads;
        counts.late_wakeups += outcome.late_wakeups;
        counts.audio_seconds += outcome.audio_seconds;
        counts.late_frames_after_stall += outcome.late_frames_after_stall;
        counts.restarts += outcome.restarts;
        counts.overruns_first_second += outcome.overruns_first_second;
        for (engine, saved) in engines.iter().zip(remembered.iter_mut()) {
            let status = engine.status();
            counts.late_frames += status.dropouts;
            counts.model_frames += status.model_frames;
            counts.failed_frames += status.model_errors;
            *saved = engine.remembered();
        }
        // Deactivation: the workers stop and are joined here, off the audio clock.
        drop(engines);
        give_back_free_memory();
        if let Some(sample) = read_process(clock) {
            counts.between_activations.push(sample);
        }
        segment_index += 1;
    }
    counts.wall_seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Release);
    let samples = monitor.join().map_err(|_| "the monitor thread failed")?;
    report(options, &counts, &times, &cpu_times, &samples);
    Ok(())
}

/// The sample rate, model, provider and length of segment `index` of a soak about `base`
/// whose regular segments last `segment`. The warm-up comes first: one short segment of every
/// model at every rate of [`WARM_UP_RATES_HZ`], [`WARM_UP_SECONDS`] in all. The regular
/// segments follow, with the rates of [`SEGMENT_RATES_HZ`] and the models of
/// [`segment_model`] in turn.
fn soak_segment(
    base: ModelKind,
    index: usize,
    segment: Duration,
) -> (u32, ModelKind, ProviderChoice, Duration) {
    let models = ModelKind::ALL.len();
    let warm_up_segments = models * WARM_UP_RATES_HZ.len();
    if index < warm_up_segments {
        let length = Duration::from_secs_f64(WARM_UP_SECONDS / warm_up_segments as f64);
        return (
            WARM_UP_RATES_HZ[index / models],
            ModelKind::ALL[index % models],
            SEGMENT_PROVIDERS[(index + index / models) % SEGMENT_PROVIDERS.len()],
            length,
        );
    }
    let regular = index - warm_up_segments;
    (
        SEGMENT_RATES_HZ[regular % SEGMENT_RATES_HZ.len()],
        segment_model(base, regular),
        SEGMENT_PROVIDERS[regular % SEGMENT_PROVIDERS.len()],
        segment,
    )
}

/// Hands the allocator's free memory back to the system (glibc's `malloc_trim`), so that the
/// resident memory read next is what is still allocated rather than what the allocator keeps
/// cached: what a leak would grow.
fn give_back_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The model of regular segment `index` of a soak about `base`: `base` in three segments of
/// four, the other models in turn in the fourth, so that every switch is exercised.
fn segment_model(base: ModelKind, index: usize) -> ModelKind {
    if index % 4 != 3 {
        return base;
    }
    let others: Vec<ModelKind> = ModelKind::ALL
        .iter()
        .copied()
        .filter(|&m| m != base)
        .collect();
    others[(index / 4) % others.len()]
}

/// A new engine at `rate` running `model` on `provider`, remembering `saved`, as the plugin's
/// `activate` builds it; and whether the model started (else SBR runs).
fn activate(
    rate: u32,
    model: ModelKind,
    provider: ProviderChoice,
    saved: RememberedBand,
) -> Result<(Engine, bool), String> {
    let settings = EngineSettings {
        model,
        ..EngineSettings::default()
    };
    let worker = if model == ModelKind::Sbr {
        None
    } else {
        let session = SessionSettings {
            provider,
            ..SessionSettings::default()
        };
        let layout = StftLayout::for_sample_rate(rate as f32);
        match start_model(model, layout, 2, session, WorkerOptions::default()) {
            Ok(link) => Some((model, link)),
            Err(error) => {
                eprintln!("soak: {error}; SBR runs instead");
                None
            }
        }
    };
    let started_model = worker.is_some() || model == ModelKind::Sbr;
    let mut engine =
        Engine::with_worker(rate as f32, 2, settings, worker, ProcessingMode::Realtime)
            .map_err(|e| e.to_string())?;
    engine.remember(saved);
    Ok((engine, started_model))
}

/// What one segment counted.
struct SegmentOutcome {
    /// Blocks finished after their deadline.
    xruns: u64,
    /// Blocks whose `process` calls used more than a block period of CPU time.
    overruns: u64,
    /// Blocks whose work took over a block period of wall time but not of CPU time.
    preempted: u64,
    /// State saves and loads.
    state_loads: u64,
    /// Blocks whose processing began over half a period late.
    late_wakeups: u64,
    /// Seconds of audio processed.
    audio_seconds: f64,
    /// Model frames late within the reported latency after the machine stalled the audio
    /// thread (a late wake-up or a preemption).
    late_frames_after_stall: u64,
    /// Blocks that began after their deadline, where the stream restarted.
    restarts: u64,
    /// Overruns in the first second after the activation.
    overruns_first_second: u64,
}

/// Paces blocks through `engines` for `duration`, automating every parameter when `automate`.
#[allow(clippy::too_many_arguments)]
fn run_segment(
    engines: &mut [Engine],
    model: ModelKind,
    clip: &[Vec<f32>; 2],
    position: &mut usize,
    rate: u32,
    block_size: usize,
    duration: Duration,
    automate: bool,
    times: &mut BlockTimes,
    cpu_times: &mut BlockTimes,
) -> SegmentOutcome {
    let period = Duration::from_secs_f64(block_size as f64 / rate as f64);
    let blocks = (duration.as_secs_f64() / period.as_secs_f64()).ceil() as u64;
    let mut buffers = vec![[vec![0.0f32; block_size], vec![0.0f32; block_size]]; engines.len()];
    let mut outcome = SegmentOutcome {
        xruns: 0,
        overruns: 0,
        preempted: 0,
        state_loads: 0,
        late_wakeups: 0,
        audio_seconds: 0.0,
        late_frames_after_stall: 0,
        restarts: 0,
        overruns_first_second: 0,
    };
    // A model frame is due the reported latency after its first sample came in: a stall of
    // the machine within that window can make it late.
    let stall_window_blocks = engines
        .iter()
        .map(|e| e.latency_samples() as u64 / block_size as u64 + 1)
        .max()
        .unwrap_or(0);
    let mut last_stall_block: Option<u64> = None;
    let mut late_frames: Vec<u64> = engines.iter().map(|e| e.status().dropouts).collect();
    let clip_len = clip[0].len();
    // The clock the blocks are paced by: block `origin_block` is captured at `origin`. After
    // an xrun it restarts from the late block, as an audio interface's stream does: blocks are
    // never handed out faster than real time to catch up.
    let mut origin = Instant::now() + period;
    let mut origin_block = 0u64;
    let first_second_blocks = (1.0 / period.as_secs_f64()).ceil() as u64;
    let mut last_state_second = 0u64;
    let mut last_jump_second = 0u64;
    let mut last_detect_second = 0u64;
    for block in 0..blocks {
        // Block `block` is captured by the end of its period and due one period later.
        let mut captured = origin + period.mul_f64((block - origin_block) as f64);
        let now = Instant::now();
        if now < captured {
            std::thread::sleep(captured - now);
        } else if now > captured + period {
            // Its deadline has passed before it began: the interface has had an xrun and the
            // stream goes on from here.
            outcome.restarts += 1;
            origin = now;
            origin_block = block;
            captured = now;
            last_stall_block = Some(block);
        }
        let due = captured + period;
        if Instant::now() > captured + period / 2 {
            outcome.late_wakeups += 1;
            last_stall_block = Some(block);
        }
        let seconds = block as f64 * period.as_secs_f64();
        let settings = EngineSettings {
            model,
            ..if automate {
                automation(seconds as f32)
            } else {
                EngineSettings::default()
            }
        };
        let whole_second = seconds as u64;
        let save_and_load =
            automate && whole_second % 13 == 12 && whole_second != last_state_second;
        let jump = automate && whole_second % 37 == 36 && whole_second != last_jump_second;
        let detect = automate && whole_second % 31 == 30 && whole_second != last_detect_second;
        let mut work = Duration::ZERO;
        let cpu_before = thread_cpu_nanos();
        let after_stall =
            last_stall_block.is_some_and(|stalled| block - stalled <= stall_window_blocks);
        for ((engine, buffer), late) in engines
            .iter_mut()
            .zip(buffers.iter_mut())
            .zip(late_frames.iter_mut())
        {
            for (channel, source) in buffer.iter_mut().zip(clip.iter()) {
                for (i, sample) in channel.iter_mut().enumerate() {
                    *sample = source[(*position + i) % clip_len];
                }
            }
            let began = Instant::now();
            engine.set_settings(settings);
            if save_and_load {
                // The host saves the state and loads it back, as a session save and reload.
                let saved = engine.remembered();
                engine.remember(saved);
            }
            if jump {
                // A transport jump: the plugin resets and takes up what it remembered.
                let saved = engine.remembered();
                engine.reset();
                engine.remember(saved);
            }
            if detect {
                engine.detect_again();
            }
            let [left, right] = buffer;
            engine.process(&mut [&mut left[..], &mut right[..]]);
            let dropouts = engine.status().dropouts;
            let took = began.elapsed();
            if after_stall {
                outcome.late_frames_after_stall += dropouts - *late;
            }
            *late = dropouts;
            work += took;
            times.add(took.as_nanos() as u64);
        }
        let work_cpu = Duration::from_nanos(thread_cpu_nanos().saturating_sub(cpu_before));
        cpu_times.add(work_cpu.as_nanos() as u64);
        if work_cpu > period {
            outcome.overruns += 1;
            if block < first_second_blocks {
                outcome.overruns_first_second += 1;
            }
        } else if work > period {
            outcome.preempted += 1;
            last_stall_block = Some(block);
        }
        if save_and_load {
            last_state_second = whole_second;
            outcome.state_loads += 1;
        }
        if jump {
            last_jump_second = whole_second;
        }
        if detect {
            last_detect_second = whole_second;
        }
        if Instant::now() > due {
            outcome.xruns += 1;
        }
        *position = (*position + block_size) % clip_len;
        outcome.audio_seconds += period.as_secs_f64();
    }
    outcome
}

/// The soak's automation at `seconds` into a segment: every parameter moves. Mix and gain
/// sweep slowly; the cutoff is auto for 20 s then a manual sweep from 8 to 14 kHz for 20 s;
/// Codec Repair toggles every 17 s; Listen plays the added band for 2 s every 23 s, and what
/// Denoise removed for 2 s every 37 s; Bypass is on for 2 s every 29 s; Denoise rises from 0 to
/// 100 % and falls back every 31 s.
fn automation(seconds: f32) -> EngineSettings {
    let cycle = seconds % 40.0;
    let cutoff = if cycle < 20.0 {
        CutoffMode::Auto
    } else {
        CutoffMode::Manual(8_000.0 + 6_000.0 * (cycle - 20.0) / 20.0)
    };
    EngineSettings {
        cutoff,
        model: ModelKind::Sbr,
        mix: 0.75 + 0.25 * (TAU * seconds / 7.0).sin(),
        output_gain_db: 3.0 * (TAU * seconds / 11.0).sin(),
        listen: if seconds % 23.0 >= 21.0 {
            Listen::Added
        } else if seconds % 37.0 >= 35.0 {
            Listen::Removed
        } else {
            Listen::Output
        },
        bypass: seconds % 29.0 >= 27.0,
        codec_repair: ((seconds / 17.0) as u32).is_multiple_of(2),
        denoise: 1.0 - ((seconds % 31.0) / 15.5 - 1.0).abs(),
    }
}

/// The first two channels of `channels` (a mono file twice).
fn stereo_clip(channels: &[Vec<f32>]) -> [Vec<f32>; 2] {
    let left = channels[0].clone();
    let right = channels.get(1).unwrap_or(&channels[0]).clone();
    [left, right]
}

/// The calling thread's CPU time in nanoseconds (0 where it cannot be read).
fn thread_cpu_nanos() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec it is given.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return 0;
    }
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

/// Asks for real-time scheduling for this (the audio) thread, as a DAW's audio thread has;
/// returns whether it was granted.
fn raise_priority() -> bool {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 10 };
        // SAFETY: sets this thread's own scheduling policy with a valid parameter.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Samples memory, threads and CPU time once a second until `stop`, with times counted from
/// `started`.
fn monitor(stop: &AtomicBool, started: Instant) -> Vec<MonitorSample> {
    let mut samples = Vec::new();
    loop {
        if let Some(sample) = read_process(started) {
            samples.push(sample);
        }
        if stop.load(Ordering::Acquire) {
            return samples;
        }
        std::thread::sleep(MONITOR_PERIOD);
    }
}

/// This process's resident memory, threads and CPU time, from `/proc` (Linux only).
fn read_process(started: Instant) -> Option<MonitorSample> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let resident_bytes = field("VmRSS:")? * 1024;
    let threads = field("Threads:")?;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some(MonitorSample {
        seconds: started.elapsed().as_secs_f64(),
        resident_bytes,
        threads,
        cpu_seconds: (user + system) / ticks,
        steal_seconds: std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|stat| {
                let cpu = stat.lines().next()?.split_whitespace().nth(8)?;
                Some(cpu.parse::<f64>().ok()? / ticks)
            })
            .unwrap_or(0.0),
    })
}

/// Prints the figures.
fn report(
    options: &SoakOptions,
    counts: &Counts,
    times: &[BlockTimes],
    cpu_times: &[BlockTimes],
    samples: &[MonitorSample],
) {
    let (wall_seconds, audio_seconds) = (counts.wall_seconds, counts.audio_seconds);
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "soak: {} instance(s), {} ({}), {}-sample blocks, {:.1} min paced in real time, real-time priority {}",
        options.instances,
        options.model.display_name(),
        if options.instances == 1 {
            "with the other models, 44.1/48/96 kHz and every provider in turn"
        } else {
            "48 kHz"
        },
        options.block_size,
        wall_seconds / 60.0,
        if counts.realtime_priority { "granted" } else { "refused (normal scheduling)" }
    );
    println!();
    println!("| figure | value |");
    println!("|---|---|");
    println!("| audio processed | {:.1} s per instance |", audio_seconds);
    println!("| activations | {} |", counts.activations);
    println!("| model switches | {} |", counts.model_switches);
    println!("| models that did not start | {} |", counts.start_failures);
    println!("| state saves and loads | {} |", counts.state_loads);
    println!(
        "| blocks over a block period of CPU time | {} ({} in the first second after an activation; and {} blocks over a block period of wall time only: preempted) |",
        counts.overruns, counts.overruns_first_second, counts.preempted
    );
    println!(
        "| blocks late (xruns) | {} ({} began over half a block late: the thread woke late; {} began after their deadline, and the stream restarted) |",
        counts.xruns, counts.late_wakeups, counts.restarts
    );
    println!(
        "| model frames late (filled by SBR) | {} of {} ({} within the reported latency after the machine stalled the audio thread, {} otherwise) |",
        counts.late_frames,
        counts.late_frames + counts.model_frames,
        counts.late_frames_after_stall,
        counts.late_frames - counts.late_frames_after_stall
    );
    println!("| model frames failed | {} |", counts.failed_frames);
    for t in times {
        println!(
            "| process time (wall) per instance and block at {:.1} kHz (block {:.0} µs) | {} |",
            t.sample_rate_hz as f64 / 1000.0,
            t.block_micros(options.block_size),
            t.summary(options.block_size)
        );
    }
    for t in cpu_times {
        println!(
            "| the audio thread's CPU time per block, all instances, at {:.1} kHz | {} |",
            t.sample_rate_hz as f64 / 1000.0,
            t.summary(options.block_size)
        );
    }
    if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
        let after_minute = samples.iter().find(|s| s.seconds >= 60.0).unwrap_or(first);
        let peak = samples.iter().map(|s| s.resident_bytes).max().unwrap_or(0);
        println!(
            "| resident memory | {:.1} MiB at the start, {:.1} MiB after the first minute, {:.1} MiB at the end (growth after the first minute {:+.2} MiB), peak {:.1} MiB |",
            mib(first.resident_bytes),
            mib(after_minute.resident_bytes),
            mib(last.resident_bytes),
            mib(last.resident_bytes) - mib(after_minute.resident_bytes),
            mib(peak)
        );
        if let (true, Some(before)) = (options.instances > 1, counts.before_activation) {
            println!(
                "| resident memory per instance | {:.1} MiB ({:.1} MiB before the first activation, {:.1} MiB at the end, over {} instances) |",
                (mib(last.resident_bytes) - mib(before.resident_bytes)) / options.instances as f64,
                mib(before.resident_bytes),
                mib(last.resident_bytes),
                options.instances
            );
        }
        let settled: Vec<&MonitorSample> = counts
            .between_activations
            .iter()
            .filter(|s| s.seconds >= WARM_UP_SECONDS)
            .collect();
        if let (true, Some(warm), Some(end)) =
            (options.instances == 1, settled.first(), settled.last())
        {
            let low = settled.iter().map(|s| s.resident_bytes).min().unwrap_or(0);
            let high = settled.iter().map(|s| s.resident_bytes).max().unwrap_or(0);
            println!(
                "| resident memory between activations, after malloc_trim | {:.2} MiB after the warm-up ({:.0} s), {:.2} MiB at the end (growth {:+.2} MiB), between {:.2} and {:.2} MiB over {} activations |",
                mib(warm.resident_bytes),
                warm.seconds,
                mib(end.resident_bytes),
                mib(end.resident_bytes) - mib(warm.resident_bytes),
                mib(low),
                mib(high),
                settled.len()
            );
            println!(
                "| threads between activations | {} after the warm-up, {} at the end |",
                warm.threads, end.threads
            );
        }
        let max_threads = samples.iter().map(|s| s.threads).max().unwrap_or(0);
        println!(
            "| threads | {} at the start, {} at the end, at most {} |",
            first.threads, last.threads, max_threads
        );
        let cpu = (last.cpu_seconds - first.cpu_seconds) / (last.seconds - first.seconds).max(1e-9);
        println!(
            "| CPU | {:.1} % of one core (the whole process) |",
            cpu * 100.0
        );
        let steal =
            (last.steal_seconds - first.steal_seconds) / (last.seconds - first.seconds).max(1e-9);
        println!(
            "| CPU taken by the machine's host (steal) | {:.1} % of one core |",
            steal * 100.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_up_runs_every_model_at_every_rate_within_its_minute() {
        let regular = Duration::from_secs(180);
        let warm_up_segments = ModelKind::ALL.len() * WARM_UP_RATES_HZ.len();
        let mut seen = Vec::new();
        let mut seconds = 0.0;
        for index in 0..warm_up_segments {
            let (rate, model, _, length) = soak_segment(ModelKind::SpectralUnet, index, regular);
            seen.push((rate, model));
            seconds += length.as_secs_f64();
        }
        for rate in WARM_UP_RATES_HZ {
            for model in ModelKind::ALL {
                assert!(seen.contains(&(rate, model)), "{model:?} at {rate} Hz");
            }
        }
        assert!((seconds - WARM_UP_SECONDS).abs() < 1e-6, "{seconds} s");
        let (rate, model, _, length) =
            soak_segment(ModelKind::SpectralUnet, warm_up_segments, regular);
        assert_eq!(
            (rate, model, length),
            (48_000, ModelKind::SpectralUnet, regular)
        );
    }
}
