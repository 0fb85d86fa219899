//! `airlift detect`: the band limit of each file, as the plugin's auto cutoff would settle on
//! it after hearing the whole file.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use super::offline::{make_engine, read_input, render};
use super::report::{describe_detection, detection_json};
use crate::dsp::cutoff::Detection;
use crate::engine::EngineSettings;
use crate::inference::model::SessionSettings;

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

/// Runs `detect` on `inputs`: one line per file, or one JSON object per file with `json`.
pub fn run(inputs: &[PathBuf], json: bool) -> Result<(), String> {
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
