//! `airlift`: the engine on files. `render` restores a file, `detect` finds its band limit,
//! `eval` scores a restoration against a full-band reference, `bench` measures speed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use airlift::audio_file::{read_audio, write_wav_f32, AudioData};
use airlift::dsp::cutoff::Detection;
use airlift::dsp::stft::StftLayout;
use airlift::engine::{
    check_sample_rate, CutoffMode, Engine, EngineSettings, ModelKind, ProcessingMode,
    MAX_CUTOFF_HZ, MIN_CUTOFF_HZ,
};
use airlift::inference::manifest::KIND_HARMONIC_NOISE;
use airlift::inference::model::{HarmonicNoiseControls, ProviderChoice, SessionSettings};
use airlift::inference::start_model;
use airlift::inference::worker::WorkerOptions;
use airlift::metrics::evaluate;

/// Samples per block fed to the engine; any size gives the same result.
const BLOCK_SAMPLES: usize = 4096;

/// Files longer than this (in seconds) get a progress bar.
const PROGRESS_MIN_SECONDS: f64 = 20.0;

#[derive(Parser)]
#[command(
    name = "airlift",
    version,
    about = "Restores the missing high band of band-limited music"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Restore IN (WAV or FLAC) into OUT (32-bit float WAV, same rate, channels and length).
    Render {
        /// Input file.
        input: PathBuf,
        /// Output WAV file.
        output: PathBuf,
        /// Generate above this frequency (Hz) instead of the detected band limit.
        #[arg(long, value_parser = parse_cutoff, conflicts_with = "auto")]
        cutoff: Option<f32>,
        /// Follow the detected band limit, as the plugin does by default.
        #[arg(long)]
        auto: bool,
        /// Model: unet, ddsp or sbr.
        #[arg(long, default_value = "sbr", value_parser = parse_model)]
        model: ModelKind,
        /// Wet/dry mix from 0 (dry) to 1 (wet).
        #[arg(long, default_value_t = 1.0, value_parser = parse_mix)]
        mix: f32,
        /// Output gain in dB.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        gain_db: f32,
        /// Where a neural model runs: auto, cpu or cuda.
        #[arg(long, default_value = "auto", value_parser = parse_provider)]
        provider: ProviderChoice,
        /// Threads ONNX Runtime may use inside one operator.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        threads: u16,
    },
    /// Print the band limit of IN, as the plugin's auto cutoff would settle on it.
    Detect {
        /// Input file.
        input: PathBuf,
    },
    /// Compare EST with the full-band REF: LSD, LSD-HF, SI-SDR, low-band deviation.
    Eval {
        /// Full-band reference file.
        reference: PathBuf,
        /// Restored (or degraded) file.
        estimate: PathBuf,
        /// The band limit of the degraded input, in Hz (enables LSD-HF and the low band).
        #[arg(long, value_parser = parse_cutoff)]
        cutoff: Option<f32>,
        /// The reference's own band edge in Hz (an Ogg or MP3 source's low-pass): LSD and
        /// LSD-HF leave out the bins above it, where the reference is no reference.
        #[arg(long, value_parser = parse_frequency)]
        band_edge: Option<f32>,
    },
    /// Measure the real-time factor of the engine on this thread and the render speed.
    Bench {
        /// Seconds of audio per measurement.
        #[arg(long, default_value_t = 20.0)]
        seconds: f64,
    },
}

fn parse_frequency(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(hz) if hz.is_finite() && hz > 0.0 => Ok(hz),
        _ => Err(format!("'{text}' is not a frequency in Hz")),
    }
}

fn parse_cutoff(text: &str) -> Result<f32, String> {
    let hz: f32 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if (MIN_CUTOFF_HZ..=MAX_CUTOFF_HZ).contains(&hz) {
        Ok(hz)
    } else {
        Err(format!(
            "{hz} Hz is outside {MIN_CUTOFF_HZ}..{MAX_CUTOFF_HZ} Hz"
        ))
    }
}

fn parse_model(text: &str) -> Result<ModelKind, String> {
    ModelKind::from_cli_name(text).ok_or_else(|| {
        let names: Vec<_> = ModelKind::ALL.iter().map(|m| m.cli_name()).collect();
        format!("unknown model '{text}' (choose {})", names.join(", "))
    })
}

fn parse_provider(text: &str) -> Result<ProviderChoice, String> {
    match text.to_ascii_lowercase().as_str() {
        "auto" => Ok(ProviderChoice::Auto),
        "cpu" => Ok(ProviderChoice::Cpu),
        "cuda" => Ok(ProviderChoice::Cuda),
        _ => Err(format!(
            "unknown provider '{text}' (choose auto, cpu, cuda)"
        )),
    }
}

fn parse_mix(text: &str) -> Result<f32, String> {
    let mix: f32 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if (0.0..=1.0).contains(&mix) {
        Ok(mix)
    } else {
        Err(format!("mix {mix} is outside 0..1"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render {
            input,
            output,
            cutoff,
            auto: _,
            model,
            mix,
            gain_db,
            provider,
            threads,
        } => {
            let settings = EngineSettings {
                cutoff: cutoff.map_or(CutoffMode::Auto, CutoffMode::Manual),
                model,
                mix,
                output_gain_db: gain_db,
            };
            let session = SessionSettings {
                provider,
                intra_threads: threads as usize,
            };
            render_command(&input, &output, settings, session)
        }
        Command::Detect { input } => detect_command(&input),
        Command::Eval {
            reference,
            estimate,
            cutoff,
            band_edge,
        } => eval_command(&reference, &estimate, cutoff, band_edge),
        Command::Bench { seconds } => bench_command(seconds),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("airlift: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a file the engine can process: mono or stereo at a supported rate.
fn read_input(path: &Path) -> Result<AudioData, String> {
    let audio = read_audio(path).map_err(|e| e.to_string())?;
    if audio.channels.len() > 2 {
        return Err(format!(
            "{} has {} channels; Airlift processes mono and stereo",
            path.display(),
            audio.channels.len()
        ));
    }
    Ok(audio)
}

/// Makes the engine for a file: with the requested neural model when it can run (offline: the
/// engine waits for every model frame), else SBR, with a note on stderr saying why.
fn make_engine(
    audio: &AudioData,
    settings: EngineSettings,
    session: SessionSettings,
) -> Result<Engine, String> {
    let rate = audio.sample_rate_hz as f32;
    let channels = audio.channels.len();
    // Check the rate before any model is loaded, so the error is about the file.
    check_sample_rate(rate).map_err(|e| e.to_string())?;
    let worker = if settings.model == ModelKind::Sbr {
        None
    } else {
        let layout = StftLayout::for_sample_rate(rate);
        match start_model(
            settings.model,
            layout,
            channels,
            session,
            WorkerOptions::default(),
        ) {
            Ok(link) => {
                if let Some(note) = &link.provider_note {
                    eprintln!("note: {note}");
                }
                eprintln!("model: {}", link.summary());
                Some((settings.model, link))
            }
            Err(reason) => {
                eprintln!("note: {reason}; SBR runs instead");
                None
            }
        }
    };
    Engine::with_worker(rate, channels, settings, worker, ProcessingMode::Offline)
        .map_err(|e| e.to_string())
}

/// Runs the engine over a whole signal: the output is aligned with the input (the latency is
/// trimmed and the tail flushed), exactly as the plugin would produce it after latency
/// compensation.
fn render(
    audio: &AudioData,
    mut engine: Engine,
    progress: &ProgressBar,
) -> Result<(AudioData, Engine), String> {
    let latency = engine.latency_samples() as usize;
    let len = audio.len();
    let mut output: Vec<Vec<f32>> = vec![Vec::with_capacity(len); audio.channels.len()];
    let mut block: Vec<Vec<f32>> = vec![vec![0.0; BLOCK_SAMPLES]; audio.channels.len()];
    let mut position = 0;
    while position < len + latency {
        let n = BLOCK_SAMPLES.min(len + latency - position);
        for (buffer, input) in block.iter_mut().zip(&audio.channels) {
            for (i, sample) in buffer[..n].iter_mut().enumerate() {
                *sample = input.get(position + i).copied().unwrap_or(0.0);
            }
        }
        let mut slices: Vec<&mut [f32]> = block.iter_mut().map(|b| &mut b[..n]).collect();
        engine.process(&mut slices);
        for (out, buffer) in output.iter_mut().zip(&block) {
            for (i, &sample) in buffer[..n].iter().enumerate() {
                if position + i >= latency {
                    out.push(sample);
                }
            }
        }
        position += n;
        progress.set_position(position.min(len) as u64);
    }
    Ok((
        AudioData {
            sample_rate_hz: audio.sample_rate_hz,
            channels: output,
        },
        engine,
    ))
}

fn describe_detection(detection: Detection) -> String {
    match detection {
        Detection::Listening => "undecided (less than half a second of sound)".into(),
        Detection::NoBandLimit => "no band limit".into(),
        Detection::BandLimit { cutoff_hz } => format!("{cutoff_hz:.0} Hz"),
    }
}

fn render_command(
    input: &Path,
    output: &Path,
    settings: EngineSettings,
    session: SessionSettings,
) -> Result<(), String> {
    let audio = read_input(input)?;
    let engine = make_engine(&audio, settings, session)?;
    let seconds = audio.len() as f64 / audio.sample_rate_hz as f64;
    let progress = if seconds >= PROGRESS_MIN_SECONDS {
        let bar = ProgressBar::new(audio.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {percent:>3}% {elapsed} (eta {eta})")
                .map_err(|e| e.to_string())?,
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let (rendered, engine) = render(&audio, engine, &progress)?;
    progress.finish_and_clear();
    write_wav_f32(output, &rendered).map_err(|e| e.to_string())?;
    let status = engine.status();
    eprintln!(
        "rendered {} ({:.1} s, {} Hz, {} ch) with {}: detected band limit {}, latency {} samples",
        output.display(),
        seconds,
        audio.sample_rate_hz,
        audio.channels.len(),
        status.active_model.display_name(),
        describe_detection(status.detection),
        status.latency_samples,
    );
    Ok(())
}

fn detect_command(input: &Path) -> Result<(), String> {
    let audio = read_input(input)?;
    let settings = EngineSettings {
        mix: 0.0,
        ..EngineSettings::default()
    };
    let engine = make_engine(&audio, settings, SessionSettings::default())?;
    let (_, engine) = render(&audio, engine, &ProgressBar::hidden())?;
    match engine.detection() {
        Detection::BandLimit { cutoff_hz } => println!("band limit: {cutoff_hz:.0} Hz"),
        other => println!("band limit: {}", describe_detection(other)),
    }
    Ok(())
}

fn eval_command(
    reference: &Path,
    estimate: &Path,
    cutoff_hz: Option<f32>,
    band_edge_hz: Option<f32>,
) -> Result<(), String> {
    let reference_audio = read_audio(reference).map_err(|e| e.to_string())?;
    let estimate_audio = read_audio(estimate).map_err(|e| e.to_string())?;
    if reference_audio.sample_rate_hz != estimate_audio.sample_rate_hz {
        return Err(format!(
            "sample rates differ: {} Hz and {} Hz",
            reference_audio.sample_rate_hz, estimate_audio.sample_rate_hz
        ));
    }
    let report = evaluate(
        &reference_audio.channels,
        &estimate_audio.channels,
        reference_audio.sample_rate_hz,
        cutoff_hz,
        band_edge_hz,
    )
    .map_err(|e| e.to_string())?;
    println!("LSD:       {:.4}", report.lsd);
    match (report.lsd_hf, cutoff_hz) {
        (Some(lsd_hf), Some(hz)) => println!("LSD-HF:    {lsd_hf:.4}  (bins above {hz:.0} Hz)"),
        _ => println!("LSD-HF:    n/a (pass --cutoff)"),
    }
    println!("SI-SDR:    {:.2} dB", report.si_sdr_db);
    match report.low_band_error_db {
        Some(db) => {
            println!("low band:  {db:.1} dB  (energy of EST-REF below the ramp, relative to REF)")
        }
        None => println!("low band:  n/a (pass --cutoff)"),
    }
    println!("frames:    {}", report.frames);
    Ok(())
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

fn bench_command(seconds: f64) -> Result<(), String> {
    println!("| measurement | sample rate | channels | result |");
    println!("|---|---|---|---|");
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

    for kind in [ModelKind::SpectralUnet, ModelKind::Ddsp] {
        bench_model(kind, seconds)?;
    }

    let audio = bench_signal(44_100, seconds, 2);
    let dir = std::env::temp_dir().join(format!("airlift-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let input = dir.join("input.wav");
    let output = dir.join("output.wav");
    write_wav_f32(&input, &audio).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let decoded = read_input(&input)?;
    let engine = make_engine(
        &decoded,
        EngineSettings::default(),
        SessionSettings::default(),
    )?;
    let (rendered, _) = render(&decoded, engine, &ProgressBar::hidden())?;
    write_wav_f32(&output, &rendered).map_err(|e| e.to_string())?;
    let elapsed = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "| offline render, file to file (auto cutoff, SBR) | 44.1 kHz | 2 | {:.0}x real time ({:.2} s for {:.0} s) |",
        seconds / elapsed,
        elapsed,
        seconds
    );
    Ok(())
}

/// Per model: `session.run` time per frame (p50, p99, max) at 48 kHz stereo, the real-time
/// factor of the whole engine with the worker (offline, so every frame is generated), and the
/// worker's own time per frame beyond `session.run`.
fn bench_model(kind: ModelKind, seconds: f64) -> Result<(), String> {
    let rate = 48_000u32;
    let layout = StftLayout::for_sample_rate(rate as f32);
    let source = match airlift::inference::registry::find_model(kind) {
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
    let mut model = airlift::inference::model::LoadedModel::load(
        &source.bytes,
        source.manifest.clone(),
        &layout,
        session,
    )
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
            model.run(&input, 2, bins, &mut output)
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
    let settings = EngineSettings {
        cutoff: CutoffMode::Manual(11_000.0),
        model: kind,
        ..EngineSettings::default()
    };
    let link = start_model(kind, layout, 2, session, WorkerOptions::default())?;
    let mut engine = Engine::with_worker(
        rate as f32,
        2,
        settings,
        Some((kind, link)),
        ProcessingMode::Offline,
    )
    .map_err(|e| e.to_string())?;
    let timings = engine.worker_timings().ok_or("no worker")?;
    let rtf = time_blocks(&mut engine, &audio) / seconds;
    use std::sync::atomic::Ordering::Relaxed;
    let generated = timings.frames.load(Relaxed).max(1) as f64;
    let overhead_us = (timings.handle_nanos.load(Relaxed) as f64
        - timings.run_nanos.load(Relaxed) as f64)
        / generated
        / 1e3;
    println!(
        "| {name} ({}): engine + worker real-time factor (offline, 512-sample blocks) | 48.0 kHz | 2 | {rtf:.4} ({:.2} % of a core) |",
        kind.display_name(),
        rtf * 100.0
    );
    println!(
        "| {name} ({}): worker time per frame beyond session.run | 48.0 kHz | 2 | {overhead_us:.0} µs |",
        kind.display_name()
    );
    Ok(())
}
