//! `airlift render`: restores one file (`render IN OUT`, the format from OUT's extension) or
//! files and folders into a folder (`render IN... OUT_DIR`, several at once, relative paths
//! kept), each written atomically at the input's rate, channels and length.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::ProgressBar;

use super::batch::{plan, run_jobs, Planned};
use super::offline::{learn, make_engine, read_input, render};
use super::report::{progress_bar, render_json, FileReport};
use crate::audio_file::{write_audio, OutputFormat};
use crate::engine::{CutoffMode, EngineSettings};
use crate::inference::model::SessionSettings;

/// What `render` was asked to do, for every file.
pub struct RenderOptions {
    /// Engine settings: cutoff, model, mix, gain.
    pub settings: EngineSettings,
    /// With an automatic cutoff: hear the whole file first and render with the band limit
    /// detected over all of it from the first sample (`false`: `--auto`, follow the
    /// detection as the plugin does on a first hearing).
    pub look_ahead: bool,
    /// Where a neural model runs.
    pub session: SessionSettings,
    /// `--format`: wav or flac.
    pub format: Option<String>,
    /// `--bits`: 16, 24 or 32.
    pub bits: Option<u32>,
    /// Files at once in folder mode.
    pub jobs: usize,
    /// Replace outputs that exist.
    pub overwrite: bool,
    /// One JSON object per file on stdout.
    pub json: bool,
}

/// Restores one file into `output` (written atomically) in `format`.
pub fn render_file(
    input: &Path,
    output: &Path,
    format: OutputFormat,
    options: &RenderOptions,
    progress: &ProgressBar,
) -> Result<FileReport, String> {
    let started = Instant::now();
    let decoded = read_input(input)?;
    let audio = &decoded.audio;
    let look_ahead = options.look_ahead && options.settings.cutoff == CutoffMode::Auto;
    let passes = if look_ahead { 2 } else { 1 };
    progress.set_length(passes * audio.len() as u64);
    let learned = if look_ahead {
        Some(learn(audio, options.settings, progress)?)
    } else {
        None
    };
    let (mut engine, notes) = make_engine(audio, options.settings, options.session)?;
    if let Some(learned) = learned {
        engine.adopt_learned(learned).map_err(|e| e.to_string())?;
    }
    let (rendered, engine, detections) = render(audio, engine, progress);
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
        look_ahead,
        detections,
        holes: (status.holes_found, status.holes_filled),
        denoise: (
            options.settings.denoise,
            status.clicks_repaired,
            status.hum_hz,
        ),
        worn: (status.worn_corner_hz, status.worn_cutoff_hz),
        latency_samples: status.latency_samples,
        format,
        written,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        notes,
    })
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

/// Runs `render`: `paths` are the inputs, then the output file or folder.
pub fn run(paths: &[PathBuf], options: &RenderOptions) -> Result<(), String> {
    let (output, inputs) = paths.split_last().ok_or("no input given")?;
    if is_folder_mode(inputs, output) {
        return render_folder(inputs, output, options);
    }
    let input = &inputs[0];
    let format = output_format(options, Some(output))?;
    let progress = progress_bar("{bar:40} {percent:>3}% {elapsed} (eta {eta})", options.json)?;
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
    let bar = progress_bar("{bar:40} {pos}/{len} files {elapsed} (eta {eta})", false)?;
    bar.set_length(total as u64);
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
