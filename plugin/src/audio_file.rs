//! Reading WAV/FLAC files and writing 32-bit float WAV files for the command line.
//!
//! Output is written to a temporary file beside the destination and renamed into place only
//! when complete, so a failed render never leaves a partial file behind.

use std::fs::File;
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

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
}

/// Why a file could not be read or written. Each variant names the file.
#[derive(Debug)]
pub enum AudioFileError {
    /// The file could not be opened or created.
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not a WAV or FLAC file this build can decode.
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        detail: String,
    },
    /// The file is damaged.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        detail: String,
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

impl std::fmt::Display for AudioFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AudioFileError::Io { path, source } => {
                write!(f, "cannot open {}: {source}", path.display())
            }
            AudioFileError::Unsupported { path, detail } => write!(
                f,
                "{} is not a supported audio file (WAV or FLAC): {detail}",
                path.display()
            ),
            AudioFileError::Corrupt { path, detail } => {
                write!(f, "{} is damaged: {detail}", path.display())
            }
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

/// Decodes a whole WAV or FLAC file into memory.
pub fn read_audio(path: &Path) -> Result<AudioData, AudioFileError> {
    let file = File::open(path).map_err(|source| AudioFileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let unsupported = |error: SymphoniaError| AudioFileError::Unsupported {
        path: path.to_owned(),
        detail: error.to_string(),
    };
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(extension);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(unsupported)?;
    let mut format = probed.format;
    let track = format
        .default_track()
        .ok_or_else(|| AudioFileError::Unsupported {
            path: path.to_owned(),
            detail: "no audio track".into(),
        })?;
    let track_id = track.id;
    let num_channels = track.codec_params.channels.map_or(0, |c| c.count());
    if num_channels == 0 {
        return Err(AudioFileError::NoChannels {
            path: path.to_owned(),
        });
    }
    let sample_rate_hz =
        track
            .codec_params
            .sample_rate
            .ok_or_else(|| AudioFileError::Unsupported {
                path: path.to_owned(),
                detail: "no sample rate".into(),
            })?;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(unsupported)?;

    let mut channels = vec![Vec::new(); num_channels];
    let mut interleaved: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(SymphoniaError::IoError(error))
                if error.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                break
            }
            Err(SymphoniaError::ResetRequired) => break,
            Err(error) => {
                return Err(AudioFileError::Corrupt {
                    path: path.to_owned(),
                    detail: error.to_string(),
                })
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = decoder
            .decode(&packet)
            .map_err(|error| AudioFileError::Corrupt {
                path: path.to_owned(),
                detail: error.to_string(),
            })?;
        let buffer = interleaved
            .get_or_insert_with(|| SampleBuffer::new(decoded.capacity() as u64, *decoded.spec()));
        if buffer.capacity() < decoded.capacity() * num_channels {
            *buffer = SampleBuffer::new(decoded.capacity() as u64, *decoded.spec());
        }
        buffer.copy_interleaved_ref(decoded);
        for frame in buffer.samples().chunks_exact(num_channels) {
            for (channel, &sample) in channels.iter_mut().zip(frame) {
                channel.push(sample);
            }
        }
    }
    Ok(AudioData {
        sample_rate_hz,
        channels,
    })
}

/// Writes `audio` as a 32-bit float WAV file at `path`, atomically: the data goes to a
/// temporary file in the same folder that is renamed over `path` once complete.
pub fn write_wav_f32(path: &Path, audio: &AudioData) -> Result<(), AudioFileError> {
    let write_error = |detail: String| AudioFileError::Write {
        path: path.to_owned(),
        detail,
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| write_error("not a file path".into()))?;
    let mut partial_name = std::ffi::OsString::from(".");
    partial_name.push(file_name);
    partial_name.push(".partial");
    let partial = path.with_file_name(partial_name);
    let result = write_wav_f32_to(&partial, audio)
        .and_then(|()| std::fs::rename(&partial, path).map_err(|error| error.to_string()));
    if let Err(detail) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(write_error(detail));
    }
    Ok(())
}

/// The non-atomic part of [`write_wav_f32`].
fn write_wav_f32_to(path: &Path, audio: &AudioData) -> Result<(), String> {
    let spec = hound::WavSpec {
        channels: audio.channels.len() as u16,
        sample_rate: audio.sample_rate_hz,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(|e| e.to_string())?;
    for i in 0..audio.len() {
        for channel in &audio.channels {
            writer.write_sample(channel[i]).map_err(|e| e.to_string())?;
        }
    }
    writer.finalize().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_round_trip_is_exact() {
        let dir = std::env::temp_dir().join(format!("airlift-audio-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("round_trip.wav");
        let audio = AudioData {
            sample_rate_hz: 48_000,
            channels: vec![vec![0.25, -0.5, 1.5], vec![0.0, 1e-7, -1.0]],
        };
        write_wav_f32(&path, &audio).unwrap();
        assert_eq!(read_audio(&path).unwrap(), audio);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_file_names_the_path() {
        let error = read_audio(Path::new("/nonexistent/clip.wav")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/clip.wav"));
    }
}
