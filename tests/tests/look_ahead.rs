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
use airlift_tests::excerpts::{band_limit, load_excerpts, BandLimit};
use airlift_tests::models::setup_runtime;
use airlift_tests::opening::{opening_and_rest, MAX_OPENING_RATIO, OPENING_BAND_LIMITS};

/// Renders `input` into `output` with the CLI's defaults plus `extra`, and returns the output
/// and the render's JSON report.
fn render_report(
    input: &Path,
    output: &Path,
    extra: &[&str],
) -> (Vec<Vec<f32>>, serde_json::Value) {
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
    let audio = read_audio(output).unwrap_or_else(|e| panic!("{}: {e}", output.display()));
    (audio.channels, report)
}

/// Renders as [`render_report`] does, and returns the output and the band limit the render
/// used at its first sample (`None` while it was listening or found none).
fn render(input: &Path, output: &Path, extra: &[&str]) -> (Vec<Vec<f32>>, Option<f32>) {
    let (audio, report) = render_report(input, output, extra);
    let first = report["band_limits_hz"][0].as_f64().map(|hz| hz as f32);
    (audio, first)
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

/// The demo that `cargo xtask install` renders (`assets/demo/armygeddon_128k.mp3`) is the
/// committed excerpt through lame at 128 kbps, and the defaults restore its band from the first
/// sample: LSD-HF over the first half second falls well below the MP3's, where `--auto` leaves it
/// as the MP3's (the README's demo table).
#[test]
fn the_demo_is_the_excerpt_through_lame_and_starts_restored() {
    let root = airlift_tests::workspace_root();
    let demo = root.join("assets/demo/armygeddon_128k.mp3");
    let excerpt = load_excerpts()
        .into_iter()
        .find(|e| e.name == "vocals_armygeddon")
        .expect("the demo's excerpt");
    let mp3 = read_audio(&demo).expect("the demo MP3 decodes");
    assert_eq!(mp3.sample_rate_hz, excerpt.sample_rate_hz);
    assert_eq!(mp3.len(), excerpt.channels[0].len(), "aligned, as long");
    // The same music: the decoded low band follows the original's closely.
    let low = |c: &[f32]| airlift_tests::filters::brick_wall(c, excerpt.sample_rate_hz, 4_000.0);
    let (a, b) = (low(&excerpt.channels[0]), low(&mp3.channels[0]));
    let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (p * q) as f64).sum::<f64>();
    let correlation = dot(&a, &b) / (dot(&a, &a) * dot(&b, &b)).sqrt();
    assert!(correlation > 0.98, "low-band correlation {correlation}");

    let work = std::env::temp_dir().join(format!("airlift-demo-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let output = work.join("out.wav");
    let (restored, first_hz) = render(&demo, &output, &[]);
    let cutoff_hz = first_hz.expect("a band limit at the first sample");
    assert!((16_000.0..17_000.0).contains(&cutoff_hz), "{cutoff_hz} Hz");
    let (opening, _) = opening_and_rest(&excerpt, &restored, cutoff_hz);
    let (mp3_opening, _) = opening_and_rest(&excerpt, &mp3.channels, cutoff_hz);
    let (followed, _) = render(&demo, &output, &["--auto"]);
    let (auto_opening, _) = opening_and_rest(&excerpt, &followed, cutoff_hz);
    println!(
        "demo: band limit {cutoff_hz:.0} Hz; LSD-HF over the first 0.5 s: MP3 {mp3_opening:.3}, \
         defaults {opening:.3}, --auto {auto_opening:.3}"
    );
    assert!(opening < 0.6 * mp3_opening);
    assert!(auto_opening > 0.9 * mp3_opening);
    let _ = std::fs::remove_dir_all(&work);
}

/// A song whose first seconds are full band and whose rest is band-limited (a full-band intro
/// spliced before 24 s of a low-passed song), as the README's look-ahead paragraph says: the
/// render starts from the band limit of the whole file, follows detection as the plugin does
/// and reports it, the intro keeps its own band, and the band-limited rest is restored.
#[test]
fn a_full_band_intro_before_a_band_limited_song_keeps_its_band() {
    let excerpt = load_excerpts()
        .into_iter()
        .find(|e| e.name == "vocals_armygeddon")
        .expect("a full-band excerpt");
    let rate = excerpt.sample_rate_hz;
    let intro = 3 * rate as usize;
    // The original and the spliced input: the excerpt, then the excerpt twice more, all but
    // the intro through a brick wall at 8 kHz.
    let original: Vec<Vec<f32>> = excerpt.channels.iter().map(|c| c.repeat(3)).collect();
    let spliced: Vec<Vec<f32>> = original
        .iter()
        .map(|c| {
            let limited = airlift_tests::filters::brick_wall(c, rate, 8_000.0);
            c[..intro]
                .iter()
                .chain(&limited[intro..])
                .copied()
                .collect()
        })
        .collect();
    let work = std::env::temp_dir().join(format!("airlift-intro-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let (input, output) = (work.join("in.wav"), work.join("out.wav"));
    write_wav(&input, rate, &spliced);
    let (restored, report) = render_report(&input, &output, &[]);
    let cutoff_hz = report["band_limits_hz"][0]
        .as_f64()
        .expect("the whole file's band limit from the first sample") as f32;
    assert!((7_000.0..9_000.0).contains(&cutoff_hz), "{report}");
    let part = |signal: &[Vec<f32>], in_intro: bool| -> Vec<Vec<f32>> {
        signal
            .iter()
            .map(|c| {
                if in_intro {
                    c[..intro].to_vec()
                } else {
                    c[intro..original[0].len()].to_vec()
                }
            })
            .collect()
    };
    let lsd_hf = |estimate: &[Vec<f32>], in_intro: bool| {
        evaluate(
            &part(&original, in_intro),
            &part(estimate, in_intro),
            rate,
            Some(cutoff_hz),
            Some(excerpt.band_edge_hz),
        )
        .unwrap()
        .lsd_hf
        .unwrap()
    };
    let intro_out = lsd_hf(&restored, true);
    let (rest_in, rest_out) = (lsd_hf(&spliced, false), lsd_hf(&restored, false));
    let (followed, _) = render_report(&input, &output, &["--auto"]);
    let (intro_auto, rest_auto) = (lsd_hf(&followed, true), lsd_hf(&followed, false));
    println!(
        "{report}\nLSD-HF above {cutoff_hz:.0} Hz: the full-band intro {intro_out:.3} rendered \
         ({intro_auto:.3} with --auto); the band-limited rest {rest_in:.3} as it came, \
         {rest_out:.3} rendered ({rest_auto:.3} with --auto)"
    );
    assert!(intro_out < 0.5, "the intro keeps its own band: {intro_out}");
    assert!(
        rest_out < 0.6 * rest_in,
        "the rest is restored: {rest_in} to {rest_out}"
    );
    let _ = std::fs::remove_dir_all(&work);
}
