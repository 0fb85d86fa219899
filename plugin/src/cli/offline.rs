//! A file through the engine, offline, as the plugin would render it after latency
//! compensation: the checks a file must pass, the engine for it (the requested model when it
//! can run, else SBR), what a first pass learns of the file (the look-ahead), and the whole
//! signal streamed through it block by block.

use std::path::Path;

use indicatif::ProgressBar;

use crate::audio_file::{decode_file, AudioData, DecodedFile};
use crate::dsp::cutoff::Detection;
use crate::dsp::stft::StftLayout;
use crate::engine::{
    check_sample_rate, Engine, EngineSettings, Learned, ModelKind, ProcessingMode,
};
use crate::inference::model::SessionSettings;
use crate::inference::start_model;
use crate::inference::worker::WorkerOptions;

/// Samples per block fed to the engine; any size gives the same result.
const BLOCK_SAMPLES: usize = 4096;

/// Checks that a decoded file is one the engine can process: mono or stereo at a supported
/// rate.
fn check_input(path: &Path, audio: &AudioData) -> Result<(), String> {
    if audio.channels.len() > 2 {
        return Err(format!(
            "{} has {} channels; Airlift processes mono and stereo",
            path.display(),
            audio.channels.len()
        ));
    }
    check_sample_rate(audio.sample_rate_hz as f32).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a file the engine can process, with its tags.
pub fn read_input(path: &Path) -> Result<DecodedFile, String> {
    let decoded = decode_file(path).map_err(|e| e.to_string())?;
    check_input(path, &decoded.audio)?;
    Ok(decoded)
}

/// Makes the engine for a file: with the requested neural model when it can run (offline: the
/// engine waits for every model frame), else SBR. Returns the notes for the user: which model
/// runs, or why SBR runs instead.
pub fn make_engine(
    audio: &AudioData,
    settings: EngineSettings,
    session: SessionSettings,
) -> Result<(Engine, Vec<String>), String> {
    let rate = audio.sample_rate_hz as f32;
    let channels = audio.channels.len();
    check_sample_rate(rate).map_err(|e| e.to_string())?;
    let mut notes = Vec::new();
    let worker = if settings.model == ModelKind::Sbr {
        None
    } else {
        let layout = StftLayout::for_sample_rate(rate);
        match start_model(
            settings.model,
            layout,
            channels,
            session,
            WorkerOptions::default(),
        ) {
            Ok(link) => {
                if let Some(note) = &link.provider_note {
                    notes.push(format!("note: {note}"));
                }
                notes.push(format!("model: {}", link.summary()));
                Some((settings.model, link))
            }
            Err(reason) => {
                notes.push(format!("note: {reason}; SBR runs instead"));
                None
            }
        }
    };
    let engine = Engine::with_worker(rate, channels, settings, worker, ProcessingMode::Offline)
        .map_err(|e| e.to_string())?;
    Ok((engine, notes))
}

/// The look-ahead's first pass: hears the whole signal with SBR (what is learned does not
/// depend on the model) and returns what the engine learned: the band limit detected over
/// the whole of it and whether it has codec holes ([`Engine::take_learned`]).
pub fn learn(
    audio: &AudioData,
    settings: EngineSettings,
    progress: &ProgressBar,
) -> Result<Learned, String> {
    let settings = EngineSettings {
        model: ModelKind::Sbr,
        mix: 0.0,
        ..settings
    };
    let engine = Engine::new(audio.sample_rate_hz as f32, audio.channels.len(), settings)
        .map_err(|e| e.to_string())?;
    let (_, mut engine, _) = render(audio, engine, progress);
    Ok(engine.take_learned())
}

/// Runs the engine over a whole signal: the output is aligned with the input (the latency is
/// trimmed and the tail flushed), exactly as the plugin would produce it after latency
/// compensation. Also returns the detection at the start and each one it changed to (a few
/// at most), in order.
pub fn render(
    audio: &AudioData,
    mut engine: Engine,
    progress: &ProgressBar,
) -> (AudioData, Engine, Vec<Detection>) {
    let mut detections = vec![engine.detection()];
    let latency = engine.latency_samples() as usize;
    let len = audio.len();
    let mut output: Vec<Vec<f32>> = vec![Vec::with_capacity(len); audio.channels.len()];
    let mut block: Vec<Vec<f32>> = vec![vec![0.0; BLOCK_SAMPLES]; audio.channels.len()];
    let mut position = 0;
    while position < len + latency {
        let n = BLOCK_SAMPLES.min(len + latency - position);
        for (buffer, input) in block.iter_mut().zip(&audio.channels) {
            for (i, sample) in buffer[..n].iter_mut().enumerate() {
                *sample = input.get(position + i).copied().unwrap_or(0.0);
            }
        }
        let mut slices: Vec<&mut [f32]> = block.iter_mut().map(|b| &mut b[..n]).collect();
        engine.process(&mut slices);
        for (out, buffer) in output.iter_mut().zip(&block) {
            for (i, &sample) in buffer[..n].iter().enumerate() {
                if position + i >= latency {
                    out.push(sample);
                }
            }
        }
        position += n;
        progress.inc(n.min(len.saturating_sub(position - n)) as u64);
        let detection = engine.detection();
        if detections.last() != Some(&detection) {
            detections.push(detection);
        }
    }
    (
        AudioData {
            sample_rate_hz: audio.sample_rate_hz,
            channels: output,
        },
        engine,
        detections,
    )
}
