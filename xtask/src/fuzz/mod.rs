//! `cargo xtask fuzz`: decoder fuzzing of `airlift render`.
//!
//! Seeds are cut from a committed recorded-music excerpt in every format the decoders read
//! (WAV in 16 and 24 bits and float, mono WAV, FLAC at 44.1 and 48 kHz, MP3, Ogg Vorbis, AAC),
//! with sox or ffmpeg, lame and oggenc; a format whose tool is missing is skipped. Each case is
//! a seed mutated by a PRNG seeded from the run's seed and the case's index (so any case can be
//! made again), rendered with the SBR model (the decoders are the subject, not the models) under
//! a time limit, and classified by how the CLI ended. The first failing cases are kept with
//! their standard error; the summary is printed as a Markdown table and written as JSON.

mod classify;
mod mutate;
mod render;
mod seeds;
mod summary;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::{release_cli, user_model_dir, DEMO_ORIGINAL};
use classify::Class;
use render::render_cases;
use seeds::make_seeds;
use summary::Summary;

/// The usage line of `cargo xtask fuzz`.
const USAGE: &str =
    "usage: cargo xtask fuzz [--files N] [--seed S] [--timeout-seconds T] [--jobs J]";

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
