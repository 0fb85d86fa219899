//! The `airlift` command line: renders aligned with the input, and every bad input is one
//! readable line on stderr, a non-zero exit, and no output file left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use airlift::audio_file::{read_audio, write_wav_f32, AudioData};

fn airlift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlift"))
        .args(args)
        .output()
        .expect("the airlift binary runs")
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("airlift-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn music(sample_rate_hz: u32, seconds: f32, channels: usize) -> AudioData {
    let len = (seconds * sample_rate_hz as f32) as usize;
    let channels = (0..channels)
        .map(|c| {
            (0..len)
                .map(|i| {
                    let t = i as f32 / sample_rate_hz as f32;
                    0.3 * (2.0 * std::f32::consts::PI * (220.0 + 110.0 * c as f32) * t).sin()
                        + 0.05 * ((i * 7919 + c * 31) % 101) as f32 / 101.0
                })
                .collect()
        })
        .collect();
    AudioData {
        sample_rate_hz,
        channels,
    }
}

/// Renders `input` to `output` with SBR above 5 kHz and the `extra` arguments, and reads the
/// result; the run must succeed.
fn render_sbr_at_5_khz(input: &Path, output: &Path, extra: &[&str]) -> AudioData {
    let mut args = vec![
        "render",
        input.to_str().unwrap(),
        output.to_str().unwrap(),
        "--cutoff",
        "5000",
        "--model",
        "sbr",
    ];
    args.extend_from_slice(extra);
    let run = airlift(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    read_audio(output).unwrap()
}

/// Asserts a failed run: non-zero exit, exactly one line on stderr mentioning `needle`, and
/// neither the output file nor a partial file left in its folder.
fn assert_clean_failure(output: &Output, needle: &str, out_path: &Path) {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.contains(needle), "'{needle}' not in: {stderr}");
    assert!(!out_path.exists());
    let folder = out_path.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
}

#[test]
fn render_keeps_rate_channels_length_and_alignment() {
    let dir = scratch_dir("render");
    for channels in [1, 2] {
        let input = music(48_000, 1.5, channels);
        let in_path = dir.join(format!("in{channels}.wav"));
        let out_path = dir.join(format!("out{channels}.wav"));
        write_wav_f32(&in_path, &input).unwrap();
        let run = airlift(&[
            "render",
            in_path.to_str().unwrap(),
            out_path.to_str().unwrap(),
            "--mix",
            "0",
        ]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        // A dry render is the input itself: same rate, channels and length, and aligned.
        assert_eq!(read_audio(&out_path).unwrap(), input);

        let run = airlift(&[
            "render",
            in_path.to_str().unwrap(),
            out_path.to_str().unwrap(),
            "--cutoff",
            "5000",
        ]);
        assert!(run.status.success());
        let wet = read_audio(&out_path).unwrap();
        assert_eq!(wet.channels.len(), channels);
        assert_eq!(wet.len(), input.len());
        assert_ne!(wet, input);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn listen_added_writes_what_the_render_adds_to_the_input() {
    let dir = scratch_dir("listen");
    let input = music(48_000, 1.5, 2);
    let in_path = dir.join("in.wav");
    write_wav_f32(&in_path, &input).unwrap();
    let render = |out: &Path, extra: &[&str]| render_sbr_at_5_khz(&in_path, out, extra);
    let output = render(&dir.join("out.wav"), &[]);
    let added = render(&dir.join("added.wav"), &["--listen", "added"]);
    let worst = (0..2)
        .flat_map(|c| (0..input.len()).map(move |i| (c, i)))
        .map(|(c, i)| (input.channels[c][i] + added.channels[c][i] - output.channels[c][i]).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-6,
        "input + added differs from the output by {worst}"
    );
    assert!(added.channels[0].iter().any(|x| x.abs() > 1e-3));
    let bad = airlift(&[
        "render",
        in_path.to_str().unwrap(),
        "x.wav",
        "--listen",
        "delta",
    ]);
    assert!(!bad.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn denoise_writes_what_it_removes_and_refuses_an_amount_outside_0_to_1() {
    let dir = scratch_dir("denoise");
    let mut input = music(44_100, 2.0, 2);
    // Clicks: short bursts of either sign, ten a second, in both channels.
    for channel in &mut input.channels {
        for at in (2_000..channel.len() - 100).step_by(4_410) {
            for (k, sample) in channel[at..at + 6].iter_mut().enumerate() {
                *sample += if k % 2 == 0 { 0.6 } else { -0.5 };
            }
        }
    }
    let in_path = dir.join("in.wav");
    write_wav_f32(&in_path, &input).unwrap();
    let render = |out: &Path, extra: &[&str]| {
        render_sbr_at_5_khz(&in_path, out, &[&["--denoise", "1"], extra].concat())
    };
    let output = render(&dir.join("out.wav"), &[]);
    let added = render(&dir.join("added.wav"), &["--listen", "added"]);
    let removed = render(&dir.join("removed.wav"), &["--listen", "removed"]);
    let worst = (0..2)
        .flat_map(|c| (0..input.len()).map(move |i| (c, i)))
        .map(|(c, i)| {
            (input.channels[c][i] + added.channels[c][i]
                - removed.channels[c][i]
                - output.channels[c][i])
                .abs()
        })
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-5,
        "input + added - removed differs from the output by {worst}"
    );
    // What was removed holds the clicks: its loudest samples lie at them.
    let loudest = removed.channels[0]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map(|(i, _)| i)
        .unwrap();
    assert!(
        (loudest + 4_410 - 2_000) % 4_410 < 16,
        "the loudest removed sample, at {loudest}, is not at a click"
    );
    let out_path = dir.join("never.wav");
    let bad = airlift(&[
        "render",
        in_path.to_str().unwrap(),
        out_path.to_str().unwrap(),
        "--denoise",
        "1.5",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("denoise 1.5 is outside 0..1"));
    assert!(!out_path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn detect_and_eval_print_their_results() {
    let dir = scratch_dir("eval");
    let input = music(44_100, 2.0, 2);
    let path = dir.join("in.wav");
    write_wav_f32(&path, &input).unwrap();
    let run = airlift(&["detect", path.to_str().unwrap()]);
    assert!(run.status.success());
    assert!(String::from_utf8_lossy(&run.stdout).starts_with("band limit: "));

    let p = path.to_str().unwrap();
    let run = airlift(&["eval", p, p, "--cutoff", "8000"]);
    assert!(run.status.success());
    let text = String::from_utf8_lossy(&run.stdout);
    for line in [
        "LSD:       0.0000",
        "LSD-HF:    0.0000",
        "low band:  -inf dB",
        "level +0.0 / +0.0 / +0.0 dB by thirds, LSD 0.0000",
    ] {
        assert!(text.contains(line), "{line} not in:\n{text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_is_one_line_a_failure_and_no_output() {
    let dir = scratch_dir("errors");
    let out = dir.join("out.wav");
    let out_arg = out.to_str().unwrap();

    let missing = dir.join("missing.wav");
    let run = airlift(&["render", missing.to_str().unwrap(), out_arg]);
    assert_clean_failure(&run, "cannot open", &out);

    let text = dir.join("notes.wav");
    std::fs::write(&text, "these are not samples").unwrap();
    let run = airlift(&["render", text.to_str().unwrap(), out_arg]);
    assert_clean_failure(&run, "not an audio file Airlift can read", &out);

    let low_rate = dir.join("low_rate.wav");
    write_wav_f32(&low_rate, &music(22_050, 0.5, 2)).unwrap();
    let run = airlift(&["render", low_rate.to_str().unwrap(), out_arg]);
    assert_clean_failure(&run, "unsupported sample rate 22050 Hz", &out);

    let surround = dir.join("surround.wav");
    write_wav_f32(&surround, &music(48_000, 0.5, 6)).unwrap();
    let run = airlift(&["render", surround.to_str().unwrap(), out_arg]);
    assert_clean_failure(&run, "6 channels", &out);

    // A WAV header that declares zero channels.
    let mut zero_channels = Vec::new();
    zero_channels.extend_from_slice(b"RIFF");
    zero_channels.extend_from_slice(&36u32.to_le_bytes());
    zero_channels.extend_from_slice(b"WAVEfmt ");
    zero_channels.extend_from_slice(&16u32.to_le_bytes());
    zero_channels.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    zero_channels.extend_from_slice(&0u16.to_le_bytes()); // channels
    zero_channels.extend_from_slice(&48_000u32.to_le_bytes());
    zero_channels.extend_from_slice(&0u32.to_le_bytes());
    zero_channels.extend_from_slice(&0u16.to_le_bytes());
    zero_channels.extend_from_slice(&32u16.to_le_bytes());
    zero_channels.extend_from_slice(b"data");
    zero_channels.extend_from_slice(&0u32.to_le_bytes());
    let zero = dir.join("zero_channels.wav");
    std::fs::write(&zero, zero_channels).unwrap();
    let run = airlift(&["render", zero.to_str().unwrap(), out_arg]);
    assert_clean_failure(&run, "invalid channel count", &out);

    // An output folder that does not exist: nothing is created.
    let good = dir.join("good.wav");
    write_wav_f32(&good, &music(48_000, 0.5, 1)).unwrap();
    let nowhere = dir.join("no/such/folder/out.wav");
    let run = airlift(&["render", good.to_str().unwrap(), nowhere.to_str().unwrap()]);
    assert!(!run.status.success());
    assert_eq!(
        String::from_utf8_lossy(&run.stderr)
            .trim_end()
            .lines()
            .count(),
        1
    );
    assert!(!dir.join("no").exists());

    let run = airlift(&["detect", missing.to_str().unwrap()]);
    assert!(!run.status.success());
    assert_eq!(
        String::from_utf8_lossy(&run.stderr)
            .trim_end()
            .lines()
            .count(),
        1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The fixture model's folder.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/fixtures")
}

fn airlift_with(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlift"));
    command.args(args).env_remove("ORT_DYLIB_PATH");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the airlift binary runs")
}

#[test]
fn the_model_runs_when_it_can_and_sbr_with_a_reason_when_it_cannot() {
    let dir = scratch_dir("models");
    let input = dir.join("in.wav");
    write_wav_f32(&input, &music(48_000, 1.0, 2)).unwrap();
    let render = |out: &str, model: &str, env: &[(&str, &Path)]| {
        let out = dir.join(out);
        let run = airlift_with(
            &[
                "render",
                input.to_str().unwrap(),
                out.to_str().unwrap(),
                "--cutoff",
                "6000",
                "--model",
                model,
            ],
            env,
        );
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        (
            read_audio(&out).unwrap(),
            String::from_utf8_lossy(&run.stderr).into_owned(),
        )
    };
    let fixtures = fixtures();
    let (sbr, _) = render("sbr.wav", "sbr", &[]);

    // ONNX Runtime beside the binary (placed by `cargo xtask test`) and the fixture installed.
    let (model, log) = render("model.wav", "unet", &[("AIRLIFT_MODEL_DIR", &fixtures)]);
    assert!(
        log.contains("model: tenfold_magnitude on ONNX Runtime (CPU)"),
        "{log}"
    );
    assert_ne!(model, sbr);

    // No ONNX Runtime: a one-line reason, and exactly the SBR render.
    let nowhere = Path::new("/nonexistent/libonnxruntime.so.1.31.1");
    let (fallback, log) = render(
        "no_runtime.wav",
        "unet",
        &[
            ("AIRLIFT_MODEL_DIR", &fixtures),
            ("ORT_DYLIB_PATH", nowhere),
        ],
    );
    assert!(
        log.contains("ONNX Runtime not found") && log.contains("SBR runs instead"),
        "{log}"
    );
    assert_eq!(fallback, sbr);

    // A library that is not ONNX Runtime.
    let not_ort = Path::new("/lib/x86_64-linux-gnu/libm.so.6");
    if not_ort.exists() {
        let (fallback, log) = render(
            "not_ort.wav",
            "unet",
            &[
                ("AIRLIFT_MODEL_DIR", &fixtures),
                ("ORT_DYLIB_PATH", not_ort),
            ],
        );
        assert!(log.contains("does not export `OrtGetApiBase`"), "{log}");
        assert_eq!(fallback, sbr);
    }

    // A broken model file: ONNX Runtime's reason, and SBR.
    let broken = dir.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::copy(
        fixtures.join("tenfold_magnitude.json"),
        broken.join("tenfold_magnitude.json"),
    )
    .unwrap();
    std::fs::write(
        broken.join("tenfold_magnitude.onnx"),
        b"this is not a model",
    )
    .unwrap();
    let (fallback, log) = render("broken.wav", "unet", &[("AIRLIFT_MODEL_DIR", &broken)]);
    assert!(
        log.contains("ONNX Runtime:") && log.contains("SBR runs instead"),
        "{log}"
    );
    assert_eq!(fallback, sbr);

    std::fs::remove_dir_all(&dir).unwrap();
}
