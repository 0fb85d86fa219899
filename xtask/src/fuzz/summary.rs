//! The summary of a finished fuzz run: a Markdown table by format and class, and the same
//! figures as JSON.

use std::fmt::Write as _;
use std::path::Path;

use super::classify::Class;
use super::render::Tally;
use super::seeds::{Seed, Skipped};
use super::FuzzOptions;

/// The figures of a finished run, for the Markdown table and the JSON summary.
pub(super) struct Summary<'a> {
    /// The run's options.
    pub(super) options: &'a FuzzOptions,
    /// The seeds the cases were made from.
    pub(super) seeds: &'a [Seed],
    /// The formats that were skipped.
    pub(super) skipped: &'a [Skipped],
    /// The counts and failures.
    pub(super) tally: &'a Tally,
    /// Seconds from the first case to the last.
    pub(super) wall_seconds: f64,
}

impl Summary<'_> {
    /// The command line of each render, `CASE` and `OUT.wav` standing for the files.
    fn render_command(&self) -> &'static str {
        "AIRLIFT_MODEL_DIR=<empty folder> target/release/airlift render CASE OUT.wav --model sbr \
         --codec-repair on"
    }

    /// The summary as Markdown: the table by format, then the times, the commands and the
    /// failures kept.
    pub(super) fn markdown(&self, root: &Path) -> String {
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
    pub(super) fn json(&self, root: &Path) -> String {
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
    fn escapes_json_strings() {
        assert_eq!(
            json_string("a \"b\"\\\n\u{1}"),
            "\"a \\\"b\\\"\\\\\\n\\u0001\""
        );
    }
}
