//! `airlift detect`: the band limit of each file, as the plugin's auto cutoff would settle on
//! it after hearing the whole file.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use super::offline::{make_engine, read_input, render};
use super::report::{describe_detection, detection_json};
use crate::dsp::cutoff::Detection;
use crate::engine::{EngineSettings, WORN_CUTOFF_ABOVE_CORNER_OCTAVES};
use crate::inference::model::SessionSettings;

/// What detection found in one file.
struct Found {
    /// The band limit.
    detection: Detection,
    /// Whether codec holes were found below it.
    holes: bool,
    /// The share of flickering bins that decided it.
    hole_share: f32,
    /// The corner of an old disc's transfer, when the file was judged one.
    worn_corner_hz: Option<f32>,
}

/// Runs detection over a whole file as the plugin's auto mode would.
fn detect_file(input: &Path) -> Result<Found, String> {
    let audio = read_input(input)?.audio;
    let settings = EngineSettings {
        mix: 0.0,
        ..EngineSettings::default()
    };
    let (engine, _) = make_engine(&audio, settings, SessionSettings::default())?;
    let (_, engine, _) = render(&audio, engine, &ProgressBar::hidden());
    Ok(Found {
        detection: engine.detection(),
        holes: engine.holes().holes_found(),
        hole_share: engine.holes().flicker_share(),
        worn_corner_hz: engine.status().worn_corner_hz,
    })
}

/// Runs `detect` on `inputs`: one line per file, or one JSON object per file with `json`.
pub fn run(inputs: &[PathBuf], json: bool) -> Result<(), String> {
    let mut failed = 0;
    let mut last_error = String::new();
    for input in inputs {
        let result = detect_file(input);
        if json {
            let value = match &result {
                Ok(found) => {
                    let (verdict, hz) = detection_json(found.detection);
                    serde_json::json!({
                        "input": input,
                        "detection": verdict,
                        "band_limit_hz": hz,
                        "codec_holes": found.holes,
                        "hole_share": found.hole_share,
                        "worn_corner_hz": found.worn_corner_hz.map(f32::round),
                    })
                }
                Err(error) => serde_json::json!({"input": input, "error": error}),
            };
            println!("{value}");
        }
        match result {
            Ok(found) if !json => {
                let mut words = match found.detection {
                    Detection::BandLimit { cutoff_hz } => format!("{cutoff_hz:.0} Hz"),
                    other => describe_detection(other),
                };
                if found.holes {
                    words.push_str(", codec holes below (MP3-, AAC- or Vorbis-like)");
                }
                if let (Detection::NoBandLimit, Some(corner_hz)) =
                    (found.detection, found.worn_corner_hz)
                {
                    words.push_str(&format!(
                        "; a worn transfer, corner near {corner_hz:.0} Hz (with --denoise the \
                         band is generated from {:.0} Hz)",
                        corner_hz * WORN_CUTOFF_ABOVE_CORNER_OCTAVES.exp2()
                    ));
                }
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
