//! How a fuzz case's render ended, and what class of outcome that is: rendered, a clean
//! error, or a failure (a crash, a hang, a partial file, no output, an unclear error).

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// How a render of a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
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
    pub(super) const ALL: [Class; 7] = [
        Class::Rendered,
        Class::CleanError,
        Class::MessyError,
        Class::PartialFile,
        Class::NoOutput,
        Class::Crash,
        Class::Hang,
    ];

    /// Its name in the Markdown table.
    pub(super) fn label(self) -> &'static str {
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
    pub(super) fn key(self) -> &'static str {
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
    pub(super) fn is_failure(self) -> bool {
        !matches!(self, Class::Rendered | Class::CleanError)
    }

    /// A failure that makes the run exit non-zero (a messy error is only listed).
    pub(super) fn fails_the_run(self) -> bool {
        matches!(
            self,
            Class::Crash | Class::Hang | Class::PartialFile | Class::NoOutput
        )
    }
}

/// How the render process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// It exited with this code.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
    /// It ran past the time limit and was killed.
    TimedOut,
}

impl Ending {
    /// The ending of an exited process.
    pub(super) fn of(status: ExitStatus) -> Self {
        match (status.code(), status.signal()) {
            (Some(code), _) => Ending::Code(code),
            (None, Some(signal)) => Ending::Signal(signal),
            (None, None) => Ending::Signal(0),
        }
    }
}

/// The class of a case from how its render ended, its standard error, the size of its output
/// file (`None` when there is none) and the count of other files in its output folder.
pub(super) fn classify(
    ending: Ending,
    stderr: &str,
    output_bytes: Option<u64>,
    other_files: usize,
) -> Class {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
