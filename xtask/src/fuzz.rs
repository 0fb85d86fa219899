//! `cargo xtask fuzz`: decoder fuzzing of `airlift render`.
//!
//! Seeds are cut from a committed recorded-music excerpt in every format the decoders read
//! (WAV in 16 and 24 bits and float, mono WAV, FLAC at 44.1 and 48 kHz, MP3, Ogg Vorbis, AAC),
//! with sox or ffmpeg, lame and oggenc; a format whose tool is missing is skipped. Each case is
//! a seed mutated by a PRNG seeded from the run's seed and the case's index (so any case can be
//! made again), rendered with the SBR model (the decoders are the subject, not the models) under
//! a time limit, and classified by how the CLI ended. The first failing cases are kept with
//! their standard error; the summary is printed as a Markdown table and written as JSON.

use std::fmt::Write as _;
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{release_cli, user_model_dir, DEMO_ORIGINAL};

/// The usage line of `cargo xtask fuzz`.
const USAGE: &str =
    "usage: cargo xtask fuzz [--files N] [--seed S] [--timeout-seconds T] [--jobs J]";

/// Seconds of the excerpt each seed holds: long enough for several codec frames and the
/// detector, short enough to render in a fraction of a second.
const SEED_SECONDS: f64 = 1.5;

/// Failing cases kept in `target/fuzz/failures/`, with their standard error.
const KEPT_FAILURES: usize = 20;

/// Cases between two progress lines.
const PROGRESS_EVERY_FILES: usize = 500;

/// How long a worker sleeps between two polls of a running render.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// The bytes counted as a file's headers, where one mutation aims specifically.
const HEADER_BYTES: usize = 512;

/// The longest chunk a duplication or a deletion moves, in bytes.
const MAX_CHUNK_BYTES: usize = 4096;

/// The four-byte values a length field is set to: all ones, zero and the largest signed.
const LENGTH_FIELD_VALUES: [u32; 3] = [0xFFFF_FFFF, 0x0000_0000, 0x7FFF_FFFF];

/// What a fuzz run does, from the command line.
#[derive(Debug, Clone, PartialEq)]
struct FuzzOptions {
    /// Cases rendered, round-robin over the seeds.
    files: usize,
    /// The run's seed: with a case's index it seeds that case's PRNG.
    seed: u64,
    /// Seconds a render may run before it is killed and counted as a hang.
    timeout_seconds: f64,
    /// Renders running at once.
    jobs: usize,
}

impl Default for FuzzOptions {
    fn default() -> Self {
        Self {
            files: 10_000,
            seed: 1,
            timeout_seconds: 20.0,
            jobs: 2,
        }
    }
}

impl FuzzOptions {
    /// Reads `--files N --seed S --timeout-seconds T --jobs J`, each optional.
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self::default();
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let Some(value) = args.next() else {
                bail!("{flag} needs a value\n{USAGE}");
            };
            let invalid = || format!("'{value}' is not a valid value for {flag}\n{USAGE}");
            match flag.as_str() {
                "--files" => {
                    options.files = value
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .with_context(invalid)?
                }
                "--seed" => options.seed = value.parse().ok().with_context(invalid)?,
                "--timeout-seconds" => {
                    options.timeout_seconds = value
                        .parse()
                        .ok()
                        .filter(|&t: &f64| t.is_finite() && t > 0.0)
                        .with_context(invalid)?
                }
                "--jobs" => {
                    options.jobs = value
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .with_context(invalid)?
                }
                _ => bail!("unknown option '{flag}'\n{USAGE}"),
            }
        }
        Ok(options)
    }

    /// The `cargo xtask` command line that repeats this run.
    fn command_line(&self) -> String {
        format!(
            "cargo xtask fuzz --files {} --seed {} --timeout-seconds {} --jobs {}",
            self.files, self.seed, self.timeout_seconds, self.jobs
        )
    }
}

/// A valid file of one format, that cases are mutated from.
struct Seed {
    /// The format's short name, in the tables and the case names.
    format: &'static str,
    /// The file under `target/fuzz/seeds/`.
    path: PathBuf,
    /// Its extension, which every case made from it keeps.
    extension: String,
    /// Its contents.
    bytes: Vec<u8>,
}

/// A seed format that could not be made, and why.
struct Skipped {
    /// The format's short name.
    format: &'static str,
    /// Why it was skipped.
    reason: String,
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

/// Runs `cargo xtask fuzz` with its arguments.
pub fn fuzz(root: &Path, args: &[String]) -> Result<()> {
    let options = FuzzOptions::parse(args)?;
    crate::system::ensure(crate::system::FUZZ_PACKAGES)?;
    let cli = release_cli(root)?;
    let models = user_model_dir(root)?;
    let work = root.join("target/fuzz");
    let dirs = FuzzDirs::new(&work)?;
    let (seeds, skipped) = make_seeds(&root.join(DEMO_ORIGINAL), &dirs.seeds)?;
    for skip in &skipped {
        println!("fuzz: skipped {}: {}", skip.format, skip.reason);
    }
    if seeds.is_empty() {
        bail!("no seed could be made (sox, lame, oggenc and ffmpeg were not found)");
    }
    println!(
        "fuzz: {} files over {} seeds ({}), seed {}, {} s per render, {} jobs",
        options.files,
        seeds.len(),
        seeds
            .iter()
            .map(|s| s.format)
            .collect::<Vec<_>>()
            .join(", "),
        options.seed,
        options.timeout_seconds,
        options.jobs
    );
    let started = Instant::now();
    let tally = render_cases(&options, &seeds, &dirs, &cli, &models, started)?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let summary = Summary {
        options: &options,
        seeds: &seeds,
        skipped: &skipped,
        tally: &tally,
        wall_seconds,
    };
    println!("\n{}", summary.markdown(root));
    let json_path = work.join("summary.json");
    std::fs::write(&json_path, summary.json(root))
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!("summary: {}", json_path.display());
    let failing: usize = Class::ALL
        .iter()
        .filter(|class| class.fails_the_run())
        .map(|&class| tally.total(class))
        .sum();
    if failing > 0 {
        bail!(
            "{failing} case(s) crashed, hung or left a partial file or no output: see {}",
            dirs.failures.display()
        );
    }
    Ok(())
}

/// The run's folders under `target/fuzz/`, emptied at the start.
struct FuzzDirs {
    /// The seeds, one file per format.
    seeds: PathBuf,
    /// The mutated cases, each removed once classified unless it is kept.
    cases: PathBuf,
    /// One output folder per running case, with its standard error beside it.
    out: PathBuf,
    /// The first failing cases and their standard error.
    failures: PathBuf,
}

impl FuzzDirs {
    /// Makes the folders under `work`, emptied of an earlier run's files.
    fn new(work: &Path) -> Result<Self> {
        let dirs = Self {
            seeds: work.join("seeds"),
            cases: work.join("cases"),
            out: work.join("out"),
            failures: work.join("failures"),
        };
        for dir in [&dirs.seeds, &dirs.cases, &dirs.out, &dirs.failures] {
            if dir.exists() {
                std::fs::remove_dir_all(dir)
                    .with_context(|| format!("emptying {}", dir.display()))?;
            }
            std::fs::create_dir_all(dir)?;
        }
        Ok(dirs)
    }
}

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
fn make_seeds(source: &Path, dir: &Path) -> Result<(Vec<Seed>, Vec<Skipped>)> {
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

/// A small, fast PRNG (xorshift64*), enough to choose mutations; never for anything secret.
struct Rng {
    /// The state, never zero.
    state: u64,
}

impl Rng {
    /// The PRNG of case `index` of a run with seed `seed`: the two are mixed by SplitMix64, so
    /// that neighbouring indices give unrelated streams.
    fn for_case(seed: u64, index: u64) -> Self {
        let state = splitmix64(seed ^ splitmix64(index));
        Self {
            state: if state == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                state
            },
        }
    }

    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` above zero).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    /// A random byte.
    fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }
}

/// One step of SplitMix64, the mixer that seeds [`Rng`].
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One way a case is damaged; a case gets one to three of them, in random order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    /// Flip 1 to 64 random bits.
    FlipBits,
    /// Overwrite 1 to 16 runs of 1 to 16 bytes with random bytes.
    OverwriteRuns,
    /// Overwrite 1 to 16 bytes among the first [`HEADER_BYTES`] (the headers).
    OverwriteHeader,
    /// Cut the file at a random length.
    Truncate,
    /// Copy a chunk of up to [`MAX_CHUNK_BYTES`] to a random place.
    DuplicateChunk,
    /// Remove a chunk of up to [`MAX_CHUNK_BYTES`].
    DeleteChunk,
    /// Insert 1 to 256 random bytes at a random place.
    InsertBytes,
    /// Set four bytes (half the time in the headers) to a length field's extreme values.
    LengthField,
}

impl Mutation {
    /// Every mutation, equally likely.
    const ALL: [Mutation; 8] = [
        Mutation::FlipBits,
        Mutation::OverwriteRuns,
        Mutation::OverwriteHeader,
        Mutation::Truncate,
        Mutation::DuplicateChunk,
        Mutation::DeleteChunk,
        Mutation::InsertBytes,
        Mutation::LengthField,
    ];

    /// Applies the mutation to `bytes`; one that needs a byte to work on leaves an empty file
    /// as it is.
    fn apply(self, bytes: &mut Vec<u8>, rng: &mut Rng) {
        let len = bytes.len();
        if len == 0 && self != Mutation::InsertBytes {
            return;
        }
        match self {
            Mutation::FlipBits => {
                for _ in 0..rng.between(1, 64) {
                    let at = rng.below(len);
                    bytes[at] ^= 1 << rng.below(8);
                }
            }
            Mutation::OverwriteRuns => {
                for _ in 0..rng.between(1, 16) {
                    let start = rng.below(len);
                    let end = (start + rng.between(1, 16)).min(len);
                    for byte in &mut bytes[start..end] {
                        *byte = rng.byte();
                    }
                }
            }
            Mutation::OverwriteHeader => {
                let header = len.min(HEADER_BYTES);
                for _ in 0..rng.between(1, 16) {
                    let at = rng.below(header);
                    bytes[at] = rng.byte();
                }
            }
            Mutation::Truncate => bytes.truncate(rng.below(len)),
            Mutation::DuplicateChunk => {
                let start = rng.below(len);
                let end = start + rng.between(1, (len - start).min(MAX_CHUNK_BYTES));
                let chunk = bytes[start..end].to_vec();
                let at = rng.below(len + 1);
                bytes.splice(at..at, chunk);
            }
            Mutation::DeleteChunk => {
                let start = rng.below(len);
                let end = start + rng.between(1, (len - start).min(MAX_CHUNK_BYTES));
                bytes.drain(start..end);
            }
            Mutation::InsertBytes => {
                let at = rng.below(len + 1);
                let inserted: Vec<u8> = (0..rng.between(1, 256)).map(|_| rng.byte()).collect();
                bytes.splice(at..at, inserted);
            }
            Mutation::LengthField => {
                let value = LENGTH_FIELD_VALUES[rng.below(LENGTH_FIELD_VALUES.len())];
                let start = if rng.below(2) == 0 {
                    rng.below(len.min(HEADER_BYTES))
                } else {
                    rng.below(len)
                };
                let end = (start + 4).min(len);
                bytes[start..end].copy_from_slice(&value.to_le_bytes()[..end - start]);
            }
        }
    }
}

/// Case `index` of a run with seed `seed`: a copy of `seed_bytes` with one to three random
/// mutations, the same every time.
fn mutate(seed_bytes: &[u8], seed: u64, index: u64) -> Vec<u8> {
    let mut rng = Rng::for_case(seed, index);
    let mut bytes = seed_bytes.to_vec();
    for _ in 0..rng.between(1, 3) {
        let mutation = Mutation::ALL[rng.below(Mutation::ALL.len())];
        mutation.apply(&mut bytes, &mut rng);
    }
    bytes
}

/// How a render of a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Exit 0, and a non-empty output file was the only file written.
    Rendered,
    /// A non-zero exit code, one line of standard error starting `airlift: error:`, no file.
    CleanError,
    /// A non-zero exit code and no file, but standard error is not that one line.
    MessyError,
    /// A file was left in the output folder although the render failed, or beside the output
    /// of one that succeeded, or the output is empty.
    PartialFile,
    /// Exit 0 but no output file at all.
    NoOutput,
    /// Killed by a signal, or a Rust panic on standard error.
    Crash,
    /// Still running at the time limit, and killed.
    Hang,
}

impl Class {
    /// Every class, in the tables' order.
    const ALL: [Class; 7] = [
        Class::Rendered,
        Class::CleanError,
        Class::MessyError,
        Class::PartialFile,
        Class::NoOutput,
        Class::Crash,
        Class::Hang,
    ];

    /// Its name in the Markdown table.
    fn label(self) -> &'static str {
        match self {
            Class::Rendered => "rendered",
            Class::CleanError => "clean error",
            Class::MessyError => "messy error",
            Class::PartialFile => "partial file",
            Class::NoOutput => "no output",
            Class::Crash => "crash",
            Class::Hang => "hang",
        }
    }

    /// Its key in the JSON summary.
    fn key(self) -> &'static str {
        match self {
            Class::Rendered => "rendered",
            Class::CleanError => "clean_error",
            Class::MessyError => "messy_error",
            Class::PartialFile => "partial_file",
            Class::NoOutput => "no_output",
            Class::Crash => "crash",
            Class::Hang => "hang",
        }
    }

    /// A failing case, kept and listed: anything but a render or a clean error.
    fn is_failure(self) -> bool {
        !matches!(self, Class::Rendered | Class::CleanError)
    }

    /// A failure that makes the run exit non-zero (a messy error is only listed).
    fn fails_the_run(self) -> bool {
        matches!(
            self,
            Class::Crash | Class::Hang | Class::PartialFile | Class::NoOutput
        )
    }
}

/// How the render process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// It exited with this code.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
    /// It ran past the time limit and was killed.
    TimedOut,
}

impl Ending {
    /// The ending of an exited process.
    fn of(status: ExitStatus) -> Self {
        match (status.code(), status.signal()) {
            (Some(code), _) => Ending::Code(code),
            (None, Some(signal)) => Ending::Signal(signal),
            (None, None) => Ending::Signal(0),
        }
    }
}

/// The class of a case from how its render ended, its standard error, the size of its output
/// file (`None` when there is none) and the count of other files in its output folder.
fn classify(ending: Ending, stderr: &str, output_bytes: Option<u64>, other_files: usize) -> Class {
    let left_a_file = output_bytes.is_some() || other_files > 0;
    match ending {
        Ending::TimedOut => Class::Hang,
        Ending::Signal(_) => Class::Crash,
        Ending::Code(_) if stderr.contains("panicked") => Class::Crash,
        Ending::Code(0) => match output_bytes {
            Some(bytes) if bytes > 0 && other_files == 0 => Class::Rendered,
            _ if left_a_file => Class::PartialFile,
            _ => Class::NoOutput,
        },
        Ending::Code(_) if left_a_file => Class::PartialFile,
        Ending::Code(_) => {
            let mut lines = stderr.lines().filter(|line| !line.trim().is_empty());
            match (lines.next(), lines.next()) {
                (Some(line), None) if line.starts_with("airlift: error:") => Class::CleanError,
                _ => Class::MessyError,
            }
        }
    }
}

/// What happened to one case.
struct Outcome {
    /// The case's index.
    index: usize,
    /// The index of its seed.
    seed: usize,
    /// The case file, left for the main thread to keep or remove.
    case: PathBuf,
    /// How the render ended.
    class: Class,
    /// The render's standard error.
    stderr: String,
}

/// The counts of a run, per seed and class, and the failing cases.
struct Tally {
    /// `counts[seed][class]`, the class as its place in [`Class::ALL`].
    counts: Vec<[usize; Class::ALL.len()]>,
    /// Every failing case: index, seed, class, and the kept file when it was kept.
    failures: Vec<(usize, usize, Class, Option<PathBuf>)>,
}

impl Tally {
    /// Cases of `class` over every seed.
    fn total(&self, class: Class) -> usize {
        let at = Class::ALL.iter().position(|&c| c == class).unwrap_or(0);
        self.counts.iter().map(|row| row[at]).sum()
    }

    /// Cases of `class` from seed `seed`.
    fn count(&self, seed: usize, class: Class) -> usize {
        let at = Class::ALL.iter().position(|&c| c == class).unwrap_or(0);
        self.counts[seed][at]
    }
}

/// The case file name of case `index` from `seed`: its index, format and the seed's extension.
fn case_name(index: usize, seed: &Seed) -> String {
    format!("case_{index:06}_{}.{}", seed.format, seed.extension)
}

/// Renders every case, `options.jobs` at once, and tallies them, printing progress as it goes.
fn render_cases(
    options: &FuzzOptions,
    seeds: &[Seed],
    dirs: &FuzzDirs,
    cli: &Path,
    models: &Path,
    started: Instant,
) -> Result<Tally> {
    let next_index = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let timeout = Duration::from_secs_f64(options.timeout_seconds);
    let mut tally = Tally {
        counts: vec![[0; Class::ALL.len()]; seeds.len()],
        failures: Vec::new(),
    };
    std::thread::scope(|scope| -> Result<()> {
        let (sender, receiver) = mpsc::channel::<Result<Outcome>>();
        for _ in 0..options.jobs {
            let sender = sender.clone();
            let (next_index, stop) = (&next_index, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let index = next_index.fetch_add(1, Ordering::Relaxed);
                    if index >= options.files {
                        break;
                    }
                    let outcome = render_case(options, seeds, dirs, cli, models, index, timeout);
                    if sender.send(outcome).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut done = 0;
        for outcome in receiver {
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(error) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(error);
                }
            };
            record(&mut tally, outcome, dirs)?;
            done += 1;
            if done % PROGRESS_EVERY_FILES == 0 || done == options.files {
                let failing: usize = Class::ALL
                    .iter()
                    .filter(|c| c.is_failure())
                    .map(|&c| tally.total(c))
                    .sum();
                println!(
                    "fuzz: {done} of {} files in {:.0} s: {} rendered, {} clean errors, {failing} failing",
                    options.files,
                    started.elapsed().as_secs_f64(),
                    tally.total(Class::Rendered),
                    tally.total(Class::CleanError),
                );
            }
        }
        Ok(())
    })?;
    tally.failures.sort_by_key(|failure| failure.0);
    Ok(tally)
}

/// Counts an outcome, keeps its case and standard error when it is among the first
/// [`KEPT_FAILURES`] failing ones, and removes its case file otherwise.
fn record(tally: &mut Tally, outcome: Outcome, dirs: &FuzzDirs) -> Result<()> {
    let at = Class::ALL
        .iter()
        .position(|&c| c == outcome.class)
        .unwrap_or(0);
    tally.counts[outcome.seed][at] += 1;
    let kept_so_far = tally.failures.iter().filter(|f| f.3.is_some()).count();
    if outcome.class.is_failure() {
        let kept = if kept_so_far < KEPT_FAILURES {
            let name = outcome.case.file_name().context("a case has a file name")?;
            let kept = dirs.failures.join(name);
            std::fs::rename(&outcome.case, &kept)
                .with_context(|| format!("keeping {}", outcome.case.display()))?;
            std::fs::write(kept.with_extension("stderr"), &outcome.stderr)?;
            Some(kept)
        } else {
            None
        };
        tally
            .failures
            .push((outcome.index, outcome.seed, outcome.class, kept));
    }
    if outcome.case.exists() {
        std::fs::remove_file(&outcome.case)?;
    }
    Ok(())
}

/// Makes case `index`, renders it under the time limit in its own output folder, classifies
/// it and removes its output.
fn render_case(
    options: &FuzzOptions,
    seeds: &[Seed],
    dirs: &FuzzDirs,
    cli: &Path,
    models: &Path,
    index: usize,
    timeout: Duration,
) -> Result<Outcome> {
    let seed_index = index % seeds.len();
    let seed = &seeds[seed_index];
    let case = dirs.cases.join(case_name(index, seed));
    std::fs::write(&case, mutate(&seed.bytes, options.seed, index as u64))
        .with_context(|| format!("writing {}", case.display()))?;
    let out_dir = dirs.out.join(format!("case_{index:06}"));
    std::fs::create_dir_all(&out_dir)?;
    let stderr_path = dirs.out.join(format!("case_{index:06}.stderr"));
    let output = out_dir.join("out.wav");
    let mut command = Command::new(cli);
    command
        .arg("render")
        .arg(&case)
        .arg(&output)
        .args(["--model", "sbr", "--codec-repair", "on"])
        .env("AIRLIFT_MODEL_DIR", models)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr_path)?);
    let mut child = command
        .spawn()
        .with_context(|| format!("could not start {command:?}"))?;
    let started = Instant::now();
    let ending = loop {
        if let Some(status) = child.try_wait()? {
            break Ending::of(status);
        }
        if started.elapsed() >= timeout {
            // It may have ended between the poll and the kill: then the kill fails harmlessly.
            let _ = child.kill();
            child.wait()?;
            break Ending::TimedOut;
        }
        std::thread::sleep(POLL_INTERVAL);
    };
    let stderr = String::from_utf8_lossy(&std::fs::read(&stderr_path)?).into_owned();
    let output_bytes = std::fs::metadata(&output).ok().map(|m| m.len());
    let other_files = std::fs::read_dir(&out_dir)?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path() != output)
        .count();
    let class = classify(ending, &stderr, output_bytes, other_files);
    std::fs::remove_dir_all(&out_dir)?;
    std::fs::remove_file(&stderr_path)?;
    Ok(Outcome {
        index,
        seed: seed_index,
        case,
        class,
        stderr,
    })
}

/// The figures of a finished run, for the Markdown table and the JSON summary.
struct Summary<'a> {
    /// The run's options.
    options: &'a FuzzOptions,
    /// The seeds the cases were made from.
    seeds: &'a [Seed],
    /// The formats that were skipped.
    skipped: &'a [Skipped],
    /// The counts and failures.
    tally: &'a Tally,
    /// Seconds from the first case to the last.
    wall_seconds: f64,
}

impl Summary<'_> {
    /// The command line of each render, `CASE` and `OUT.wav` standing for the files.
    fn render_command(&self) -> &'static str {
        "AIRLIFT_MODEL_DIR=<empty folder> target/release/airlift render CASE OUT.wav --model sbr \
         --codec-repair on"
    }

    /// The summary as Markdown: the table by format, then the times, the commands and the
    /// failures kept.
    fn markdown(&self, root: &Path) -> String {
        let mut text = String::new();
        let _ = write!(text, "| format | seed | files |");
        for class in Class::ALL {
            let _ = write!(text, " {} |", class.label());
        }
        let _ = write!(text, "\n|---|---|--:|");
        for _ in Class::ALL {
            text.push_str("--:|");
        }
        text.push('\n');
        for (at, seed) in self.seeds.iter().enumerate() {
            let files: usize = Class::ALL.iter().map(|&c| self.tally.count(at, c)).sum();
            let seed_path = seed.path.strip_prefix(root).unwrap_or(&seed.path);
            let _ = write!(
                text,
                "| {} | {} | {files} |",
                seed.format,
                seed_path.display()
            );
            for class in Class::ALL {
                let _ = write!(text, " {} |", self.tally.count(at, class));
            }
            text.push('\n');
        }
        let _ = write!(text, "| **total** | | **{}** |", self.options.files);
        for class in Class::ALL {
            let _ = write!(text, " **{}** |", self.tally.total(class));
        }
        text.push('\n');
        for skip in self.skipped {
            let _ = writeln!(text, "\nskipped {}: {}", skip.format, skip.reason);
        }
        let _ = writeln!(
            text,
            "\nwall time: {:.1} s ({:.1} ms per file, {} jobs)",
            self.wall_seconds,
            self.wall_seconds * 1000.0 / self.options.files as f64,
            self.options.jobs
        );
        let _ = writeln!(text, "command: {}", self.options.command_line());
        let _ = writeln!(text, "each render: {}", self.render_command());
        let failing = self.tally.failures.len();
        if failing == 0 {
            text.push_str("no failing case\n");
        } else {
            let kept = self.tally.failures.iter().filter(|f| f.3.is_some()).count();
            let _ = writeln!(
                text,
                "{failing} failing case(s); the first {kept} kept with their standard error:"
            );
            for (index, _, class, kept) in &self.tally.failures {
                if let Some(kept) = kept {
                    let path = kept.strip_prefix(root).unwrap_or(kept);
                    let _ = writeln!(
                        text,
                        "- case {index}: {} ({})",
                        path.display(),
                        class.label()
                    );
                }
            }
        }
        text
    }

    /// The summary as a JSON object.
    fn json(&self, root: &Path) -> String {
        let counts = |class_count: &dyn Fn(Class) -> usize| {
            let fields: Vec<String> = Class::ALL
                .iter()
                .map(|&c| format!("\"{}\": {}", c.key(), class_count(c)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        };
        let relative = |path: &Path| {
            json_string(
                &path
                    .strip_prefix(root)
                    .unwrap_or(path)
                    .display()
                    .to_string(),
            )
        };
        let formats: Vec<String> = self
            .seeds
            .iter()
            .enumerate()
            .map(|(at, seed)| {
                let files: usize = Class::ALL.iter().map(|&c| self.tally.count(at, c)).sum();
                format!(
                    "    {{\"format\": {}, \"seed\": {}, \"files\": {files}, \"classes\": {}}}",
                    json_string(seed.format),
                    relative(&seed.path),
                    counts(&|c| self.tally.count(at, c))
                )
            })
            .collect();
        let skipped: Vec<String> = self
            .skipped
            .iter()
            .map(|s| {
                format!(
                    "    {{\"format\": {}, \"reason\": {}}}",
                    json_string(s.format),
                    json_string(&s.reason)
                )
            })
            .collect();
        let failures: Vec<String> = self
            .tally
            .failures
            .iter()
            .map(|(index, seed, class, kept)| {
                format!(
                    "    {{\"index\": {index}, \"format\": {}, \"class\": {}, \"kept\": {}}}",
                    json_string(self.seeds[*seed].format),
                    json_string(class.key()),
                    kept.as_deref().map_or("null".into(), relative)
                )
            })
            .collect();
        let list = |items: &[String]| {
            if items.is_empty() {
                "[]".to_string()
            } else {
                format!("[\n{}\n  ]", items.join(",\n"))
            }
        };
        format!(
            "{{\n  \"files\": {},\n  \"seed\": {},\n  \"timeout_seconds\": {},\n  \"jobs\": {},\n  \
             \"wall_seconds\": {:.3},\n  \"command\": {},\n  \"render_command\": {},\n  \
             \"totals\": {},\n  \"formats\": {},\n  \"skipped\": {},\n  \"failures\": {}\n}}\n",
            self.options.files,
            self.options.seed,
            self.options.timeout_seconds,
            self.options.jobs,
            self.wall_seconds,
            json_string(&self.options.command_line()),
            json_string(self.render_command()),
            counts(&|c| self.tally.total(c)),
            list(&formats),
            list(&skipped),
            list(&failures)
        )
    }
}

/// `text` as a JSON string, quoted and escaped.
fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(quoted, "\\u{:04x}", c as u32);
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_the_same_every_time_and_differ_between_indices() {
        let seed: Vec<u8> = (0..10_000).map(|i| (i % 251) as u8).collect();
        assert_eq!(mutate(&seed, 1, 7), mutate(&seed, 1, 7));
        assert_ne!(mutate(&seed, 1, 7), mutate(&seed, 1, 8));
        assert_ne!(mutate(&seed, 1, 7), mutate(&seed, 2, 7));
        // Every mutation survives tiny and empty files.
        let mut rng = Rng::for_case(3, 4);
        for mutation in Mutation::ALL {
            for len in [0, 1, 3, 5] {
                let mut bytes = vec![0xAB; len];
                mutation.apply(&mut bytes, &mut rng);
            }
        }
    }

    #[test]
    fn classifies_by_how_the_render_ended() {
        let clean = "airlift: error: could not decode x.mp3: bad frame\n";
        assert_eq!(classify(Ending::Code(0), "", Some(10), 0), Class::Rendered);
        assert_eq!(classify(Ending::Code(1), clean, None, 0), Class::CleanError);
        assert_eq!(
            classify(Ending::Code(1), "warn\n", None, 0),
            Class::MessyError
        );
        assert_eq!(classify(Ending::Code(1), "", None, 0), Class::MessyError);
        assert_eq!(
            classify(Ending::Code(1), clean, None, 1),
            Class::PartialFile
        );
        assert_eq!(
            classify(Ending::Code(1), clean, Some(0), 0),
            Class::PartialFile
        );
        assert_eq!(
            classify(Ending::Code(0), "", Some(0), 0),
            Class::PartialFile
        );
        assert_eq!(classify(Ending::Code(0), "", None, 0), Class::NoOutput);
        let panic = "thread 'main' panicked at src/x.rs:1:1\n";
        assert_eq!(classify(Ending::Code(101), panic, None, 0), Class::Crash);
        assert_eq!(classify(Ending::Signal(11), "", None, 0), Class::Crash);
        assert_eq!(classify(Ending::TimedOut, "", None, 0), Class::Hang);
    }

    #[test]
    fn parses_the_options() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(FuzzOptions::parse(&[]).unwrap(), FuzzOptions::default());
        let options = FuzzOptions::parse(&args(&[
            "--files",
            "200",
            "--jobs",
            "1",
            "--timeout-seconds",
            "5",
        ]))
        .unwrap();
        assert_eq!(
            (options.files, options.jobs, options.timeout_seconds),
            (200, 1, 5.0)
        );
        assert!(FuzzOptions::parse(&args(&["--files", "0"])).is_err());
        assert!(FuzzOptions::parse(&args(&["--files"])).is_err());
        assert!(FuzzOptions::parse(&args(&["--speed", "2"])).is_err());
    }

    #[test]
    fn escapes_json_strings() {
        assert_eq!(
            json_string("a \"b\"\\\n\u{1}"),
            "\"a \\\"b\\\"\\\\\\n\\u0001\""
        );
    }
}
