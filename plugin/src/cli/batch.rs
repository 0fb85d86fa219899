//! Many files at once, for the command line: which inputs a set of files and folders holds,
//! where each one's output goes (the relative path kept, the extension of the output format),
//! and a pool of job threads fed through `crossbeam` channels.
//!
//! Nothing here renders: the caller passes the work for one file, so the same pool serves
//! `render` and the benchmark.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// File extensions (lower case) taken as audio when a folder is walked.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "mp3", "m4a", "mp4", "aac", "ogg", "oga", "flac", "wav", "aif", "aiff", "aifc",
];

/// One file to process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The input file.
    pub input: PathBuf,
    /// Where its output goes.
    pub output: PathBuf,
}

/// What planning found for one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// To be processed.
    Run(Job),
    /// Its output exists and `--overwrite` was not given.
    Skip(Job),
    /// It cannot be processed: the reason, one line.
    Fail {
        /// The input file or folder.
        input: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Whether a path's extension is one of [`AUDIO_EXTENSIONS`].
pub fn is_audio_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The audio files under `dir`, recursively, sorted, each with its path relative to `dir`.
/// Hidden files and folders (a name starting with '.') are left out, so Airlift's own
/// partial files never become inputs, and so is the folder `skip` (the output folder, when it
/// lies inside an input folder: a second run must not restore the first run's outputs).
fn walk(dir: &Path, skip: Option<&Path>) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if entry.file_type()?.is_dir() {
                let is_skipped = skip.is_some_and(|skip| {
                    path.canonicalize().is_ok_and(|canonical| canonical == skip)
                });
                if !is_skipped {
                    pending.push(path);
                }
            } else if is_audio_file(&path) {
                let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                found.push((path, relative));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Plans the work for `inputs` (files, and folders walked recursively) into `out_dir`: each
/// output keeps the input's path relative to the folder given (or just its name, for a file
/// given directly) with the extension `extension`. Outputs that exist are skipped unless
/// `overwrite`; two inputs that would write the same output are an error for the second. An
/// output folder inside an input folder is not walked.
pub fn plan(inputs: &[PathBuf], out_dir: &Path, extension: &str, overwrite: bool) -> Vec<Planned> {
    let mut planned = Vec::new();
    let mut claimed: HashMap<PathBuf, PathBuf> = HashMap::new();
    let out_dir_canonical = out_dir.canonicalize().ok();
    for input in inputs {
        let files = if input.is_dir() {
            match walk(input, out_dir_canonical.as_deref()) {
                Ok(files) => files,
                Err(error) => {
                    planned.push(Planned::Fail {
                        input: input.clone(),
                        reason: format!("cannot read the folder {}: {error}", input.display()),
                    });
                    continue;
                }
            }
        } else {
            let name = PathBuf::from(input.file_name().unwrap_or_default());
            vec![(input.clone(), name)]
        };
        for (file, relative) in files {
            let output = out_dir.join(relative).with_extension(extension);
            if let Some(first) = claimed.get(&output) {
                planned.push(Planned::Fail {
                    reason: format!(
                        "{} would write {}, which {} already writes",
                        file.display(),
                        output.display(),
                        first.display()
                    ),
                    input: file,
                });
                continue;
            }
            claimed.insert(output.clone(), file.clone());
            let job = Job {
                input: file,
                output,
            };
            if job.output.exists() && !overwrite {
                planned.push(Planned::Skip(job));
            } else {
                planned.push(Planned::Run(job));
            }
        }
    }
    planned
}

/// The number of jobs to run at once by default: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `work` on every job with `threads` threads that take jobs from a `crossbeam` channel,
/// and hands each result to `done` on the calling thread as soon as it is ready (so printing
/// and progress stay in one place). Results arrive in completion order.
pub fn run_jobs<T, W, D>(jobs: Vec<Job>, threads: usize, work: W, mut done: D)
where
    T: Send,
    W: Fn(&Job) -> T + Sync,
    D: FnMut(Job, T),
{
    let (job_sender, job_receiver) = crossbeam_channel::unbounded::<Job>();
    let (result_sender, result_receiver) = crossbeam_channel::unbounded::<(Job, T)>();
    let count = jobs.len();
    for job in jobs {
        let _ = job_sender.send(job);
    }
    drop(job_sender);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, count.max(1)) {
            let jobs = job_receiver.clone();
            let results = result_sender.clone();
            let work = &work;
            scope.spawn(move || {
                for job in jobs {
                    let result = work(&job);
                    if results.send((job, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(result_sender);
        for (job, result) in result_receiver {
            done(job, result);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("airlift-batch-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }

    #[test]
    fn folders_keep_relative_paths_and_skip_what_exists() {
        let root = scratch("plan");
        let music = root.join("music");
        touch(&music.join("a/one.mp3"));
        touch(&music.join("a/b/two.FLAC"));
        touch(&music.join("notes.txt"));
        touch(&music.join(".hidden.wav"));
        touch(&root.join("single.ogg"));
        let out = root.join("out");
        touch(&out.join("a/one.flac"));
        let planned = plan(
            &[music.clone(), root.join("single.ogg")],
            &out,
            "flac",
            false,
        );
        assert_eq!(
            planned,
            vec![
                Planned::Run(Job {
                    input: music.join("a/b/two.FLAC"),
                    output: out.join("a/b/two.flac"),
                }),
                Planned::Skip(Job {
                    input: music.join("a/one.mp3"),
                    output: out.join("a/one.flac"),
                }),
                Planned::Run(Job {
                    input: root.join("single.ogg"),
                    output: out.join("single.flac"),
                }),
            ]
        );
        let overwrite = plan(std::slice::from_ref(&music), &out, "flac", true);
        assert!(overwrite.iter().all(|p| matches!(p, Planned::Run(_))));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn an_output_folder_inside_the_input_is_not_walked() {
        let root = scratch("inside");
        touch(&root.join("song.mp3"));
        touch(&root.join("restored/song.wav"));
        let planned = plan(
            std::slice::from_ref(&root),
            &root.join("restored"),
            "wav",
            true,
        );
        assert_eq!(
            planned,
            vec![Planned::Run(Job {
                input: root.join("song.mp3"),
                output: root.join("restored/song.wav"),
            })]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn two_inputs_for_one_output_fail_the_second() {
        let root = scratch("clash");
        touch(&root.join("in/song.mp3"));
        touch(&root.join("in/song.ogg"));
        let planned = plan(&[root.join("in")], &root.join("out"), "wav", false);
        assert!(matches!(planned[0], Planned::Run(_)));
        assert!(
            matches!(&planned[1], Planned::Fail { reason, .. } if reason.contains("already writes"))
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn every_job_runs_once_on_the_pool() {
        let jobs: Vec<Job> = (0..25)
            .map(|i| Job {
                input: PathBuf::from(format!("{i}")),
                output: PathBuf::new(),
            })
            .collect();
        let mut seen = Vec::new();
        run_jobs(
            jobs,
            3,
            |job| job.input.to_string_lossy().parse::<usize>().unwrap() * 2,
            |job, doubled| {
                assert_eq!(
                    job.input.to_string_lossy().parse::<usize>().unwrap() * 2,
                    doubled
                );
                seen.push(doubled / 2);
            },
        );
        seen.sort();
        assert_eq!(seen, (0..25).collect::<Vec<_>>());
    }
}
