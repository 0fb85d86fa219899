//! Audio files for the command line: decoding what people have (MP3, AAC, Ogg Vorbis, ALAC,
//! AIFF, WAV, FLAC), and writing WAV or FLAC at the bit depth asked for.
//!
//! - [`decode`] reads a whole file gaplessly ([`mp4_edit`] reads MP4's edit list), with its title, artist and album, and names the
//!   position where a damaged or truncated file stops.
//! - [`encode`] writes WAV (16, 24 or 32-bit float) or FLAC (16 or 24 bit), dithered when the
//!   depth is reduced, atomically: a temporary file beside the destination is renamed into
//!   place only when complete, so a failed or interrupted render never leaves a partial file
//!   under the final name.
//! - [`dither`] is the TPDF quantizer; [`tags`] the metadata both formats carry.

pub mod decode;
pub mod dither;
pub mod encode;
pub mod mp4_edit;
pub mod tags;

use std::path::PathBuf;

pub use decode::{decode_file, decoding_on_this_thread, read_audio, DecodedFile};
pub use encode::{write_audio, write_wav_f32, OutputFormat, WriteReport};
pub use tags::Tags;

/// Decoded audio: one vector of samples per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioData {
    /// Sample rate in Hz.
    pub sample_rate_hz: u32,
    /// Samples per channel, all of the same length.
    pub channels: Vec<Vec<f32>>,
}

impl AudioData {
    /// Samples per channel.
    pub fn len(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.len() as f64 / self.sample_rate_hz.max(1) as f64
    }
}

/// Why a file could not be read or written. Each variant names the file, so that one line
/// tells the user everything.
#[derive(Debug)]
pub enum AudioFileError {
    /// The file could not be opened or created.
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not in a format this build can decode.
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        detail: String,
    },
    /// The file is damaged: decoding failed at `at_seconds`.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where in the audio decoding stopped, in seconds.
        at_seconds: f64,
        /// What the decoder said.
        detail: String,
    },
    /// The file ends before the length its header declares: cut short, or damaged where the
    /// demuxer resynchronizes silently (MP3), so that less audio comes out than declared.
    Truncated {
        /// The file.
        path: PathBuf,
        /// Where the audio stops, in seconds.
        at_seconds: f64,
        /// The length the header declares, in seconds.
        declared_seconds: f64,
    },
    /// The file has no audio channels.
    NoChannels {
        /// The file.
        path: PathBuf,
    },
    /// Writing the output failed.
    Write {
        /// The file.
        path: PathBuf,
        /// What the encoder said.
        detail: String,
    },
}

/// `m:ss.mmm`, the way players show a position.
pub fn format_position(seconds: f64) -> String {
    let total_ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{}:{:02}.{:03}",
        total_ms / 60_000,
        (total_ms / 1000) % 60,
        total_ms % 1000
    )
}

impl std::fmt::Display for AudioFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AudioFileError::Io { path, source } => {
                write!(f, "cannot open {}: {source}", path.display())
            }
            AudioFileError::Unsupported { path, detail } => write!(
                f,
                "{} is not an audio file Airlift can read (MP3, AAC/M4A, Ogg Vorbis, ALAC, AIFF, WAV, FLAC): {detail}",
                path.display()
            ),
            AudioFileError::Corrupt {
                path,
                at_seconds,
                detail,
            } => write!(
                f,
                "{} is damaged at {}: {detail}",
                path.display(),
                format_position(*at_seconds)
            ),
            AudioFileError::Truncated {
                path,
                at_seconds,
                declared_seconds,
            } => write!(
                f,
                "{} is truncated or damaged: the audio stops at {} of {}",
                path.display(),
                format_position(*at_seconds),
                format_position(*declared_seconds)
            ),
            AudioFileError::NoChannels { path } => {
                write!(f, "{} has no audio channels", path.display())
            }
            AudioFileError::Write { path, detail } => {
                write!(f, "cannot write {}: {detail}", path.display())
            }
        }
    }
}

impl std::error::Error for AudioFileError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_like_a_player() {
        assert_eq!(format_position(0.0), "0:00.000");
        assert_eq!(format_position(83.25), "1:23.250");
    }
}
