//! `airlift`: the engine on files. `render` restores a file, `detect` finds its band limit,
//! `eval` scores a restoration against a full-band reference, `bench` measures speed.
//!
//! This file only parses the arguments into the settings the commands take and dispatches to
//! [`airlift::cli`], where each command lives.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use airlift::audio_file::decoding_on_this_thread;
use airlift::cli::batch::default_jobs;
use airlift::cli::bench::BenchPart;
use airlift::cli::render::RenderOptions;
use airlift::cli::soak::SoakOptions;
use airlift::engine::{
    CutoffMode, EngineSettings, Listen, ModelKind, MAX_CUTOFF_HZ, MIN_CUTOFF_HZ,
};
use airlift::inference::model::{ProviderChoice, SessionSettings};

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
        /// Follow the detected band limit as the plugin does on a first hearing, with no
        /// look-ahead: the first half second or so is left as it is while detection listens.
        /// Without --cutoff or --auto, the whole file is heard first and the band limit
        /// detected over all of it applies from the first sample.
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
        /// What to write: output (the restored signal), added (only the band and holes Airlift
        /// adds) or removed (only what Denoise takes out): the plugin's Listen parameter.
        #[arg(long, default_value = "output", value_parser = parse_listen)]
        listen: Listen,
        /// Denoise, for old recordings, from 0 (off) to 1: repairs clicks and turns hiss down
        /// before the band is generated (the plugin's Denoise parameter).
        #[arg(long, default_value_t = 0.0, value_parser = parse_denoise, value_name = "AMOUNT")]
        denoise: f32,
        /// Codec repair: on (fill the holes a lossy codec left below its band limit, where the
        /// file has them, as the plugin does by default) or off (only the band above the
        /// cutoff).
        #[arg(long, default_value = "on", value_parser = ["on", "off"])]
        codec_repair: String,
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
    /// inference worker's wake-up; `--part blocks` the heaviest block of each hop alone.
    Bench {
        /// Seconds of audio per measurement.
        #[arg(long, default_value_t = 20.0)]
        seconds: f64,
        /// Which measurements: engine, threads or blocks.
        #[arg(long, value_enum, default_value_t = BenchPart::Engine)]
        part: BenchPart,
    },
    /// Run the engine paced in real time for a long time, as a session does: with one
    /// instance, new activations at 44.1, 48 and 96 kHz, model and provider switches,
    /// automation of every parameter, Bypass, Listen, Detect again, transport jumps and state
    /// reloads; with several, a session-sized load of one model at 48 kHz. Prints dropouts,
    /// process time per block, memory, threads and CPU.
    Soak {
        /// A recorded-music file, looped as the input.
        input: PathBuf,
        /// Minutes to run.
        #[arg(long, default_value_t = 60.0)]
        minutes: f64,
        /// Model: unet, ddsp or sbr (with one instance, the other models take every fourth
        /// segment).
        #[arg(long, default_value = "unet", value_parser = parse_model)]
        model: ModelKind,
        /// Instances on the one audio thread.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
        instances: u16,
        /// Samples per block.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=8192))]
        block: u16,
        /// Minutes per segment (one instance): each starts a new activation.
        #[arg(long, default_value_t = 3.0)]
        segment_minutes: f64,
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
        "removed" => Ok(Listen::Removed),
        _ => Err(format!(
            "unknown listen choice '{text}' (choose output, added, removed)"
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
    parse_unit_amount(text, "mix")
}

fn parse_denoise(text: &str) -> Result<f32, String> {
    parse_unit_amount(text, "denoise")
}

/// A number from 0 to 1, for the setting `what`.
fn parse_unit_amount(text: &str, what: &str) -> Result<f32, String> {
    let amount: f32 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if (0.0..=1.0).contains(&amount) {
        Ok(amount)
    } else {
        Err(format!("{what} {amount} is outside 0..1"))
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
            auto,
            model,
            mix,
            gain_db,
            listen,
            denoise,
            codec_repair,
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
                    codec_repair: codec_repair == "on",
                    denoise,
                },
                session: SessionSettings {
                    provider,
                    intra_threads: threads as usize,
                },
                look_ahead: !auto,
                format,
                bits: bits.and_then(|b| b.parse().ok()),
                jobs: jobs.map_or_else(default_jobs, usize::from),
                overwrite,
                json,
            };
            airlift::cli::render::run(&paths, &options)
        }
        Command::Detect { inputs, json } => airlift::cli::detect::run(&inputs, json),
        Command::Eval {
            reference,
            estimate,
            cutoff,
            band_edge,
            json,
        } => airlift::cli::eval::run(&reference, &estimate, cutoff, band_edge, json),
        Command::Bench { seconds, part } => airlift::cli::bench::run(seconds, part),
        Command::Soak {
            input,
            minutes,
            model,
            instances,
            block,
            segment_minutes,
        } => airlift::cli::soak::run(
            &input,
            &SoakOptions {
                minutes,
                model,
                instances: instances as usize,
                block_size: block as usize,
                segment_minutes,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("airlift: error: {message}");
            ExitCode::FAILURE
        }
    }
}
