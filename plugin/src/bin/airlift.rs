//! `airlift`: the engine on files. `render` restores a file, `detect` finds its band limit,
//! `eval` scores a restoration against a full-band reference, `bench` measures speed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use airlift::audio_file::{
    decode_file, decoding_on_this_thread, read_audio, write_audio, write_wav_f32, AudioData,
    DecodedFile, OutputFormat, WriteReport,
};
use airlift::batch::{default_jobs, plan, run_jobs, Planned};
use airlift::dsp::cutoff::Detection;
use airlift::dsp::fill::FillWeights;
use airlift::dsp::stft::StftLayout;
use airlift::engine::{
    check_sample_rate, CutoffMode, Engine, EngineSettings, Listen, ModelKind, ProcessingMode,
    MAX_CUTOFF_HZ, MIN_CUTOFF_HZ,
};
use airlift::inference::manifest::KIND_HARMONIC_NOISE;
use airlift::inference::model::{HarmonicNoiseControls, ProviderChoice, SessionSettings};
use airlift::inference::start_model;
use airlift::inference::worker::WorkerOptions;
use airlift::metrics::evaluate;
use realfft::num_complex::Complex;

/// Samples per block fed to the engine; any size gives the same result.
const BLOCK_SAMPLES: usize = 4096;

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

/// The two halves of `bench`: one measures a single core, the other needs several.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BenchPart {
    /// Engine, models and file render, single-threaded.
    Engine,
    /// Folder jobs and the worker's wake-up, across threads.
    Threads,
}

#[derive(Subcommand)]
enum Command {
    /// Restore files. `render IN OUT` writes one file (its format from OUT's extension);
    /// `render IN... OUT_DIR` renders files and folders (recursively, keeping relative paths)
    /// into a folder, several at once. Same rate, channels and length as each input.
    Render {
        /// Input files or folders, then the output file or folder.
        #[arg(required = true, num_args = 2.., value_name = "IN... OUT")]
        paths: Vec<PathBuf>,
        /// Generate above this frequency (Hz) instead of the detected band limit.
        #[arg(long, value_parser = parse_cutoff, conflicts_with = "auto")]
        cutoff: Option<f32>,
        /// Follow the detected band limit, as the plugin does by default.
        #[arg(long)]
        auto: bool,
        /// Model: unet (the Spectral U-Net, as the plugin), ddsp or sbr.
        #[arg(long, default_value = "unet", value_parser = parse_model)]
        model: ModelKind,
        /// Wet/dry mix from 0 (dry) to 1 (wet).
        #[arg(long, default_value_t = 1.0, value_parser = parse_mix)]
        mix: f32,
        /// Output gain in dB.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        gain_db: f32,
        /// What to write: output (the restored signal) or added (only what Airlift adds, the
        /// output less the input: the plugin's Listen parameter).
        #[arg(long, default_value = "output", value_parser = parse_listen)]
        listen: Listen,
        /// Where a neural model runs: auto, cpu or cuda.
        #[arg(long, default_value = "auto", value_parser = parse_provider)]
        provider: ProviderChoice,
        /// Threads ONNX Runtime may use inside one operator.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        threads: u16,
        /// Output format, wav or flac: by default the output file's extension, and wav for a
        /// folder.
        #[arg(long, value_parser = ["wav", "flac"])]
        format: Option<String>,
        /// Bit depth: 16 or 24 (dithered), or 32 (WAV float). By default WAV is 32-bit float
        /// and FLAC 24 bit.
        #[arg(long, value_parser = ["16", "24", "32"])]
        bits: Option<String>,
        /// Files rendered at once in folder mode (default: one per core).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        jobs: Option<u16>,
        /// Replace outputs that exist; folder mode skips them otherwise.
        #[arg(long)]
        overwrite: bool,
        /// Print one JSON object per file on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Print the band limit of each IN, as the plugin's auto cutoff would settle on it.
    Detect {
        /// Input files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Print one JSON object per file on standard output.
        #[arg(long)]
        json: bool,
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
        /// Print the figures as one JSON object on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Measure speed: `--part engine` (run it on one core) the engine's real-time factor,
    /// the models and the render speed; `--part threads` (on all cores) folder jobs and the
    /// inference worker's wake-up.
    Bench {
        /// Seconds of audio per measurement.
        #[arg(long, default_value_t = 20.0)]
        seconds: f64,
        /// Which measurements: engine or threads.
        #[arg(long, value_enum, default_value_t = BenchPart::Engine)]
        part: BenchPart,
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

fn parse_listen(text: &str) -> Result<Listen, String> {
    match text.to_ascii_lowercase().as_str() {
        "output" => Ok(Listen::Output),
        "added" => Ok(Listen::Added),
        _ => Err(format!(
            "unknown listen choice '{text}' (choose output, added)"
        )),
    }
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
    // Die quietly when the reader of stdout goes away (`airlift detect *.mp3 --json | head`),
    // as Unix tools do, rather than panicking on the write.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // A decoder that panics on a malformed file becomes that file's error: no report then.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !decoding_on_this_thread() {
            default_hook(info);
        }
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render {
            paths,
            cutoff,
            auto: _,
            model,
            mix,
            gain_db,
            listen,
            provider,
            threads,
            format,
            bits,
            jobs,
            overwrite,
            json,
        } => {
            let options = RenderOptions {
                settings: EngineSettings {
                    cutoff: cutoff.map_or(CutoffMode::Auto, CutoffMode::Manual),
                    model,
                    mix,
                    output_gain_db: gain_db,
                    listen,
                    bypass: false,
                },
                session: SessionSettings {
                    provider,
                    intra_threads: threads as usize,
                },
                format,
                bits: bits.and_then(|b| b.parse().ok()),
                jobs: jobs.map_or_else(default_jobs, usize::from),
                overwrite,
                json,
            };
            render_command(&paths, &options)
        }
        Command::Detect { inputs, json } => detect_command(&inputs, json),
        Command::Eval {
            reference,
            estimate,
            cutoff,
            band_edge,
            json,
        } => eval_command(&reference, &estimate, cutoff, band_edge, json),
        Command::Bench { seconds, part } => bench_command(seconds, part),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("airlift: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Checks that a decoded file is one the engine can process: mono or stereo at a supported
/// rate.
fn check_input(path: &Path, audio: &AudioData) -> Result<(), String> {
    if audio.channels.len() > 2 {
        return Err(format!(
            "{} has {} channels; Airlift processes mono and stereo",
            path.display(),
            audio.channels.len()
        ));
    }
    check_sample_rate(audio.sample_rate_hz as f32).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a file the engine can process, with its tags.
fn read_input(path: &Path) -> Result<DecodedFile, String> {
    let decoded = decode_file(path).map_err(|e| e.to_string())?;
    check_input(path, &decoded.audio)?;
    Ok(decoded)
}

/// Makes the engine for a file: with the requested neural model when it can run (offline: the
/// engine waits for every model frame), else SBR. Returns the notes for the user: which model
/// runs, or why SBR runs instead.
fn make_engine(
    audio: &AudioData,
    settings: EngineSettings,
    session: SessionSettings,
) -> Result<(Engine, Vec<String>), String> {
    let rate = audio.sample_rate_hz as f32;
    let channels = audio.channels.len();
    check_sample_rate(rate).map_err(|e| e.to_string())?;
    let mut notes = Vec::new();
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
                    notes.push(format!("note: {note}"));
                }
                notes.push(format!("model: {}", link.summary()));
                Some((settings.model, link))
            }
            Err(reason) => {
                notes.push(format!("note: {reason}; SBR runs instead"));
                None
            }
        }
    };
    let engine = Engine::with_worker(rate, channels, settings, worker, ProcessingMode::Offline)
        .map_err(|e| e.to_string())?;
    Ok((engine, notes))
}

/// Runs the engine over a whole signal: the output is aligned with the input (the latency is
/// trimmed and the tail flushed), exactly as the plugin would produce it after latency
/// compensation.
fn render(audio: &AudioData, mut engine: Engine, progress: &ProgressBar) -> (AudioData, Engine) {
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
    (
        AudioData {
            sample_rate_hz: audio.sample_rate_hz,
            channels: output,
        },
        engine,
    )
}

fn describe_detection(detection: Detection) -> String {
    match detection {
        Detection::Listening => "undecided (less than half a second of sound)".into(),
        Detection::NoBandLimit => "no band limit".into(),
        Detection::BandLimit { cutoff_hz } => format!("{cutoff_hz:.0} Hz"),
    }
}

/// The detection as JSON fields: `detection` and `band_limit_hz`.
fn detection_json(detection: Detection) -> (&'static str, Option<f32>) {
    match detection {
        Detection::Listening => ("undecided", None),
        Detection::NoBandLimit => ("no_band_limit", None),
        Detection::BandLimit { cutoff_hz } => ("band_limit", Some(cutoff_hz.round())),
    }
}

/// What `render` was asked to do, for every file.
struct RenderOptions {
    /// Engine settings: cutoff, model, mix, gain.
    settings: EngineSettings,
    /// Where a neural model runs.
    session: SessionSettings,
    /// `--format`: wav or flac.
    format: Option<String>,
    /// `--bits`: 16, 24 or 32.
    bits: Option<u32>,
    /// Files at once in folder mode.
    jobs: usize,
    /// Replace outputs that exist.
    overwrite: bool,
    /// One JSON object per file on stdout.
    json: bool,
}

/// What rendering one file did.
struct FileReport {
    /// Length in seconds.
    seconds: f64,
    /// Sample rate in Hz.
    sample_rate_hz: u32,
    /// Channels.
    channels: usize,
    /// The model that ran (SBR when the asked one could not).
    model: ModelKind,
    /// The cutoff: set by the user, or what detection found.
    cutoff: CutoffMode,
    /// Detection's verdict at the end of the file.
    detection: Detection,
    /// Engine latency in samples (trimmed from the output).
    latency_samples: u32,
    /// Output format.
    format: OutputFormat,
    /// Peak and clipping of the written signal.
    written: WriteReport,
    /// Wall-clock seconds for this file.
    elapsed_seconds: f64,
    /// Notes for the user (model in use, fallbacks).
    notes: Vec<String>,
}

impl FileReport {
    /// The cutoff in words: "cutoff 6000 Hz (set)" or "band limit 16 kHz (detected)".
    fn cutoff_words(&self) -> String {
        match self.cutoff {
            CutoffMode::Manual(hz) => format!("cutoff {hz:.0} Hz (set)"),
            CutoffMode::Auto => {
                format!("detected band limit {}", describe_detection(self.detection))
            }
        }
    }

    /// The clipping warning, if the signal went beyond full scale.
    fn clipping_warning(&self) -> Option<String> {
        let written = &self.written;
        if !written.over_full_scale() {
            return None;
        }
        Some(if written.clipped_samples > 0 {
            format!(
                "warning: peak {:+.2} dBFS over full scale: {} samples clipped in {} (lower --gain-db)",
                written.peak_dbfs(),
                written.clipped_samples,
                self.format.describe()
            )
        } else {
            format!(
                "warning: peak {:+.2} dBFS over full scale (kept in 32-bit float; it clips on a fixed-point export)",
                written.peak_dbfs()
            )
        })
    }
}

/// Restores one file into `output` (written atomically) in `format`.
fn render_file(
    input: &Path,
    output: &Path,
    format: OutputFormat,
    options: &RenderOptions,
    progress: &ProgressBar,
) -> Result<FileReport, String> {
    let started = Instant::now();
    let decoded = read_input(input)?;
    let audio = &decoded.audio;
    let (engine, notes) = make_engine(audio, options.settings, options.session)?;
    progress.set_length(audio.len() as u64);
    let (rendered, engine) = render(audio, engine, progress);
    let written =
        write_audio(output, &rendered, &decoded.tags, format).map_err(|e| e.to_string())?;
    let status = engine.status();
    Ok(FileReport {
        seconds: audio.seconds(),
        sample_rate_hz: audio.sample_rate_hz,
        channels: audio.channels.len(),
        model: status.active_model,
        cutoff: options.settings.cutoff,
        detection: status.detection,
        latency_samples: status.latency_samples,
        format,
        written,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        notes,
    })
}

/// The JSON object `--json` prints for one file.
fn render_json(input: &Path, output: &Path, result: &Result<FileReport, String>) -> String {
    let value = match result {
        Ok(report) => {
            let (detection, band_limit_hz) = detection_json(report.detection);
            let cutoff_hz = match report.cutoff {
                CutoffMode::Manual(hz) => Some(hz),
                CutoffMode::Auto => band_limit_hz,
            };
            serde_json::json!({
                "input": input,
                "output": output,
                "status": "rendered",
                "model": report.model.cli_name(),
                "cutoff_hz": cutoff_hz,
                "cutoff_set": matches!(report.cutoff, CutoffMode::Manual(_)),
                "detection": detection,
                "band_limit_hz": band_limit_hz,
                "seconds": report.seconds,
                "sample_rate_hz": report.sample_rate_hz,
                "channels": report.channels,
                "latency_samples": report.latency_samples,
                "format": report.format.describe(),
                "peak_dbfs": report.written.peak_dbfs(),
                "clipped_samples": report.written.clipped_samples,
                "elapsed_seconds": report.elapsed_seconds,
            })
        }
        Err(error) => serde_json::json!({
            "input": input,
            "output": output,
            "status": "failed",
            "error": error,
        }),
    };
    value.to_string()
}

/// The output format asked for: `--format` (or the output's extension) at `--bits`.
fn output_format(options: &RenderOptions, output: Option<&Path>) -> Result<OutputFormat, String> {
    match (&options.format, output) {
        (Some(name), _) => OutputFormat::from_parts(name, options.bits),
        (None, Some(path)) => OutputFormat::for_path(path, options.bits),
        (None, None) => OutputFormat::from_parts("wav", options.bits),
    }
}

/// Whether `render` writes into a folder: several inputs, a folder as input, or an output
/// that is a folder (or ends with a separator).
fn is_folder_mode(inputs: &[PathBuf], output: &Path) -> bool {
    inputs.len() > 1
        || inputs.iter().any(|p| p.is_dir())
        || output.is_dir()
        || output
            .as_os_str()
            .to_string_lossy()
            .ends_with(std::path::MAIN_SEPARATOR)
}

fn render_command(paths: &[PathBuf], options: &RenderOptions) -> Result<(), String> {
    let (output, inputs) = paths.split_last().ok_or("no input given")?;
    if is_folder_mode(inputs, output) {
        return render_folder(inputs, output, options);
    }
    let input = &inputs[0];
    let format = output_format(options, Some(output))?;
    let progress = if options.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {percent:>3}% {elapsed} (eta {eta})")
            .map_err(|e| e.to_string())?,
    );
    let result = render_file(input, output, format, options, &progress);
    progress.finish_and_clear();
    if options.json {
        println!("{}", render_json(input, output, &result));
    }
    let report = result?;
    for note in &report.notes {
        eprintln!("{note}");
    }
    eprintln!(
        "rendered {} ({:.1} s, {} Hz, {} ch, {}) with {}: {}, latency {} samples",
        output.display(),
        report.seconds,
        report.sample_rate_hz,
        report.channels,
        report.format.describe(),
        report.model.display_name(),
        report.cutoff_words(),
        report.latency_samples,
    );
    if let Some(warning) = report.clipping_warning() {
        eprintln!("{warning}");
    }
    Ok(())
}

/// `render IN... OUT_DIR`: every file, several at once, one overall progress bar and a line
/// per finished file; a bad file does not stop the others.
fn render_folder(
    inputs: &[PathBuf],
    out_dir: &Path,
    options: &RenderOptions,
) -> Result<(), String> {
    let format = output_format(options, None)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create the folder {}: {e}", out_dir.display()))?;
    let planned = plan(inputs, out_dir, format.extension(), options.overwrite);
    let mut failures: Vec<String> = Vec::new();
    let mut jobs = Vec::new();
    let mut skipped = 0;
    for item in planned {
        match item {
            Planned::Run(job) => jobs.push(job),
            Planned::Skip(job) => {
                skipped += 1;
                if options.json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "input": job.input, "output": job.output, "status": "skipped",
                        })
                    );
                }
                eprintln!(
                    "skipped {}: {} exists (--overwrite replaces it)",
                    job.input.display(),
                    job.output.display()
                );
            }
            Planned::Fail { input, reason } => {
                if options.json {
                    println!(
                        "{}",
                        serde_json::json!({"input": input, "status": "failed", "error": reason})
                    );
                }
                failures.push(reason);
            }
        }
    }
    let total = jobs.len();
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed} (eta {eta})")
            .map_err(|e| e.to_string())?,
    );
    let mut notes_seen = std::collections::HashSet::new();
    let started = Instant::now();
    let mut rendered_seconds = 0.0;
    let mut rendered = 0;
    run_jobs(
        jobs,
        options.jobs,
        |job| {
            let parent = job.output.parent().unwrap_or(out_dir);
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create the folder {}: {e}", parent.display()))
                .and_then(|()| {
                    render_file(
                        &job.input,
                        &job.output,
                        format,
                        options,
                        &ProgressBar::hidden(),
                    )
                })
        },
        |job, result| {
            bar.inc(1);
            if options.json {
                println!("{}", render_json(&job.input, &job.output, &result));
            }
            bar.suspend(|| match &result {
                Ok(report) => {
                    for note in &report.notes {
                        if notes_seen.insert(note.clone()) {
                            eprintln!("{note}");
                        }
                    }
                    rendered_seconds += report.seconds;
                    rendered += 1;
                    eprintln!(
                        "done {} -> {}: {}, {}, {:.1} s",
                        job.input.display(),
                        job.output.display(),
                        report.cutoff_words(),
                        report.model.display_name(),
                        report.elapsed_seconds
                    );
                    if let Some(warning) = report.clipping_warning() {
                        eprintln!("{}: {warning}", job.output.display());
                    }
                }
                Err(error) => {
                    eprintln!("failed {}: {error}", job.input.display());
                    failures.push(error.clone());
                }
            });
        },
    );
    bar.finish_and_clear();
    eprintln!(
        "{rendered} rendered, {skipped} skipped, {} failed ({:.0} s of audio in {:.1} s)",
        failures.len(),
        rendered_seconds,
        started.elapsed().as_secs_f64()
    );
    if failures.is_empty() {
        return Ok(());
    }
    eprintln!("failed:");
    for failure in &failures {
        eprintln!("  {failure}");
    }
    Err(format!("{} file(s) failed", failures.len()))
}

/// Runs detection over a whole file as the plugin's auto mode would.
fn detect_file(input: &Path) -> Result<Detection, String> {
    let audio = read_input(input)?.audio;
    let settings = EngineSettings {
        mix: 0.0,
        ..EngineSettings::default()
    };
    let (engine, _) = make_engine(&audio, settings, SessionSettings::default())?;
    let (_, engine) = render(&audio, engine, &ProgressBar::hidden());
    Ok(engine.detection())
}

fn detect_command(inputs: &[PathBuf], json: bool) -> Result<(), String> {
    let mut failed = 0;
    let mut last_error = String::new();
    for input in inputs {
        let result = detect_file(input);
        if json {
            let value = match &result {
                Ok(detection) => {
                    let (verdict, hz) = detection_json(*detection);
                    serde_json::json!({"input": input, "detection": verdict, "band_limit_hz": hz})
                }
                Err(error) => serde_json::json!({"input": input, "error": error}),
            };
            println!("{value}");
        }
        match result {
            Ok(detection) if !json => {
                let words = match detection {
                    Detection::BandLimit { cutoff_hz } => format!("{cutoff_hz:.0} Hz"),
                    other => describe_detection(other),
                };
                if inputs.len() == 1 {
                    println!("band limit: {words}");
                } else {
                    println!("{}: band limit: {words}", input.display());
                }
            }
            Ok(_) => {}
            Err(error) => {
                failed += 1;
                if inputs.len() > 1 {
                    eprintln!("failed {}: {error}", input.display());
                }
                last_error = error;
            }
        }
    }
    match failed {
        0 => Ok(()),
        _ if inputs.len() == 1 => Err(last_error),
        n => Err(format!("{n} of {} file(s) failed", inputs.len())),
    }
}

fn eval_command(
    reference: &Path,
    estimate: &Path,
    cutoff_hz: Option<f32>,
    band_edge_hz: Option<f32>,
    json: bool,
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
    if json {
        println!(
            "{}",
            serde_json::json!({
                "reference": reference,
                "estimate": estimate,
                "cutoff_hz": cutoff_hz,
                "band_edge_hz": band_edge_hz,
                "lsd": report.lsd,
                "lsd_hf": report.lsd_hf,
                "si_sdr_db": report.si_sdr_db,
                "low_band_error_db": report.low_band_error_db,
                "frames": report.frames,
            })
        );
        return Ok(());
    }
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

fn bench_command(seconds: f64, part: BenchPart) -> Result<(), String> {
    println!("| measurement | sample rate | channels | result |");
    println!("|---|---|---|---|");
    if part == BenchPart::Threads {
        bench_folders(seconds)?;
        return bench_worker_wakeup(ModelKind::Ddsp);
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

    for kind in [ModelKind::SpectralUnet, ModelKind::Ddsp] {
        bench_model(kind, seconds)?;
    }
    bench_file(seconds)
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

/// Bench render options: auto cutoff, SBR, `jobs` at once.
fn bench_options(jobs: usize) -> RenderOptions {
    RenderOptions {
        settings: EngineSettings::default(),
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
    let weights = vec![1.0f32; 2 * bins];
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
