//! `cargo xtask soak`: runs `airlift soak` on the bundled demo with the release CLI, and the
//! session-sized load (`--load`): the largest count of U-Net instances on one audio thread that
//! runs without a dropout.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::{release_cli, run, user_model_dir, DEMO_MP3};

/// The instance counts the load tries, largest first; it stops at the first without a dropout.
const LOAD_INSTANCE_COUNTS: [u32; 8] = [16, 14, 12, 10, 8, 6, 4, 2];

/// Minutes each run of the load lasts unless `--minutes` says otherwise.
const LOAD_DEFAULT_MINUTES: f64 = 1.0;

/// Samples per block in the load: a small block, as a mastering session's lowest latency.
const LOAD_BLOCK_SAMPLES: u32 = 128;

/// The first column of the soak table's row that counts the blocks whose `process` calls used
/// more than a block period of the audio thread's CPU time (a block late because the machine
/// woke the thread late is not among them).
const OVERRUN_ROW: &str = "blocks over a block period of CPU time";

/// The first column of the soak table's row that counts model frames filled by SBR.
const LATE_FRAMES_ROW: &str = "model frames late (filled by SBR)";

/// The usage line of `cargo xtask soak`.
const USAGE: &str = "usage: cargo xtask soak [airlift soak options: --minutes M --model MODEL \
                     --instances N --block B --segment-minutes M] | soak --load [--minutes M]";

/// Runs `cargo xtask soak` with its arguments: `--load [--minutes M]` for the load, anything
/// else is passed to `airlift soak` after the demo file.
pub fn soak(root: &Path, args: &[String]) -> Result<()> {
    let load_minutes = if args.iter().any(|arg| arg == "--load") {
        Some(load_minutes(args)?)
    } else {
        None
    };
    let cli = release_cli(root)?;
    let models = user_model_dir(root)?;
    match load_minutes {
        Some(minutes) => load(root, &cli, &models, minutes),
        None => run(Command::new(&cli)
            .arg("soak")
            .arg(root.join(DEMO_MP3))
            .args(args)
            .env("AIRLIFT_MODEL_DIR", &models)),
    }
}

/// The minutes of each load run, from `--load [--minutes M]`.
fn load_minutes(args: &[String]) -> Result<f64> {
    match args {
        [load] if load == "--load" => Ok(LOAD_DEFAULT_MINUTES),
        [a, b, c] => {
            let minutes = match (a.as_str(), b.as_str(), c.as_str()) {
                ("--load", "--minutes", m) | ("--minutes", m, "--load") => m,
                _ => bail!("{USAGE}"),
            };
            match minutes.parse::<f64>() {
                Ok(m) if m.is_finite() && m > 0.0 => Ok(m),
                _ => bail!("--minutes takes a positive number of minutes, not '{minutes}'"),
            }
        }
        _ => bail!("{USAGE}"),
    }
}

/// The session-sized load: `airlift soak --instances N --block 128 --model unet` for each
/// count of [`LOAD_INSTANCE_COUNTS`] until a run has no late block and no late model frame;
/// prints each run's table as it comes, then the largest count without a dropout.
fn load(root: &Path, cli: &Path, models: &Path, minutes: f64) -> Result<()> {
    let mut largest_without_dropout = None;
    for instances in LOAD_INSTANCE_COUNTS {
        let mut command = Command::new(cli);
        command
            .arg("soak")
            .arg(root.join(DEMO_MP3))
            .args(["--instances", &instances.to_string()])
            .args(["--block", &LOAD_BLOCK_SAMPLES.to_string()])
            .args(["--model", "unet", "--minutes", &minutes.to_string()])
            .env("AIRLIFT_MODEL_DIR", models)
            .stdout(Stdio::piped());
        let table = echoed_stdout(&mut command)?;
        let overruns = first_count(&table, OVERRUN_ROW)?;
        let late_frames = first_count(&table, LATE_FRAMES_ROW)?;
        println!(
            "load: {instances} instance(s): {overruns} block(s) overrun, {late_frames} model \
             frame(s) late\n"
        );
        if overruns == 0 && late_frames == 0 {
            largest_without_dropout = Some(instances);
            break;
        }
    }
    match largest_without_dropout {
        Some(instances) => println!("largest instance count without a dropout: {instances}"),
        None => println!("largest instance count without a dropout: none"),
    }
    Ok(())
}

/// Runs `command` (its standard output piped), echoing each line of its standard output as it
/// comes, and returns all of it; fails when the command fails.
fn echoed_stdout(command: &mut Command) -> Result<String> {
    eprintln!("+ {command:?}");
    let mut child = command
        .spawn()
        .with_context(|| format!("could not start {command:?}"))?;
    let stdout = child
        .stdout
        .take()
        .context("the soak's stdout was not piped")?;
    let mut captured = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading the soak's output")?;
        println!("{line}");
        captured.push_str(&line);
        captured.push('\n');
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(captured)
}

/// The value cell of the Markdown row of `table` whose first column is `figure`.
fn row_value<'a>(table: &'a str, figure: &str) -> Option<&'a str> {
    table.lines().find_map(|line| {
        let mut cells = line.trim().strip_prefix('|')?.split('|').map(str::trim);
        (cells.next()? == figure).then(|| cells.next()).flatten()
    })
}

/// The count at the start of the value of the row `figure` of the soak's table.
fn first_count(table: &str, figure: &str) -> Result<u64> {
    let value = row_value(table, figure)
        .with_context(|| format!("the soak's table has no row '{figure}'"))?;
    value
        .split_whitespace()
        .next()
        .and_then(|count| count.parse().ok())
        .with_context(|| format!("the row '{figure}' does not start with a count: '{value}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as `airlift soak` prints them.
    const TABLE: &str = "\
| figure | value |
|---|---|
| blocks over a block period of CPU time | 3 |
| blocks late (xruns) | 5 (1 began over half a block late: the thread woke late) |
| model frames late (filled by SBR) | 0 of 5120 |
";

    #[test]
    fn reads_the_counts_by_the_first_column() {
        assert_eq!(first_count(TABLE, OVERRUN_ROW).unwrap(), 3);
        assert_eq!(first_count(TABLE, LATE_FRAMES_ROW).unwrap(), 0);
        assert!(first_count(TABLE, "model frames failed").is_err());
    }

    #[test]
    fn parses_the_load_minutes() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            load_minutes(&args(&["--load"])).unwrap(),
            LOAD_DEFAULT_MINUTES
        );
        assert_eq!(
            load_minutes(&args(&["--load", "--minutes", "0.5"])).unwrap(),
            0.5
        );
        assert_eq!(
            load_minutes(&args(&["--minutes", "3", "--load"])).unwrap(),
            3.0
        );
        assert!(load_minutes(&args(&["--load", "--instances", "4"])).is_err());
        assert!(load_minutes(&args(&["--load", "--minutes", "-1"])).is_err());
    }
}
