//! The standalone application's demo input: a clip played in a loop into the plugin, so
//! Airlift can be heard and its editor seen without a DAW or an audio interface
//! (`airlift-standalone --demo CLIP`).

use std::sync::OnceLock;

use crate::audio_file::{read_audio, AudioData};

/// The clip the standalone application was asked to play, set once at start-up.
static DEMO_CLIP: OnceLock<AudioData> = OnceLock::new();

/// Loads `path` as the demo clip. Call it before the plugin is created.
pub fn set_clip(path: &std::path::Path) -> Result<(), String> {
    let audio = read_audio(path).map_err(|e| e.to_string())?;
    if audio.is_empty() {
        return Err(format!("{} holds no samples", path.display()));
    }
    DEMO_CLIP
        .set(audio)
        .map_err(|_| "the demo clip is already set".to_string())
}

/// Plays the demo clip into blocks, looping, without allocating.
pub struct DemoPlayer {
    /// The clip.
    clip: &'static AudioData,
    /// The next sample to play.
    position: usize,
}

impl DemoPlayer {
    /// A player for the clip set with [`set_clip`], if any.
    pub fn from_clip() -> Option<Self> {
        DEMO_CLIP.get().map(|clip| Self { clip, position: 0 })
    }

    /// Replaces the input in `block` (one slice per channel) with the next samples of the clip.
    pub fn fill(&mut self, block: &mut [&mut [f32]]) {
        let len = self.clip.len();
        let channels = self.clip.channels.len();
        let samples = block.first().map_or(0, |c| c.len());
        for (c, channel) in block.iter_mut().enumerate() {
            let source = &self.clip.channels[c % channels];
            for (i, sample) in channel.iter_mut().enumerate() {
                *sample = source[(self.position + i) % len];
            }
        }
        self.position = (self.position + samples) % len;
    }
}
