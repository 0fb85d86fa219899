//! The CLI's look-ahead on recorded music: with its defaults, `airlift render` hears the whole
//! file first and renders with the band limit detected over all of it from the first sample,
//! so a restored file starts restored. Every committed excerpt through lame at 64 and 128 kbps
//! (lame installed by CI) and through a Butterworth of order 8 at 8 kHz, rendered by the real
//! binary with the Spectral U-Net (the default model).

use std::path::Path;
use std::process::Command;

use airlift::audio_file::read_audio;
use airlift_tests::cli::{airlift_cli, write_wav};
use airlift_tests::excerpts::{band_limit, load_excerpts, BandLimit};
use airlift_tests::models::setup_runtime;
use airlift_tests::opening::{opening_and_rest, MAX_OPENING_RATIO, OPENING_BAND_LIMITS};

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

#[test]
fn a_restored_file_starts_restored_with_the_defaults_and_not_with_auto() {
    let excerpts = load_excerpts();
    let work = std::env::temp_dir().join(format!("airlift-look-ahead-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let (input, output) = (work.join("in.wav"), work.join("out.wav"));
    for limit in OPENING_BAND_LIMITS {
        let condition = limit.label();
        let (mut opening_sum, mut rest_sum, mut auto_opening_sum, mut measured) =
            (0.0, 0.0, 0.0, 0);
        for e in &excerpts {
            let limited = band_limit(e, limit, &work).channels;
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
        if limit != BandLimit::Mp3(128) {
            assert!(
                auto_opening_sum > MAX_OPENING_RATIO * rest_sum,
                "{condition}: --auto opening {auto_opening_sum} vs rest {rest_sum}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}
