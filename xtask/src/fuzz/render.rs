//! Rendering a fuzz run's cases: `--jobs` workers make each case, render it with the release
//! CLI under the time limit, classify it, and the main thread tallies the outcomes and keeps
//! the first failing cases.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::classify::{classify, Class, Ending};
use super::mutate::mutate;
use super::seeds::Seed;
use super::{FuzzDirs, FuzzOptions};

/// Failing cases kept in `target/fuzz/failures/`, with their standard error.
const KEPT_FAILURES: usize = 20;

/// Cases between two progress lines.
const PROGRESS_EVERY_FILES: usize = 500;

/// How long a worker sleeps between two polls of a running render.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

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
pub(super) struct Tally {
    /// `counts[seed][class]`, the class as its place in [`Class::ALL`].
    counts: Vec<[usize; Class::ALL.len()]>,
    /// Every failing case: index, seed, class, and the kept file when it was kept.
    pub(super) failures: Vec<(usize, usize, Class, Option<PathBuf>)>,
}

impl Tally {
    /// Cases of `class` over every seed.
    pub(super) fn total(&self, class: Class) -> usize {
        let at = Class::ALL.iter().position(|&c| c == class).unwrap_or(0);
        self.counts.iter().map(|row| row[at]).sum()
    }

    /// Cases of `class` from seed `seed`.
    pub(super) fn count(&self, seed: usize, class: Class) -> usize {
        let at = Class::ALL.iter().position(|&c| c == class).unwrap_or(0);
        self.counts[seed][at]
    }
}

/// The case file name of case `index` from `seed`: its index, format and the seed's extension.
fn case_name(index: usize, seed: &Seed) -> String {
    format!("case_{index:06}_{}.{}", seed.format, seed.extension)
}

/// Renders every case, `options.jobs` at once, and tallies them, printing progress as it goes.
pub(super) fn render_cases(
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
