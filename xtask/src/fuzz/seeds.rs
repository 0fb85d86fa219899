//! The seed files of a fuzz run: the first seconds of a committed recorded-music excerpt in
//! every format the decoders read, cut and encoded with sox or ffmpeg, lame and oggenc.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// Seconds of the excerpt each seed holds: long enough for several codec frames and the
/// detector, short enough to render in a fraction of a second.
const SEED_SECONDS: f64 = 1.5;

/// A valid file of one format, that cases are mutated from.
pub(super) struct Seed {
    /// The format's short name, in the tables and the case names.
    pub(super) format: &'static str,
    /// The file under `target/fuzz/seeds/`.
    pub(super) path: PathBuf,
    /// Its extension, which every case made from it keeps.
    pub(super) extension: String,
    /// Its contents.
    pub(super) bytes: Vec<u8>,
}

/// A seed format that could not be made, and why.
pub(super) struct Skipped {
    /// The format's short name.
    pub(super) format: &'static str,
    /// Why it was skipped.
    pub(super) reason: String,
}

/// The tool that cuts the excerpt into the PCM seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cutter {
    /// sox, with its own resampler and dither.
    Sox,
    /// ffmpeg, where sox is missing.
    Ffmpeg,
}

/// The PCM seeds, cut from the excerpt directly: format name, file name, then the output
/// options for sox and for ffmpeg. The first is the one the encoded seeds are made from.
const PCM_SEEDS: [(&str, &str, &[&str], &[&str]); 6] = [
    (
        "wav16",
        "wav16.wav",
        &["-r", "44100", "-b", "16", "-e", "signed-integer"],
        &["-ar", "44100", "-c:a", "pcm_s16le"],
    ),
    (
        "wav24",
        "wav24.wav",
        &["-r", "44100", "-b", "24", "-e", "signed-integer"],
        &["-ar", "44100", "-c:a", "pcm_s24le"],
    ),
    (
        "wav-float",
        "wav_float.wav",
        &["-r", "44100", "-b", "32", "-e", "floating-point"],
        &["-ar", "44100", "-c:a", "pcm_f32le"],
    ),
    (
        "wav-mono",
        "wav_mono.wav",
        &["-r", "44100", "-b", "16", "-e", "signed-integer", "-c", "1"],
        &["-ar", "44100", "-ac", "1", "-c:a", "pcm_s16le"],
    ),
    (
        "flac",
        "flac.flac",
        &["-r", "44100", "-b", "16"],
        &["-ar", "44100", "-c:a", "flac"],
    ),
    (
        "flac-48k",
        "flac_48k.flac",
        &["-r", "48000", "-b", "16"],
        &["-ar", "48000", "-c:a", "flac"],
    ),
];

/// The encoded seeds, made from the first PCM seed: format name, file name, tool, and the
/// tool's arguments with `{in}` and `{out}` for the files. The AAC seed has its index (`moov`)
/// first, as most `.m4a` files have: at the end, nearly every truncation or shifted chunk would
/// lose it, and the AAC decoder would hardly be reached.
const ENCODED_SEEDS: [(&str, &str, &str, &[&str]); 3] = [
    (
        "mp3",
        "mp3.mp3",
        "lame",
        &["--quiet", "-b", "128", "{in}", "{out}"],
    ),
    (
        "vorbis",
        "vorbis.ogg",
        "oggenc",
        &["--quiet", "-q", "2", "-o", "{out}", "{in}"],
    ),
    (
        "aac",
        "aac.m4a",
        "ffmpeg",
        &[
            "-y",
            "-v",
            "error",
            "-i",
            "{in}",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-movflags",
            "+faststart",
            "{out}",
        ],
    ),
];

/// Whether `tool` can be started (its version flag is enough to find it).
fn has_tool(tool: &str) -> bool {
    let flag = if tool == "ffmpeg" {
        "-version"
    } else {
        "--version"
    };
    Command::new(tool)
        .arg(flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs a seed-making command quietly; the error names the command and its standard error.
fn run_quietly(command: &mut Command) -> Result<()> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Makes the seeds in `dir` from the first [`SEED_SECONDS`] of `source`; formats whose tool is
/// missing, or whose tool failed, are returned as skipped.
pub(super) fn make_seeds(source: &Path, dir: &Path) -> Result<(Vec<Seed>, Vec<Skipped>)> {
    let cutter = if has_tool("sox") {
        Some(Cutter::Sox)
    } else if has_tool("ffmpeg") {
        Some(Cutter::Ffmpeg)
    } else {
        None
    };
    let mut made: Vec<(&'static str, PathBuf)> = Vec::new();
    let mut skipped = Vec::new();
    let seconds = SEED_SECONDS.to_string();
    for (format, file, sox_args, ffmpeg_args) in PCM_SEEDS {
        let path = dir.join(file);
        let mut command = match cutter {
            Some(Cutter::Sox) => {
                let mut command = Command::new("sox");
                command
                    .arg(source)
                    .args(sox_args)
                    .arg(&path)
                    .args(["trim", "0", &seconds]);
                command
            }
            Some(Cutter::Ffmpeg) => {
                let mut command = Command::new("ffmpeg");
                command
                    .args(["-y", "-v", "error", "-i"])
                    .arg(source)
                    .args(["-t", &seconds])
                    .args(ffmpeg_args)
                    .arg(&path);
                command
            }
            None => {
                skipped.push(Skipped {
                    format,
                    reason: "neither sox nor ffmpeg is installed".into(),
                });
                continue;
            }
        };
        match run_quietly(&mut command) {
            Ok(()) => made.push((format, path)),
            Err(error) => skipped.push(Skipped {
                format,
                reason: format!("{error:#}"),
            }),
        }
    }
    let pcm = made
        .iter()
        .find(|(format, _)| *format == PCM_SEEDS[0].0)
        .map(|(_, path)| path.clone());
    for (format, file, tool, args) in ENCODED_SEEDS {
        let Some(pcm) = &pcm else {
            skipped.push(Skipped {
                format,
                reason: format!("the {} seed it is encoded from is missing", PCM_SEEDS[0].0),
            });
            continue;
        };
        if !has_tool(tool) {
            skipped.push(Skipped {
                format,
                reason: format!("{tool} is not installed"),
            });
            continue;
        }
        let path = dir.join(file);
        let mut command = Command::new(tool);
        for arg in args {
            match *arg {
                "{in}" => command.arg(pcm),
                "{out}" => command.arg(&path),
                other => command.arg(other),
            };
        }
        match run_quietly(&mut command) {
            Ok(()) => made.push((format, path)),
            Err(error) => skipped.push(Skipped {
                format,
                reason: format!("{error:#}"),
            }),
        }
    }
    let seeds = made
        .into_iter()
        .map(|(format, path)| {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let extension = path
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Seed {
                format,
                path,
                extension,
                bytes,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((seeds, skipped))
}
