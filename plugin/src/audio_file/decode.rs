//! Decoding a whole file with symphonia: gapless where the format says how (lame's MP3 header,
//! Ogg Vorbis, and the edit list of MP4/M4A: encoder delay and padding removed), with its tags,
//! and with the position where a damaged or truncated file stops.

use std::cell::Cell;
use std::fs::File;
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CodecParameters, DecoderOptions, CODEC_TYPE_MP3, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::mp4_edit::edit_trim;
use super::{AudioData, AudioFileError, Tags};

/// How far short of an *estimated* length (an MP3 without a lame header, raw ADTS AAC: the
/// length is guessed from the bit rate) a file may end before it counts as truncated.
const ESTIMATED_LENGTH_TOLERANCE: f64 = 0.05;

/// How far short of an exact declared length a file may end: symphonia counts AIFF's 8-byte
/// `SSND` header as two stereo frames of audio. Any real truncation loses far more.
const EXACT_LENGTH_SLACK_FRAMES: f64 = 16.0;

/// A decoded file: its audio and the tags Airlift keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFile {
    /// The samples, without encoder delay and padding where the format records them.
    pub audio: AudioData,
    /// Title, artist and album.
    pub tags: Tags,
}

/// Decodes a whole file into memory; see [`decode_file`] for what it checks.
pub fn read_audio(path: &Path) -> Result<AudioData, AudioFileError> {
    decode_file(path).map(|decoded| decoded.audio)
}

/// The length a file's header declares, and whether that is exact or a guess from the bit
/// rate.
fn declared_frames(params: &CodecParameters, path: &Path) -> Option<(u64, bool)> {
    let frames = params.n_frames.filter(|&n| n > 0)?;
    let raw_aac = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("aac"));
    let guessed = raw_aac || (params.codec == CODEC_TYPE_MP3 && params.delay.is_none());
    Some((frames, !guessed))
}

thread_local! {
    /// Whether this thread is inside a decoder, so that a panic hook can stay quiet about a
    /// panic that [`decode_file`] turns into an error.
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is decoding a file. A program's panic hook can skip its report
/// then: a decoder that panics on malformed data becomes an [`AudioFileError::Corrupt`].
pub fn decoding_on_this_thread() -> bool {
    DECODING.with(Cell::get)
}

/// Decodes a whole file into memory: every format the build's symphonia reads (MP3, AAC in
/// ADTS or MP4/M4A, Ogg Vorbis, ALAC, AIFF, WAV, FLAC). A decoding error, or a file that ends
/// before the length its header declares, is an error naming the position. A decoder that
/// panics on malformed data gives an error too, never a crash.
pub fn decode_file(path: &Path) -> Result<DecodedFile, AudioFileError> {
    guarded(path, || decode_unguarded(path))
}

/// Runs `decode` for `path` with [`decoding_on_this_thread`] set, turning a panic into an
/// [`AudioFileError::Corrupt`].
fn guarded(
    path: &Path,
    decode: impl FnOnce() -> Result<DecodedFile, AudioFileError> + std::panic::UnwindSafe,
) -> Result<DecodedFile, AudioFileError> {
    DECODING.with(|d| d.set(true));
    let result = std::panic::catch_unwind(decode);
    DECODING.with(|d| d.set(false));
    result.unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the decoder failed".into());
        Err(AudioFileError::Corrupt {
            path: path.to_owned(),
            at_seconds: 0.0,
            detail: format!("the decoder gave up on malformed data ({detail})"),
        })
    })
}

/// [`decode_file`] without the guard against a panicking decoder.
fn decode_unguarded(path: &Path) -> Result<DecodedFile, AudioFileError> {
    let file = File::open(path).map_err(|source| AudioFileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let unsupported = |detail: String| AudioFileError::Unsupported {
        path: path.to_owned(),
        detail,
    };
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(extension);
    }
    let format_options = FormatOptions {
        enable_gapless: true,
        ..FormatOptions::default()
    };
    let mut probed = symphonia::default::get_probe()
        .format(&hint, stream, &format_options, &MetadataOptions::default())
        .map_err(|e| unsupported(e.to_string()))?;
    let mut tags = Tags::default();
    if let Some(revision) = probed.metadata.get().as_ref().and_then(|m| m.current()) {
        tags.absorb(revision.tags());
    }
    let mut format = probed.format;
    if let Some(revision) = format.metadata().current() {
        tags.absorb(revision.tags());
    }
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| unsupported("no audio track".into()))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let sample_rate_hz = params
        .sample_rate
        .ok_or_else(|| unsupported("no sample rate".into()))?;
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| unsupported(e.to_string()))?;

    let seconds_of = |frames: usize| frames as f64 / sample_rate_hz as f64;
    // The channel count comes from the decoded audio: MP4 does not always declare it up front.
    let declared_channels = params.channels.map_or(0, |c| c.count());
    let mut channels: Vec<Vec<f32>> = vec![Vec::new(); declared_channels];
    let mut interleaved: Option<SampleBuffer<f32>> = None;
    // Where the next packet should start, in the track's time base: a later start means the
    // demuxer skipped damaged data.
    let mut expected_ts: Option<u64> = None;
    loop {
        let decoded_frames = channels.first().map_or(0, Vec::len);
        let corrupt = |error: SymphoniaError| AudioFileError::Corrupt {
            path: path.to_owned(),
            at_seconds: seconds_of(decoded_frames),
            detail: error.to_string(),
        };
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(SymphoniaError::IoError(error))
                if error.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                break
            }
            Err(SymphoniaError::ResetRequired) => break,
            Err(error) => return Err(corrupt(error)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        if expected_ts.is_some_and(|ts| packet.ts() > ts) {
            return Err(corrupt(SymphoniaError::DecodeError(
                "audio is missing here (damaged data was skipped)",
            )));
        }
        expected_ts = Some(packet.ts() + packet.dur());
        let decoded = decoder.decode(&packet).map_err(corrupt)?;
        let num_channels = decoded.spec().channels.count();
        if channels.is_empty() || decoded_frames == 0 {
            channels = vec![Vec::new(); num_channels];
        }
        if num_channels == 0 || num_channels != channels.len() {
            return Err(corrupt(SymphoniaError::DecodeError(
                "the channel count changes mid-stream",
            )));
        }
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
    if let Some(revision) = format.metadata().current() {
        tags.absorb(revision.tags());
    }
    if channels.is_empty() {
        return Err(AudioFileError::NoChannels {
            path: path.to_owned(),
        });
    }
    let decoded_frames = channels[0].len() as u64;
    if let Some((declared, exact)) = declared_frames(&params, path) {
        let allowed_shortfall = if exact {
            EXACT_LENGTH_SLACK_FRAMES
        } else {
            declared as f64 * ESTIMATED_LENGTH_TOLERANCE
        };
        if ((declared.saturating_sub(decoded_frames)) as f64) > allowed_shortfall {
            return Err(AudioFileError::Truncated {
                path: PathBuf::from(path),
                at_seconds: seconds_of(decoded_frames as usize),
                declared_seconds: seconds_of(declared as usize),
            });
        }
    }
    if let Some(trim) = edit_trim(path, sample_rate_hz) {
        let (start, frames) = (trim.start_frames as usize, trim.frames as usize);
        if frames > 0 && start + frames <= channels[0].len() {
            for channel in &mut channels {
                channel.truncate(start + frames);
                channel.drain(..start);
            }
        }
    }
    Ok(DecodedFile {
        audio: AudioData {
            sample_rate_hz,
            channels,
        },
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_decoder_is_an_error_for_the_file() {
        let path = Path::new("odd.mp3");
        let error = guarded(path, || {
            assert!(decoding_on_this_thread());
            panic!("index out of bounds")
        })
        .unwrap_err();
        assert!(!decoding_on_this_thread());
        let text = error.to_string();
        assert!(
            text.contains("odd.mp3") && text.contains("malformed data (index out of bounds)"),
            "{text}"
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let error = read_audio(Path::new("/nonexistent/clip.wav")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/clip.wav"));
    }
}
