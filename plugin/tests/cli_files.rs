//! The `airlift` command line on the files people have: every input format (the committed
//! fixtures in `tests/formats/`, and MP3 made here with lame), every output format, gapless
//! MP3, dither, clipping reports, atomic writes, damaged files, folder mode and `--json`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use airlift::audio_file::{decode_file, read_audio, write_wav_f32, AudioData};
use serde_json::Value;

fn airlift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlift"))
        .args(args)
        .output()
        .expect("the airlift binary runs")
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "airlift failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("airlift-files-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/formats")
        .join(name)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Two notes with harmonics, at `amplitude` peak, stereo.
fn music(sample_rate_hz: u32, seconds: f32, amplitude: f32) -> AudioData {
    let len = (seconds * sample_rate_hz as f32) as usize;
    let channels = (0..2)
        .map(|c| {
            (0..len)
                .map(|i| {
                    let t = i as f32 / sample_rate_hz as f32;
                    let f0 = 220.0 + 55.0 * c as f32;
                    amplitude
                        * (1..6)
                            .map(|h| {
                                (2.0 * std::f32::consts::PI * f0 * h as f32 * t).sin()
                                    / (2.0 * h as f32)
                            })
                            .sum::<f32>()
                })
                .collect()
        })
        .collect();
    AudioData {
        sample_rate_hz,
        channels,
    }
}

/// Encodes `wav` to MP3 with lame at 128 kbps, with title, artist and album.
fn lame_encode(wav: &Path, mp3: &Path) {
    let status = Command::new("lame")
        .args([
            "--quiet", "-b", "128", "--tt", "Song", "--ta", "Band", "--tl", "Record",
        ])
        .args([s(wav), s(mp3)])
        .status()
        .expect("lame is installed (cargo xtask setup)");
    assert!(status.success());
}

/// `seconds` of [`music`] at 44.1 kHz written to `dir/source.wav` and encoded by lame to
/// `dir/song.mp3`; returns both paths.
fn wav_and_lame_mp3(dir: &Path, seconds: f32) -> (PathBuf, PathBuf) {
    let wav = dir.join("source.wav");
    write_wav_f32(&wav, &music(44_100, seconds, 0.5)).unwrap();
    let mp3 = dir.join("song.mp3");
    lame_encode(&wav, &mp3);
    (wav, mp3)
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn every_input_format_renders_at_its_length_with_its_tags() {
    let dir = scratch_dir("inputs");
    let (wav, mp3) = wav_and_lame_mp3(&dir, 1.2);
    let flac = dir.join("source.flac");
    ok(airlift(&["render", s(&wav), s(&flac), "--mix", "0"]));
    let inputs = [
        (mp3.clone(), Some("Song")),
        (wav.clone(), None),
        (flac.clone(), None),
        (fixture("tone.aac"), None),
        (fixture("tone_aac.m4a"), Some("Airlift_Tone")),
        (fixture("tone_alac.m4a"), Some("Airlift_Tone")),
        (fixture("tone.ogg"), Some("Airlift_Tone")),
        (fixture("tone.aiff"), None),
    ];
    for (input, title) in inputs {
        let decoded = decode_file(&input).unwrap();
        let out = dir.join(format!(
            "{}.out.flac",
            input.file_name().unwrap().to_string_lossy()
        ));
        ok(airlift(&["render", s(&input), s(&out), "--cutoff", "6000"]));
        let rendered = decode_file(&out).unwrap();
        assert_eq!(rendered.audio.len(), decoded.audio.len(), "{input:?}");
        assert_eq!(rendered.audio.sample_rate_hz, decoded.audio.sample_rate_hz);
        assert_eq!(rendered.tags.title.as_deref(), title, "{input:?}");
    }
    let mp3_out = decode_file(&dir.join("song.mp3.out.flac")).unwrap();
    assert_eq!(mp3_out.tags.artist.as_deref(), Some("Band"));
    assert_eq!(mp3_out.tags.album.as_deref(), Some("Record"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_output_format_holds_the_signal_within_its_dither() {
    let dir = scratch_dir("outputs");
    let input = music(48_000, 0.8, 0.7);
    let wav = dir.join("in.wav");
    write_wav_f32(&wav, &input).unwrap();
    for (name, extra, bits) in [
        ("f32.wav", &[][..], None),
        ("i16.wav", &["--bits", "16"][..], Some(16)),
        ("i24.wav", &["--bits", "24"][..], Some(24)),
        ("i24.flac", &[][..], Some(24)),
        ("i16.flac", &["--bits", "16"][..], Some(16)),
        ("by_flag.out", &["--format", "flac"][..], Some(24)),
    ] {
        let out = dir.join(name);
        let mut args = vec!["render", s(&wav), s(&out), "--mix", "0"];
        args.extend_from_slice(extra);
        ok(airlift(&args));
        let rendered = read_audio(&out).unwrap();
        assert_eq!(rendered.len(), input.len(), "{name}");
        let lsb = bits.map_or(0.0, |b: u32| 1.0 / (1u32 << (b - 1)) as f32);
        let worst = input
            .channels
            .iter()
            .flatten()
            .zip(rendered.channels.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst <= 1.5 * lsb * 1.0001, "{name}: off by {worst}");
    }
    let run = airlift(&["render", s(&wav), s(&dir.join("x.flac")), "--bits", "32"]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("16 or 24 bit"));
    let run = airlift(&["render", s(&wav), s(&dir.join("x.mp3"))]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("choose wav or flac"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lame_mp3_renders_aligned_with_lame_decode_and_as_long() {
    let dir = scratch_dir("gapless");
    let (_, mp3) = wav_and_lame_mp3(&dir, 2.3);
    let reference = dir.join("lame.wav");
    let status = Command::new("lame")
        .args(["--quiet", "--decode", s(&mp3), s(&reference)])
        .status()
        .unwrap();
    assert!(status.success());
    let out = dir.join("airlift.wav");
    ok(airlift(&["render", s(&mp3), s(&out), "--mix", "0"]));
    let lame = read_audio(&reference).unwrap();
    let ours = read_audio(&out).unwrap();
    assert_eq!(ours.len(), lame.len(), "same length as lame --decode");
    assert_eq!(ours.len(), 2 * 44_100 + 13_230, "and as the source");
    // Aligned to the sample: the two decoders agree best at lag 0, and closely.
    let mean_error = |lag: isize| {
        let (a, b) = (&lame.channels[0], &ours.channels[0]);
        let range = 100..a.len() - 100;
        let n = range.len() as f32;
        range
            .map(|i| (a[i] - b[(i as isize + lag) as usize]).abs())
            .sum::<f32>()
            / n
    };
    let at_zero = mean_error(0);
    for lag in [-2, -1, 1, 2] {
        assert!(at_zero * 20.0 < mean_error(lag), "lag {lag}");
    }
    assert!(at_zero < 2e-4, "mean error {at_zero} at lag 0");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reduced_depth_is_tpdf_dithered_and_clipping_is_reported() {
    let dir = scratch_dir("dither");
    // A sine of 0.4 LSB at 16 bit: plain rounding would write silence.
    let lsb = 1.0 / 32768.0f32;
    let len = 48_000;
    let sine: Vec<f32> = (0..len)
        .map(|i| 0.4 * lsb * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 48_000.0).sin())
        .collect();
    let input = AudioData {
        sample_rate_hz: 48_000,
        channels: vec![sine.clone(), sine.clone()],
    };
    let wav = dir.join("quiet.wav");
    write_wav_f32(&wav, &input).unwrap();
    let out = dir.join("quiet16.wav");
    ok(airlift(&[
        "render",
        s(&wav),
        s(&out),
        "--mix",
        "0",
        "--bits",
        "16",
    ]));
    let rendered = read_audio(&out).unwrap();
    // The sine survives in the noise (its amplitude measured by correlation), and the
    // error is TPDF's: mean 0, power 1/4 LSB².
    let gain = rendered.channels[0]
        .iter()
        .zip(&sine)
        .map(|(y, x)| y * x)
        .sum::<f32>()
        / sine.iter().map(|x| x * x).sum::<f32>();
    assert!(
        (gain - 1.0).abs() < 0.1,
        "the sine comes out at {gain} of itself"
    );
    let errors: Vec<f32> = rendered.channels[0]
        .iter()
        .zip(&sine)
        .map(|(y, x)| (y - x) / lsb)
        .collect();
    let mean = errors.iter().sum::<f32>() / len as f32;
    let power = errors.iter().map(|e| e * e).sum::<f32>() / len as f32;
    assert!(mean.abs() < 0.02, "mean error {mean} LSB");
    assert!((power - 0.25).abs() < 0.03, "error power {power} LSB²");

    // 6 dB of gain on a signal peaking at 0.7: about +2.9 dBFS.
    let loud = dir.join("loud.wav");
    write_wav_f32(&loud, &music(48_000, 0.5, 0.7)).unwrap();
    let run = ok(airlift(&[
        "render",
        s(&loud),
        s(&dir.join("loud16.flac")),
        "--mix",
        "0",
        "--gain-db",
        "6",
        "--bits",
        "16",
    ]));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("dBFS over full scale") && stderr.contains("samples clipped"),
        "{stderr}"
    );
    let run = ok(airlift(&[
        "render",
        s(&loud),
        s(&dir.join("loud.wav.out.wav")),
        "--mix",
        "0",
        "--gain-db",
        "6",
    ]));
    assert!(String::from_utf8_lossy(&run.stderr).contains("over full scale (kept in 32-bit float"));
    let quiet = ok(airlift(&[
        "render",
        s(&loud),
        s(&dir.join("fine.wav")),
        "--mix",
        "0",
    ]));
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("full scale"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damaged_and_truncated_files_name_the_position_and_leave_nothing() {
    let dir = scratch_dir("damaged");
    let (wav, mp3) = wav_and_lame_mp3(&dir, 3.0);
    let flac = dir.join("song.flac");
    ok(airlift(&["render", s(&wav), s(&flac), "--mix", "0"]));
    for source in [&mp3, &flac] {
        let bytes = std::fs::read(source).unwrap();
        let extension = source.extension().unwrap().to_str().unwrap();
        let truncated = dir.join(format!("truncated.{extension}"));
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let mut scrambled = bytes.clone();
        let middle = bytes.len() / 2;
        for byte in &mut scrambled[middle..middle + 3000] {
            *byte = byte.wrapping_mul(37).wrapping_add(11);
        }
        let damaged = dir.join(format!("damaged.{extension}"));
        std::fs::write(&damaged, &scrambled).unwrap();
        for (input, words) in [
            (
                &truncated,
                "is truncated or damaged: the audio stops at 0:01.",
            ),
            (&damaged, "damaged"),
        ] {
            let out = dir.join("out.wav");
            let run = airlift(&["render", s(input), s(&out)]);
            assert!(!run.status.success());
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
            assert!(
                stderr.contains(s(input)) && stderr.contains(words),
                "{stderr}"
            );
            assert!(!out.exists());
            let leftovers = std::fs::read_dir(&dir)
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .contains("partial")
                })
                .count();
            assert_eq!(leftovers, 0);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_killed_render_leaves_no_file_under_the_final_name() {
    let dir = scratch_dir("killed");
    let wav = dir.join("long.wav");
    write_wav_f32(&wav, &music(48_000, 150.0, 0.5)).unwrap();
    let out = dir.join("out.wav");
    let partial = dir.join(".out.wav.partial");
    // Kill the render while its output is being written: the partial file exists then.
    let mut caught_writing = false;
    for _ in 0..3 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_airlift"))
            .args(["render", s(&wav), s(&out), "--mix", "0"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !partial.exists() && started.elapsed() < Duration::from_secs(120) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        if partial.exists() {
            child.kill().unwrap();
            child.wait().unwrap();
            assert!(!out.exists(), "a killed run left {out:?}");
            caught_writing = true;
            break;
        }
        child.wait().unwrap();
        let _ = std::fs::remove_file(&out);
    }
    assert!(caught_writing, "never caught the render while it wrote");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn folders_render_with_relative_paths_skip_existing_and_list_bad_files() {
    let dir = scratch_dir("folder");
    let music_dir = dir.join("music");
    std::fs::create_dir_all(music_dir.join("album/disc2")).unwrap();
    write_wav_f32(&music_dir.join("album/one.wav"), &music(44_100, 1.0, 0.5)).unwrap();
    write_wav_f32(
        &music_dir.join("album/disc2/two.wav"),
        &music(48_000, 1.0, 0.5),
    )
    .unwrap();
    lame_encode(
        &music_dir.join("album/one.wav"),
        &music_dir.join("three.mp3"),
    );
    std::fs::write(music_dir.join("album/broken.flac"), b"fLaC not really").unwrap();
    std::fs::write(music_dir.join("cover.txt"), b"not audio").unwrap();
    let single = dir.join("single.wav");
    write_wav_f32(&single, &music(44_100, 0.7, 0.5)).unwrap();
    let out = dir.join("restored");

    let run = airlift(&[
        "render",
        s(&music_dir),
        s(&single),
        s(&out),
        "--format",
        "flac",
        "--jobs",
        "2",
        "--json",
        "--cutoff",
        "8000",
    ]);
    assert!(!run.status.success(), "a bad file makes the exit non-zero");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("failed:") && stderr.contains("broken.flac"),
        "{stderr}"
    );
    assert!(
        stderr.contains("4 rendered, 0 skipped, 1 failed"),
        "{stderr}"
    );
    for expected in [
        "album/one.flac",
        "album/disc2/two.flac",
        "three.flac",
        "single.flac",
    ] {
        let path = out.join(expected);
        let rendered = read_audio(&path).unwrap_or_else(|e| panic!("{expected}: {e}"));
        assert!(rendered.len() > 30_000, "{expected}");
        assert!(
            stderr.contains(&format!("-> {}", path.display())),
            "{stderr}"
        );
    }
    assert!(!out.join("album/broken.flac").exists() && !out.join("cover.flac").exists());
    let objects = json_lines(&run);
    assert_eq!(objects.len(), 5);
    let rendered: Vec<&Value> = objects
        .iter()
        .filter(|o| o["status"] == "rendered")
        .collect();
    assert_eq!(rendered.len(), 4);
    assert!(rendered
        .iter()
        .all(|o| o["cutoff_hz"] == 8000.0 && o["model"] == "unet"));
    let failed: Vec<&Value> = objects.iter().filter(|o| o["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["input"]
        .as_str()
        .unwrap()
        .ends_with("broken.flac"));

    // Again: what exists is skipped and left alone, unless --overwrite.
    let first = std::fs::metadata(out.join("three.flac"))
        .unwrap()
        .modified()
        .unwrap();
    let run = airlift(&["render", s(&music_dir), s(&out), "--format", "flac"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("0 rendered, 3 skipped, 1 failed"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::metadata(out.join("three.flac"))
            .unwrap()
            .modified()
            .unwrap(),
        first
    );
    let run = airlift(&[
        "render",
        s(&music_dir),
        s(&out),
        "--format",
        "flac",
        "--overwrite",
    ]);
    assert!(String::from_utf8_lossy(&run.stderr).contains("3 rendered, 0 skipped, 1 failed"));
    assert_ne!(
        std::fs::metadata(out.join("three.flac"))
            .unwrap()
            .modified()
            .unwrap(),
        first
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn detect_and_eval_print_json_per_file() {
    let dir = scratch_dir("json");
    let a = dir.join("a.wav");
    let b = dir.join("b.wav");
    write_wav_f32(&a, &music(44_100, 2.0, 0.5)).unwrap();
    write_wav_f32(&b, &music(48_000, 2.0, 0.5)).unwrap();
    let missing = dir.join("missing.wav");
    let run = airlift(&["detect", s(&a), s(&missing), s(&b), "--json"]);
    assert!(!run.status.success());
    let objects = json_lines(&run);
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["input"], s(&a));
    assert!(["band_limit", "no_band_limit"].contains(&objects[0]["detection"].as_str().unwrap()));
    assert!(objects[1]["error"]
        .as_str()
        .unwrap()
        .contains("cannot open"));
    assert_eq!(objects[2]["input"], s(&b));

    let run = ok(airlift(&[
        "eval",
        s(&a),
        s(&a),
        "--cutoff",
        "8000",
        "--json",
    ]));
    let objects = json_lines(&run);
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["lsd"], 0.0);
    assert_eq!(objects[0]["lsd_hf"], 0.0);
    assert_eq!(objects[0]["cutoff_hz"], 8000.0);

    let run = ok(airlift(&["render", s(&a), s(&dir.join("o.wav")), "--json"]));
    let objects = json_lines(&run);
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["status"], "rendered");
    assert_eq!(objects[0]["sample_rate_hz"], 44_100);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let dir = scratch_dir("pipe");
    let inputs: Vec<PathBuf> = (0..3)
        .map(|i| {
            let path = dir.join(format!("{i}.wav"));
            write_wav_f32(&path, &music(44_100, 2.0, 0.5)).unwrap();
            path
        })
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlift"))
        .arg("detect")
        .args(&inputs)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the first line is written, as `| head -c 0` would.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_inputs_for_one_output_render_the_first_and_fail_the_second() {
    let dir = scratch_dir("clash");
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    write_wav_f32(&input.join("song.wav"), &music(44_100, 0.6, 0.5)).unwrap();
    ok(airlift(&[
        "render",
        s(&input.join("song.wav")),
        s(&input.join("song.flac")),
        "--mix",
        "0",
    ]));
    let out = dir.join("out");
    let run = airlift(&["render", s(&input), s(&out)]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("1 rendered, 0 skipped, 1 failed"),
        "{stderr}"
    );
    assert!(stderr.contains("already writes"), "{stderr}");
    assert!(out.join("song.wav").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
