//! `airlift bench`: the speed figures of the README. `--part engine` (run it on one core): the
//! engine's real-time factor with SBR, Codec Repair's time per frame while it fills, each
//! model's `session.run` time and its engine's real-time factor, and the offline render speed; `--part threads` (on all cores): folder
//! jobs and the inference worker's wake-up.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::ProgressBar;
use realfft::num_complex::Complex;

use super::batch::{plan, run_jobs, Planned};
use super::render::{render_file, RenderOptions};
use crate::audio_file::{write_wav_f32, AudioData, OutputFormat};
use crate::dsp::fill::{FillWeights, FILL_WEIGHT_ARRAYS};
use crate::dsp::holes::HoleFiller;
use crate::dsp::random_phase::next_phasor;
use crate::dsp::stft::StftLayout;
use crate::engine::{CutoffMode, Engine, EngineSettings, ModelKind, ProcessingMode};
use crate::inference::manifest::KIND_HARMONIC_NOISE;
use crate::inference::model::{
    HarmonicNoiseControls, LoadedModel, ProviderChoice, SessionSettings,
};
use crate::inference::registry::find_model;
use crate::inference::start_model;
use crate::inference::worker::WorkerOptions;

/// The two halves of `bench`: one measures a single core, the other needs several.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum BenchPart {
    /// Engine, models and file render, single-threaded.
    Engine,
    /// Folder jobs and the worker's wake-up, across threads.
    Threads,
    /// The heaviest block of each hop alone (part of `engine`), for work on the audio thread's
    /// worst case.
    Blocks,
}

/// Runs `bench`: `seconds` of audio per measurement, one Markdown table row per figure.
pub fn run(seconds: f64, part: BenchPart) -> Result<(), String> {
    println!("| measurement | sample rate | channels | result |");
    println!("|---|---|---|---|");
    if part == BenchPart::Threads {
        bench_folders(seconds)?;
        return bench_worker_wakeup(ModelKind::Ddsp);
    }
    if part == BenchPart::Blocks {
        return bench_heaviest_blocks(seconds);
    }
    for sample_rate_hz in [44_100u32, 48_000, 96_000] {
        let audio = bench_signal(sample_rate_hz, seconds, 2);
        let settings = EngineSettings {
            cutoff: CutoffMode::Manual(11_000.0),
            model: ModelKind::Sbr,
            ..EngineSettings::default()
        };
        let mut engine =
            Engine::new(sample_rate_hz as f32, 2, settings).map_err(|e| e.to_string())?;
        let mut timings = Vec::new();
        for _ in 0..5 {
            timings.push(time_blocks(&mut engine, &audio));
        }
        timings.sort_by(f64::total_cmp);
        let rtf = timings[timings.len() / 2] / seconds;
        println!(
            "| SBR real-time factor (one core, 512-sample blocks, median of 5) | {:.1} kHz | 2 | {:.4} ({:.2} % of a core) |",
            sample_rate_hz as f64 / 1000.0,
            rtf,
            rtf * 100.0
        );
    }

    let worn = worn_bench_signal(48_000, seconds);
    let settings = EngineSettings {
        cutoff: CutoffMode::Manual(11_000.0),
        model: ModelKind::Sbr,
        denoise: 1.0,
        ..EngineSettings::default()
    };
    let mut engine = Engine::new(48_000.0, 2, settings).map_err(|e| e.to_string())?;
    let mut timings: Vec<f64> = (0..5).map(|_| time_blocks(&mut engine, &worn)).collect();
    timings.sort_by(f64::total_cmp);
    let rtf = timings[timings.len() / 2] / seconds;
    println!(
        "| SBR with Denoise 100 % real-time factor (one core, 512-sample blocks, median of 5; a worn signal: hiss, 20 clicks a second) | 48.0 kHz | 2 | {rtf:.4} ({:.2} % of a core) |",
        rtf * 100.0
    );

    bench_heaviest_blocks(seconds)?;
    bench_hole_fill();
    for kind in [ModelKind::SpectralUnet, ModelKind::Ddsp] {
        bench_model(kind, seconds)?;
    }
    bench_file(seconds)
}

/// The real-time factor of an offline engine with a `kind` worker on `audio` (48 kHz stereo) at
/// Denoise `denoise`, and the worker's time per frame beyond `session.run`, in µs.
fn time_with_worker(
    kind: ModelKind,
    audio: &AudioData,
    denoise: f32,
    session: SessionSettings,
) -> Result<(f64, f64), String> {
    let layout = StftLayout::for_sample_rate(audio.sample_rate_hz as f32);
    let settings = EngineSettings {
        cutoff: CutoffMode::Manual(11_000.0),
        model: kind,
        denoise,
        ..EngineSettings::default()
    };
    let link = start_model(kind, layout, 2, session, WorkerOptions::default())?;
    let mut engine = Engine::with_worker(
        layout.sample_rate_hz,
        2,
        settings,
        Some((kind, link)),
        ProcessingMode::Offline,
    )
    .map_err(|e| e.to_string())?;
    let timings = engine.worker_timings().ok_or("no worker")?;
    let rtf = time_blocks(&mut engine, audio) / audio.seconds();
    use std::sync::atomic::Ordering::Relaxed;
    let generated = timings.frames.load(Relaxed).max(1) as f64;
    let overhead_us = (timings.handle_nanos.load(Relaxed) as f64
        - timings.run_nanos.load(Relaxed) as f64)
        / generated
        / 1e3;
    Ok((rtf, overhead_us))
}

/// The audio thread's worst case rather than its average: at 48 kHz stereo in 64-sample blocks
/// (as the soak plays), the time of the heaviest block of each hop, SBR with Denoise at 0 and at
/// 100 % on the worn signal. A frame's work lands in one block, so this is what a small host
/// buffer has to fit, and what the soak's p99.9 follows.
fn bench_heaviest_blocks(seconds: f64) -> Result<(), String> {
    const BLOCK: usize = 64;
    let worn = worn_bench_signal(48_000, seconds);
    let hop = StftLayout::for_sample_rate(48_000.0).hop_size;
    let blocks_per_hop = (hop / BLOCK).max(1);
    for denoise in [0.0f32, 1.0] {
        let settings = EngineSettings {
            cutoff: CutoffMode::Manual(11_000.0),
            model: ModelKind::Sbr,
            denoise,
            ..EngineSettings::default()
        };
        let mut engine = Engine::new(48_000.0, 2, settings).map_err(|e| e.to_string())?;
        let mut block = vec![vec![0.0f32; BLOCK]; 2];
        let mut heaviest = Vec::with_capacity(worn.len() / hop + 1);
        let mut hop_heaviest = 0.0f64;
        for (index, offset) in (0..worn.len() - BLOCK).step_by(BLOCK).enumerate() {
            for (buffer, input) in block.iter_mut().zip(&worn.channels) {
                buffer.copy_from_slice(&input[offset..offset + BLOCK]);
            }
            let mut slices: Vec<&mut [f32]> = block.iter_mut().map(|b| &mut b[..]).collect();
            let start = Instant::now();
            engine.process(&mut slices);
            hop_heaviest = hop_heaviest.max(start.elapsed().as_secs_f64() * 1e6);
            if (index + 1) % blocks_per_hop == 0 {
                heaviest.push(std::mem::take(&mut hop_heaviest));
            }
        }
        // The first second warms the floors and the caches.
        let mut steady = heaviest.split_off(heaviest.len().min(48_000 / hop));
        steady.sort_by(f64::total_cmp);
        let at = |q: f64| steady[((steady.len() - 1) as f64 * q) as usize];
        println!(
            "| SBR{} heaviest 64-sample block of each hop (worn signal, after the first second) | 48.0 kHz | 2 | p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs |",
            if denoise > 0.0 { " with Denoise 100 %," } else { "," },
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
    Ok(())
}

/// Codec Repair's own cost while it fills: the flicker count and the fill of two channels per
/// frame at 48 kHz, on spectra whose bands a codec zeroes in turn (so that the stream is found
/// to have holes and every frame is filled), up to a 10 kHz band limit.
fn bench_hole_fill() {
    let layout = StftLayout::for_sample_rate(48_000.0);
    let bins = layout.num_bins();
    let limit_hz = 10_000.0;
    let top_bin = (limit_hz * (-1.0f32 / 12.0).exp2() / layout.bin_hz()) as usize;
    let mut filler = HoleFiller::new(layout, 2);
    let mut seed = 0x1234_5678_u32;
    let mut correction = vec![Complex::new(0.0, 0.0); bins];
    // Sixteen frames of music-like spectra (falling with frequency), each with a different
    // band zeroed every other frame.
    let spectra: Vec<Vec<Complex<f32>>> = (0..16)
        .map(|frame| {
            let hole = 100 + (frame / 2 % 8) * 40..120 + (frame / 2 % 8) * 40;
            (0..bins)
                .map(|k| {
                    if frame % 2 == 0 && hole.contains(&k) {
                        Complex::new(0.0, 0.0)
                    } else {
                        next_phasor(&mut seed) * (100.0 / (1.0 + k as f32 / 50.0))
                    }
                })
                .collect()
        })
        .collect();
    let mut times = Vec::with_capacity(4000);
    for frame in 0..4000 {
        let spectrum = &spectra[frame % spectra.len()];
        let start = Instant::now();
        for _ in 0..2 {
            filler.add_channel(spectrum);
        }
        filler.finish_frame(top_bin, Some(limit_hz));
        let found = filler.holes_found();
        for channel in 0..2 {
            filler.write_fill(channel, spectrum, top_bin, found, &mut correction);
        }
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let filling = filler.holes_found();
    // The first second finds the holes; the rest fills.
    let mut filled = times.split_off(layout.frames_per_second() as usize);
    filled.sort_by(f64::total_cmp);
    let at = |q: f64| filled[((filled.len() - 1) as f64 * q) as usize];
    println!(
        "| Codec Repair while filling (flicker count and fill, per frame){} | 48.0 kHz | 2 | p50 {:.0} µs, p99 {:.0} µs ({:.2} % of a core) |",
        if filling { "" } else { ": holes not found, not measured" },
        at(0.5),
        at(0.99),
        at(0.5) * layout.frames_per_second() as f64 / 1e4
    );
}

/// The bench signal worn as an old disc: white hiss about 40 dB under it and a click of six
/// samples every 50 ms, so that Denoise has a floor to turn down and clicks to repair.
fn worn_bench_signal(sample_rate_hz: u32, seconds: f64) -> AudioData {
    let mut audio = bench_signal(sample_rate_hz, seconds, 2);
    let spacing = sample_rate_hz as usize / 20;
    let mut state = 0x9e37_79b9_u32;
    for channel in &mut audio.channels {
        for (i, sample) in channel.iter_mut().enumerate() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *sample += 0.003 * (state as f32 / u32::MAX as f32 - 0.5);
            if i % spacing < 6 {
                *sample += if i % 2 == 0 { 0.3 } else { -0.25 };
            }
        }
    }
    audio
}

/// A deterministic, band-limited, music-like test signal: decaying harmonic notes over pink
/// noise, low-passed at about 11 kHz by a one-pole cascade.
fn bench_signal(sample_rate_hz: u32, seconds: f64, channels: usize) -> AudioData {
    let len = (seconds * sample_rate_hz as f64) as usize;
    let mut state = 0x2545_f491_u32;
    let mut next_noise = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as f32 / u32::MAX as f32 - 0.5
    };
    let channels = (0..channels)
        .map(|c| {
            let mut pink = [0.0f32; 3];
            let mut lowpass = [0.0f32; 4];
            let coefficient =
                (-2.0 * std::f32::consts::PI * 11_000.0 / sample_rate_hz as f32).exp();
            (0..len)
                .map(|i| {
                    let t = i as f32 / sample_rate_hz as f32;
                    let white = next_noise();
                    pink[0] = 0.997 * pink[0] + 0.029 * white;
                    pink[1] = 0.985 * pink[1] + 0.032 * white;
                    pink[2] = 0.950 * pink[2] + 0.048 * white;
                    let note = (t * 2.0).fract();
                    let f0 = [220.0, 277.2, 329.6, 440.0][(t * 2.0) as usize % 4]
                        * (1.0 + c as f32 * 0.002);
                    let tone: f32 = (1..12)
                        .map(|h| (2.0 * std::f32::consts::PI * f0 * h as f32 * t).sin() / h as f32)
                        .sum::<f32>()
                        * (-4.0 * note).exp();
                    let mut x = 0.2 * tone + 0.5 * (pink[0] + pink[1] + pink[2]);
                    for stage in &mut lowpass {
                        *stage = coefficient * *stage + (1.0 - coefficient) * x;
                        x = *stage;
                    }
                    x
                })
                .collect()
        })
        .collect();
    AudioData {
        sample_rate_hz,
        channels,
    }
}

/// Streams `audio` through `engine` in 512-sample blocks, as a host would, and returns the
/// seconds it took.
fn time_blocks(engine: &mut Engine, audio: &AudioData) -> f64 {
    let mut block = vec![vec![0.0f32; 512]; audio.channels.len()];
    let start = Instant::now();
    for offset in (0..audio.len()).step_by(512) {
        let n = 512.min(audio.len() - offset);
        for (buffer, input) in block.iter_mut().zip(&audio.channels) {
            buffer[..n].copy_from_slice(&input[offset..offset + n]);
        }
        let mut slices: Vec<&mut [f32]> = block.iter_mut().map(|b| &mut b[..n]).collect();
        engine.process(&mut slices);
    }
    start.elapsed().as_secs_f64()
}

/// `count` two-channel 44.1 kHz bench files of `seconds` each in a new scratch folder.
fn bench_inputs(seconds: f64, count: usize) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("airlift-bench-{}", std::process::id()));
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).map_err(|e| e.to_string())?;
    for i in 0..count {
        let audio = bench_signal(44_100, seconds, 2);
        write_wav_f32(&inputs.join(format!("input{i}.wav")), &audio).map_err(|e| e.to_string())?;
    }
    Ok(dir)
}

/// Bench render options: auto cutoff with the look-ahead (the CLI's default), SBR, `jobs` at
/// once.
fn bench_options(jobs: usize) -> RenderOptions {
    RenderOptions {
        settings: EngineSettings::default(),
        look_ahead: true,
        session: SessionSettings::default(),
        format: None,
        bits: None,
        jobs,
        overwrite: true,
        json: false,
    }
}

/// Offline render speed, file to file (auto cutoff, SBR, float WAV out).
fn bench_file(seconds: f64) -> Result<(), String> {
    let dir = bench_inputs(seconds, 1)?;
    let start = Instant::now();
    let result = render_file(
        &dir.join("in/input0.wav"),
        &dir.join("single.wav"),
        OutputFormat::WavF32,
        &bench_options(1),
        &ProgressBar::hidden(),
    );
    let elapsed = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    println!(
        "| offline render, file to file (auto cutoff, SBR) | 44.1 kHz | 2 | {:.0}x real time ({:.2} s for {:.0} s) |",
        seconds / elapsed,
        elapsed,
        seconds
    );
    Ok(())
}

/// Throughput of folder mode with one and with two jobs on the same eight files (auto
/// cutoff, SBR, float WAV out).
fn bench_folders(seconds: f64) -> Result<(), String> {
    const FILES: usize = 8;
    let dir = bench_inputs(seconds, FILES)?;
    let inputs = dir.join("in");
    let options = bench_options;
    let folder_seconds = |jobs: usize| -> Result<f64, String> {
        let start = Instant::now();
        let planned = plan(
            std::slice::from_ref(&inputs),
            &dir.join(format!("out{jobs}")),
            "wav",
            true,
        );
        let jobs_list: Vec<_> = planned
            .into_iter()
            .filter_map(|p| match p {
                Planned::Run(job) => Some(job),
                _ => None,
            })
            .collect();
        let mut failed = None;
        std::fs::create_dir_all(dir.join(format!("out{jobs}"))).map_err(|e| e.to_string())?;
        run_jobs(
            jobs_list,
            jobs,
            |job| {
                render_file(
                    &job.input,
                    &job.output,
                    OutputFormat::WavF32,
                    &options(jobs),
                    &ProgressBar::hidden(),
                )
            },
            |_, result| {
                if let Err(error) = result {
                    failed = Some(error);
                }
            },
        );
        failed.map_or(Ok(start.elapsed().as_secs_f64()), Err)
    };
    let one = folder_seconds(1)?;
    let two = folder_seconds(2)?;
    let _ = std::fs::remove_dir_all(&dir);
    let audio_seconds = seconds * FILES as f64;
    println!(
        "| folder render, {FILES} files, 1 job | 44.1 kHz | 2 | {:.0}x real time ({one:.2} s for {audio_seconds:.0} s) |",
        audio_seconds / one
    );
    println!(
        "| folder render, {FILES} files, 2 jobs | 44.1 kHz | 2 | {:.0}x real time ({two:.2} s), {:.2}x one job |",
        audio_seconds / two,
        one / two
    );
    Ok(())
}

/// CPU nanoseconds and voluntary context switches (wake-ups) of this process's thread with
/// kernel id `tid`, from `/proc` (Linux only).
fn thread_cpu(tid: u64) -> Option<(u64, u64)> {
    let dir = Path::new("/proc/self/task").join(tid.to_string());
    let schedstat = std::fs::read_to_string(dir.join("schedstat")).ok()?;
    let nanos = schedstat.split_whitespace().next()?.parse().ok()?;
    let status = std::fs::read_to_string(dir.join("status")).ok()?;
    let switches = status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))?
        .trim()
        .parse()
        .ok()?;
    Some((nanos, switches))
}

/// The inference worker's wake-up: its CPU and wake-ups per second while it has nothing to
/// do, and the time from a request to its result when requests come every 2 ms (the worker
/// idle in between, as between real-time hops), beside the worker's own time per frame. The
/// requesting thread yields while it waits, as a host's audio thread would be elsewhere.
fn bench_worker_wakeup(kind: ModelKind) -> Result<(), String> {
    let rate = 48_000u32;
    let layout = StftLayout::for_sample_rate(rate as f32);
    let session = SessionSettings {
        provider: ProviderChoice::Cpu,
        ..SessionSettings::default()
    };
    let mut link = match start_model(kind, layout, 2, session, WorkerOptions::default()) {
        Ok(link) => link,
        Err(reason) => {
            println!("| worker wake-up | 48.0 kHz | 2 | not measured: {reason} |");
            return Ok(());
        }
    };
    let idle_seconds = 3.0;
    std::thread::sleep(std::time::Duration::from_millis(100));
    use std::sync::atomic::Ordering::{Acquire, Relaxed};
    let worker_thread = link.timings.os_thread_id.load(Acquire);
    let before = thread_cpu(worker_thread).ok_or("no worker thread in /proc")?;
    let wall = Instant::now();
    std::thread::sleep(std::time::Duration::from_secs_f64(idle_seconds));
    let after = thread_cpu(worker_thread).ok_or("no worker thread in /proc")?;
    let elapsed = wall.elapsed().as_secs_f64();
    let idle_cpu = (after.0 - before.0) as f64 / 1e9 / elapsed;
    let wakeups = (after.1 - before.1) as f64 / elapsed;
    println!(
        "| worker idle: CPU and wake-ups per second ({}) | 48.0 kHz | 2 | {:.2} % of a core, {wakeups:.0} wake-ups/s |",
        kind.display_name(),
        idle_cpu * 100.0
    );

    let bins = layout.num_bins();
    let spectrum: Vec<Complex<f32>> = (0..bins)
        .map(|k| Complex::new(((k * 7919) % 1000) as f32 / 1000.0, 0.0))
        .collect();
    let spectra = [&spectrum[..], &spectrum[..]];
    let weights = vec![1.0f32; FILL_WEIGHT_ARRAYS * bins];
    let mut corrections = vec![vec![Complex::new(0.0f32, 0.0); bins]; 2];
    let lookahead = link.lookahead_frames as u32;
    let timings = link.timings.clone();
    let mut round_trips = Vec::new();
    for index in 0..400 + lookahead {
        let start = Instant::now();
        while !link.try_send(
            index,
            Some(11_000.0),
            &spectra,
            FillWeights::from_flat(&weights),
        ) {
            std::thread::yield_now();
        }
        if let Some(target) = index.checked_sub(lookahead) {
            let mut slices: Vec<&mut [Complex<f32>]> =
                corrections.iter_mut().map(|c| &mut c[..]).collect();
            while link.try_receive(target, &mut slices).is_none() {
                std::thread::yield_now();
            }
            round_trips.push(start.elapsed().as_secs_f64() * 1e6);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    round_trips.sort_by(f64::total_cmp);
    let handle_us = timings.handle_nanos.load(Relaxed) as f64
        / timings.frames.load(Relaxed).max(1) as f64
        / 1e3;
    let at = |q: f64| round_trips[((round_trips.len() - 1) as f64 * q) as usize];
    println!(
        "| worker request to result ({}), worker's own time {handle_us:.0} µs | 48.0 kHz | 2 | p50 {:.0} µs, p99 {:.0} µs |",
        kind.display_name(),
        at(0.5),
        at(0.99)
    );
    Ok(())
}

/// Per model: `session.run` time per frame (p50, p99, max) at 48 kHz stereo, the real-time
/// factor of the whole engine with the worker (offline, so every frame is generated), and the
/// worker's own time per frame beyond `session.run`.
fn bench_model(kind: ModelKind, seconds: f64) -> Result<(), String> {
    let rate = 48_000u32;
    let layout = StftLayout::for_sample_rate(rate as f32);
    let source = match find_model(kind) {
        Ok(source) => source,
        Err(reason) => {
            println!(
                "| {} | 48.0 kHz | 2 | not measured: {reason} |",
                kind.display_name()
            );
            return Ok(());
        }
    };
    let name = source.manifest.name.clone();
    let session = SessionSettings {
        provider: ProviderChoice::Cpu,
        ..SessionSettings::default()
    };
    let mut model = LoadedModel::load(&source.bytes, source.manifest.clone(), &layout, session)
        .map_err(|e| e.to_string())?;
    let bins = layout.num_bins();
    let frames = source.manifest.frames();
    let input: Vec<f32> = (0..2 * frames * bins)
        .map(|i| -3.0 + ((i * 7919) % 1000) as f32 / 500.0)
        .collect();
    // Each kind of model with the inputs the worker gives it; a failed run stops the bench,
    // so that no figure times an error.
    let mut output = vec![0.0; 2 * bins];
    let mut controls = HarmonicNoiseControls::for_manifest(&source.manifest, 2);
    let state = vec![0.0; controls.state.len()];
    let cutoff_bins = [bins as f32 / 4.0; 2];
    let harmonic_noise = source.manifest.kind == KIND_HARMONIC_NOISE;
    let mut times = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let start = Instant::now();
        if harmonic_noise {
            model.run_harmonic_noise(&input, &cutoff_bins, &state, 2, bins, &mut controls)
        } else {
            model.run(&input, &cutoff_bins, 2, bins, &mut output)
        }
        .map_err(|e| format!("{name}: session.run failed: {e}"))?;
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "| {name} ({}): session.run per frame, 2 channels | 48.0 kHz | 2 | p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs |",
        kind.display_name(),
        at(0.5),
        at(0.99),
        at(1.0)
    );

    let audio = bench_signal(rate, seconds, 2);
    let (rtf, overhead_us) = time_with_worker(kind, &audio, 0.0, session)?;
    println!(
        "| {name} ({}): engine + worker real-time factor (offline, 512-sample blocks) | 48.0 kHz | 2 | {rtf:.4} ({:.2} % of a core) |",
        kind.display_name(),
        rtf * 100.0
    );
    println!(
        "| {name} ({}): worker time per frame beyond session.run | 48.0 kHz | 2 | {overhead_us:.0} µs |",
        kind.display_name()
    );
    if kind == ModelKind::SpectralUnet {
        let worn = worn_bench_signal(rate, seconds);
        let (rtf, _) = time_with_worker(kind, &worn, 1.0, session)?;
        println!(
            "| {name} ({}) with Denoise 100 %: engine + worker real-time factor (offline, 512-sample blocks; the worn signal) | 48.0 kHz | 2 | {rtf:.4} ({:.2} % of a core) |",
            kind.display_name(),
            rtf * 100.0
        );
    }
    Ok(())
}
