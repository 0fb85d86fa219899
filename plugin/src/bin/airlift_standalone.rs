//! Airlift as a standalone application (JACK, ALSA or no audio), with its editor in a window.
//!
//! `--demo CLIP` (before the other options) plays a WAV/FLAC clip in a loop into the plugin
//! instead of the audio input, so Airlift can be tried without a DAW; with `--backend dummy` it
//! needs no audio interface at all. Every other option is nice-plug's (`--help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    if let Some(index) = args.iter().position(|a| a == "--demo") {
        let Some(path) = args.get(index + 1).cloned() else {
            eprintln!("airlift-standalone: error: --demo needs a clip");
            return ExitCode::FAILURE;
        };
        if let Err(message) = airlift::demo::set_clip(std::path::Path::new(&path)) {
            eprintln!("airlift-standalone: error: {message}");
            return ExitCode::FAILURE;
        }
        args.drain(index..index + 2);
    }
    if nice_plug::prelude::nice_export_standalone_with_args::<airlift::Airlift, _>(args) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
