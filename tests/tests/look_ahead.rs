//! The CLI's look-ahead on recorded music: with its defaults, `airlift render` hears the whole
//! file first and renders with the band limit detected over all of it from the first sample,
//! so a restored file starts restored. Every committed excerpt through lame at 64 and 128 kbps
//! (lame installed by CI) and through a Butterworth of order 8 at 8 kHz, rendered by the real
//! binary with the Spectral U-Net (the default model).

use std::path::Path;
use std::process::Command;

use airlift::audio_file::read_audio;
use airlift::cli::metrics::evaluate;
use airlift_tests::cli::{airlift_cli, write_wav};
use airlift_tests::excerpts::{load_excerpts, Excerpt};
use airlift_tests::filters::{butterworth, mp3_round_trip};
use airlift_tests::models::setup_runtime;

/// The opening that is judged against the rest of the file, in seconds.
const OPENING_SECONDS: f32 = 0.5;

/// The bound: LSD-HF over the opening at most this times that over the rest.
const MAX_OPENING_RATIO: f64 = 1.25;

/// Renders `input` into `output` with the CLI's defaults plus `extra`, and returns the output
/// and the band limit the render used at its first sample (`None` while it was listening).
fn render(input: &Path, output: &Path, extra: &[&str]) -> (Vec<Vec<f32>>, Option<f32>) {
    setup_runtime();
    let done = Command::new(airlift_cli())
        .arg("render")
        .arg(input)
        .arg(output)
        .args(["--overwrite", "--json"])
        .args(extra)
        .output()
        .expect("the airlift binary runs");
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "airlift render failed: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .expect("airlift render --json prints one object");
    assert_eq!(report["model"], "unet", "{report}");
    let first = report["band_limits_hz"][0].as_f64().map(|hz| hz as f32);
    let audio = read_audio(output).unwrap_or_else(|e| panic!("{}: {e}", output.display()));
    (audio.channels, first)
}

/// LSD-HF above `cutoff_hz` (to the excerpt's own edge) over the opening and over the rest.
fn opening_and_rest(e: &Excerpt, output: &[Vec<f32>], cutoff_hz: f32) -> (f64, f64) {
    let split = (OPENING_SECONDS * e.sample_rate_hz as f32) as usize;
    let part = |signal: &[Vec<f32>], opening: bool| -> Vec<Vec<f32>> {
        signal
            .iter()
            .map(|c| {
                let end = c.len().min(e.channels[0].len());
                if opening {
                    c[..split].to_vec()
                } else {
                    c[split..end].to_vec()
                }
            })
            .collect()
    };
    let lsd_hf = |opening: bool| {
        evaluate(
            &part(&e.channels, opening),
            &part(output, opening),
            e.sample_rate_hz,
            Some(cutoff_hz),
            Some(e.band_edge_hz),
        )
        .expect("both parts are long enough")
        .lsd_hf
        .expect("a cutoff gives LSD-HF")
    };
    (lsd_hf(true), lsd_hf(false))
}

#[test]
fn a_restored_file_starts_restored_with_the_defaults_and_not_with_auto() {
    let excerpts = load_excerpts();
    let work = std::env::temp_dir().join(format!("airlift-look-ahead-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let (input, output) = (work.join("in.wav"), work.join("out.wav"));
    for condition in ["lame 64 kbps", "lame 128 kbps", "Butterworth 8 at 8 kHz"] {
        let (mut opening_sum, mut rest_sum, mut auto_opening_sum, mut measured) =
            (0.0, 0.0, 0.0, 0);
        for e in &excerpts {
            let limited: Vec<Vec<f32>> = match condition {
                "lame 64 kbps" => mp3_round_trip(&e.channels, e.sample_rate_hz, 64, &work).decoded,
                "lame 128 kbps" => {
                    mp3_round_trip(&e.channels, e.sample_rate_hz, 128, &work).decoded
                }
                _ => e
                    .channels
                    .iter()
                    .map(|c| butterworth(c, e.sample_rate_hz, 8_000.0, 8))
                    .collect(),
            };
            write_wav(&input, e.sample_rate_hz, &limited);
            let (restored, first_hz) = render(&input, &output, &[]);
            // Where nothing is missing below the excerpt's own edge there is no band to judge.
            let Some(cutoff_hz) = first_hz.filter(|&hz| hz < e.band_edge_hz * 0.9) else {
                continue;
            };
            let (opening, rest) = opening_and_rest(e, &restored, cutoff_hz);
            let (followed, auto_first_hz) = render(&input, &output, &["--auto"]);
            assert_eq!(auto_first_hz, None, "--auto listens first");
            let (auto_opening, _) = opening_and_rest(e, &followed, cutoff_hz);
            println!(
                "{condition} {}: band limit {cutoff_hz:.0} Hz, LSD-HF opening {opening:.3}, rest \
                 {rest:.3}; with --auto, opening {auto_opening:.3}",
                e.name
            );
            opening_sum += opening;
            rest_sum += rest;
            auto_opening_sum += auto_opening;
            measured += 1;
        }
        assert!(
            measured >= 15,
            "{condition}: only {measured} excerpts band-limited"
        );
        println!(
            "{condition}: {measured} excerpts, mean LSD-HF opening {:.3}, rest {:.3}, opening \
             with --auto {:.3}",
            opening_sum / measured as f64,
            rest_sum / measured as f64,
            auto_opening_sum / measured as f64
        );
        assert!(
            opening_sum <= MAX_OPENING_RATIO * rest_sum,
            "{condition}: opening {opening_sum} vs rest {rest_sum}"
        );
        // Without the look-ahead the opening is left as it came while detection listens. After
        // the filter and at 64 kbps that is far from the original (1.9 and 1.7 times the rest
        // when measured), so there the bound above is what the look-ahead buys; at 128 kbps lame
        // keeps part of the band above the detected limit, and the opening is not far off
        // either way (1.1 times).
        if condition != "lame 128 kbps" {
            assert!(
                auto_opening_sum > MAX_OPENING_RATIO * rest_sum,
                "{condition}: --auto opening {auto_opening_sum} vs rest {rest_sum}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}
