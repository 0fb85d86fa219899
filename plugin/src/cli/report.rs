//! What the commands tell people and programs: the detection in words and as JSON fields, the
//! report of one rendered file (its words, its clipping warning, its JSON object) and the
//! progress bars.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::audio_file::{OutputFormat, WriteReport};
use crate::dsp::cutoff::Detection;
use crate::engine::{CutoffMode, ModelKind};

/// The detection in words: "11162 Hz", "no band limit" or "undecided (...)".
pub fn describe_detection(detection: Detection) -> String {
    match detection {
        Detection::Listening => "undecided (less than half a second of sound)".into(),
        Detection::NoBandLimit => "no band limit".into(),
        Detection::BandLimit { cutoff_hz } => format!("{cutoff_hz:.0} Hz"),
    }
}

/// The detection as JSON fields: `detection` and `band_limit_hz`.
pub fn detection_json(detection: Detection) -> (&'static str, Option<f32>) {
    match detection {
        Detection::Listening => ("undecided", None),
        Detection::NoBandLimit => ("no_band_limit", None),
        Detection::BandLimit { cutoff_hz } => ("band_limit", Some(cutoff_hz.round())),
    }
}

/// What rendering one file did.
pub struct FileReport {
    /// Length in seconds.
    pub seconds: f64,
    /// Sample rate in Hz.
    pub sample_rate_hz: u32,
    /// Channels.
    pub channels: usize,
    /// The model that ran (SBR when the asked one could not).
    pub model: ModelKind,
    /// The cutoff: set by the user, or what detection found.
    pub cutoff: CutoffMode,
    /// Detection's verdict at the end of the file.
    pub detection: Detection,
    /// Whether the whole file was heard first (the look-ahead), so that `detections[0]` is
    /// the band limit detected over all of it.
    pub look_ahead: bool,
    /// The detection at the first sample, then each one it changed to, in order: one entry
    /// when the band limit held over the whole file.
    pub detections: Vec<Detection>,
    /// Whether codec holes were found below the band limit, and whether they were filled.
    pub holes: (bool, bool),
    /// The Denoise amount, the clicks it repaired over all channels, and the mains frequency
    /// of the hum it found and removed.
    pub denoise: (f32, u64, Option<f32>),
    /// The corner of an old disc's transfer when the file was judged one, and the cutoff it
    /// set when that was in force (auto cutoff, Denoise on, no band limit).
    pub worn: (Option<f32>, Option<f32>),
    /// Engine latency in samples (trimmed from the output).
    pub latency_samples: u32,
    /// Output format.
    pub format: OutputFormat,
    /// Peak and clipping of the written signal.
    pub written: WriteReport,
    /// Wall-clock seconds for this file.
    pub elapsed_seconds: f64,
    /// Notes for the user (model in use, fallbacks).
    pub notes: Vec<String>,
}

impl FileReport {
    /// The cutoff in words: "cutoff 6000 Hz (set)" or "band limit 16 kHz (detected)", the
    /// codec holes when there were any, and the clicks repaired and the hum removed when
    /// Denoise was on.
    pub fn cutoff_words(&self) -> String {
        let cutoff = match self.cutoff {
            CutoffMode::Manual(hz) => format!("cutoff {hz:.0} Hz (set)"),
            CutoffMode::Auto if self.look_ahead => {
                let first = self.detections.first().copied().unwrap_or(self.detection);
                let mut words = format!(
                    "band limit {} (detected over the whole file, from the first sample)",
                    describe_detection(first)
                );
                if self.detections.len() > 1 {
                    let later: Vec<String> = self.detections[1..]
                        .iter()
                        .map(|d| describe_detection(*d))
                        .collect();
                    words.push_str(&format!(
                        ", changed part-way and followed: {}",
                        later.join(", then ")
                    ));
                }
                words
            }
            CutoffMode::Auto => {
                format!("detected band limit {}", describe_detection(self.detection))
            }
        };
        let cutoff = match self.worn {
            (Some(corner_hz), Some(cutoff_hz)) => format!(
                "{cutoff}; a worn transfer (corner near {corner_hz:.0} Hz): band generated from \
                 {cutoff_hz:.0} Hz"
            ),
            (Some(corner_hz), None) if self.detection == Detection::NoBandLimit => format!(
                "{cutoff}; a worn transfer (corner near {corner_hz:.0} Hz; --denoise generates \
                 its band)"
            ),
            _ => cutoff,
        };
        let cutoff = match self.holes {
            (true, true) => format!("{cutoff}, codec holes below filled"),
            (true, false) => format!("{cutoff}, codec holes below (Codec Repair off)"),
            _ => cutoff,
        };
        match self.denoise {
            (amount, clicks, None) if amount > 0.0 => format!(
                "{cutoff}, denoised at {:.0} % ({clicks} clicks repaired)",
                amount * 100.0
            ),
            (amount, clicks, Some(hum_hz)) if amount > 0.0 => format!(
                "{cutoff}, denoised at {:.0} % ({clicks} clicks repaired, {hum_hz:.0} Hz hum \
                 removed)",
                amount * 100.0
            ),
            _ => cutoff,
        }
    }

    /// The clipping warning, if the signal went beyond full scale.
    pub fn clipping_warning(&self) -> Option<String> {
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

/// The JSON object `--json` prints for one file.
pub fn render_json(input: &Path, output: &Path, result: &Result<FileReport, String>) -> String {
    let value = match result {
        Ok(report) => {
            let (detection, band_limit_hz) = detection_json(report.detection);
            let cutoff_hz = match report.cutoff {
                CutoffMode::Manual(hz) => Some(hz),
                CutoffMode::Auto => band_limit_hz.or(report.worn.1.map(f32::round)),
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
                "look_ahead": report.look_ahead,
                "band_limits_hz": report
                    .detections
                    .iter()
                    .map(|d| d.cutoff_hz().map(f32::round))
                    .collect::<Vec<_>>(),
                "band_limit_changed": report.detections.len() > 1,
                "codec_holes": report.holes.0,
                "codec_holes_filled": report.holes.1,
                "denoise": report.denoise.0,
                "clicks_repaired": report.denoise.1,
                "hum_hz": report.denoise.2,
                "worn_corner_hz": report.worn.0.map(f32::round),
                "worn_cutoff_hz": report.worn.1.map(f32::round),
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

/// A progress bar drawn with `template` (indicatif's syntax), hidden when `hidden` (JSON on
/// standard output, or a folder job's own file).
pub fn progress_bar(template: &str, hidden: bool) -> Result<ProgressBar, String> {
    let bar = if hidden {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(ProgressStyle::with_template(template).map_err(|e| e.to_string())?);
    Ok(bar)
}
