//! Writing WAV (16, 24 or 32-bit float) and FLAC (16 or 24 bit, with `flacenc`), with TPDF
//! dither when the depth is reduced, the input's tags, and an atomic rename into place.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use flacenc::component::{BitRepr, MetadataBlockData};
use flacenc::error::Verify;

use super::dither::{full_scale, TpdfQuantizer};
use super::{AudioData, AudioFileError, Tags};

/// FLAC metadata block type of a Vorbis comment.
const VORBIS_COMMENT_BLOCK: u8 = 4;

/// The file format of an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// WAV, 16-bit integer.
    Wav16,
    /// WAV, 24-bit integer.
    Wav24,
    /// WAV, 32-bit float: nothing is rounded or clipped (the default).
    WavF32,
    /// FLAC, 16 bit.
    Flac16,
    /// FLAC, 24 bit.
    Flac24,
}

impl OutputFormat {
    /// The format for a container name (`wav` or `flac`, as in a file extension) and an
    /// optional bit depth (16, 24 or 32). Without a depth, WAV is 32-bit float and FLAC is
    /// 24 bit. `Err` says what is wrong.
    pub fn from_parts(container: &str, bits: Option<u32>) -> Result<Self, String> {
        match (container.to_ascii_lowercase().as_str(), bits) {
            ("wav", Some(16)) => Ok(Self::Wav16),
            ("wav", Some(24)) => Ok(Self::Wav24),
            ("wav", None | Some(32)) => Ok(Self::WavF32),
            ("flac", Some(16)) => Ok(Self::Flac16),
            ("flac", None | Some(24)) => Ok(Self::Flac24),
            ("flac", Some(other)) => Err(format!("FLAC is written at 16 or 24 bit, not {other}")),
            ("wav", Some(other)) => Err(format!(
                "WAV is written at 16, 24 or 32 (float) bit, not {other}"
            )),
            (other, _) => Err(format!("cannot write '{other}' files (choose wav or flac)")),
        }
    }

    /// The format a path's extension asks for, at `bits` (see [`Self::from_parts`]).
    pub fn for_path(path: &Path, bits: Option<u32>) -> Result<Self, String> {
        let extension = path.extension().and_then(|e| e.to_str()).ok_or_else(|| {
            format!(
                "{} has no .wav or .flac extension (or pass --format)",
                path.display()
            )
        })?;
        Self::from_parts(extension, bits)
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Wav16 | Self::Wav24 | Self::WavF32 => "wav",
            Self::Flac16 | Self::Flac24 => "flac",
        }
    }

    /// Integer bit depth, `None` for float.
    pub fn integer_bits(self) -> Option<u32> {
        match self {
            Self::Wav16 | Self::Flac16 => Some(16),
            Self::Wav24 | Self::Flac24 => Some(24),
            Self::WavF32 => None,
        }
    }

    /// A short name for reports, such as "FLAC 24-bit".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Wav16 => "WAV 16-bit",
            Self::Wav24 => "WAV 24-bit",
            Self::WavF32 => "WAV 32-bit float",
            Self::Flac16 => "FLAC 16-bit",
            Self::Flac24 => "FLAC 24-bit",
        }
    }
}

/// What writing found out about the signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriteReport {
    /// Largest absolute sample, where 1.0 is full scale.
    pub peak: f32,
    /// Samples beyond full scale that an integer format had to clip (float keeps them).
    pub clipped_samples: u64,
}

impl WriteReport {
    /// The peak in dB relative to full scale.
    pub fn peak_dbfs(&self) -> f32 {
        20.0 * self.peak.max(1e-10).log10()
    }

    /// Whether the signal went beyond full scale.
    pub fn over_full_scale(&self) -> bool {
        self.peak > 1.0
    }
}

/// The temporary name a file is written under before it is renamed to `path`: hidden, beside
/// it (so the rename stays on one file system) and marked as partial.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".partial");
    path.with_file_name(name)
}

/// Writes `audio` at `path` in `format`, with `tags`, atomically: the data goes to
/// [`partial_path`], which is renamed over `path` once complete and removed on failure.
pub fn write_audio(
    path: &Path,
    audio: &AudioData,
    tags: &Tags,
    format: OutputFormat,
) -> Result<WriteReport, AudioFileError> {
    let write_error = |detail: String| AudioFileError::Write {
        path: path.to_owned(),
        detail,
    };
    if path.file_name().is_none() {
        return Err(write_error("not a file path".into()));
    }
    let partial = partial_path(path);
    let result = match format {
        OutputFormat::Flac16 | OutputFormat::Flac24 => write_flac_to(&partial, audio, tags, format),
        _ => write_wav_to(&partial, audio, tags, format),
    }
    .and_then(|report| {
        std::fs::rename(&partial, path)
            .map(|()| report)
            .map_err(|error| error.to_string())
    });
    result.map_err(|detail| {
        let _ = std::fs::remove_file(&partial);
        write_error(detail)
    })
}

/// Writes `audio` as a 32-bit float WAV file at `path`, atomically, without tags.
pub fn write_wav_f32(path: &Path, audio: &AudioData) -> Result<(), AudioFileError> {
    write_audio(path, audio, &Tags::default(), OutputFormat::WavF32).map(|_| ())
}

/// Peak of all channels.
fn peak_of(audio: &AudioData) -> f32 {
    audio
        .channels
        .iter()
        .flatten()
        .fold(0.0f32, |peak, &x| peak.max(x.abs()))
}

/// Whether every sample lies exactly on the grid of `bits`-bit integers within full scale:
/// then nothing is reduced (a dry render of a 16-bit file written at 16 bit) and no dither
/// is due.
fn already_on_grid(audio: &AudioData, bits: u32) -> bool {
    let full_scale = full_scale(bits);
    audio.channels.iter().flatten().all(|&x| {
        let scaled = f64::from(x) * full_scale;
        scaled == scaled.round() && scaled >= -full_scale && scaled < full_scale
    })
}

/// Interleaved integer samples at `bits`: TPDF-dithered when the depth is reduced, exact when
/// the signal already lies on the grid; returns them and the clip count.
fn dithered_interleaved(audio: &AudioData, bits: u32) -> (Vec<i32>, u64) {
    let mut samples = Vec::with_capacity(audio.len() * audio.channels.len());
    if already_on_grid(audio, bits) {
        let full_scale = full_scale(bits);
        for i in 0..audio.len() {
            for channel in &audio.channels {
                samples.push((f64::from(channel[i]) * full_scale) as i32);
            }
        }
        return (samples, 0);
    }
    let mut quantizers: Vec<TpdfQuantizer> = (0..audio.channels.len())
        .map(|c| TpdfQuantizer::new(bits, 0x41_69_72 + c as u64))
        .collect();
    for i in 0..audio.len() {
        for (channel, quantizer) in audio.channels.iter().zip(&mut quantizers) {
            samples.push(quantizer.quantize(channel[i]));
        }
    }
    let clipped = quantizers.iter().map(|q| q.clipped_samples).sum();
    (samples, clipped)
}

/// Where the `data` chunk of a RIFF/WAVE byte image starts.
fn data_chunk_offset(bytes: &[u8]) -> Option<usize> {
    let mut at = 12;
    while at + 8 <= bytes.len() {
        if &bytes[at..at + 4] == b"data" {
            return Some(at);
        }
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        at += 8 + size + size % 2;
    }
    None
}

/// The non-atomic part of [`write_audio`] for WAV: hound writes the samples in memory, the
/// tags go in as a `LIST` chunk before the `data` chunk (where readers look for them), and the
/// image is written out.
fn write_wav_to(
    path: &Path,
    audio: &AudioData,
    tags: &Tags,
    format: OutputFormat,
) -> Result<WriteReport, String> {
    let channels = audio.channels.len() as u16;
    let mut report = WriteReport {
        peak: peak_of(audio),
        clipped_samples: 0,
    };
    let bytes_per_sample = format.integer_bits().unwrap_or(32) as usize / 8;
    let mut image = Cursor::new(Vec::with_capacity(
        64 + audio.len() * audio.channels.len() * bytes_per_sample,
    ));
    match format.integer_bits() {
        None => {
            let spec = hound::WavSpec {
                channels,
                sample_rate: audio.sample_rate_hz,
                bits_per_sample: 32,
                sample_format: hound::SampleFormat::Float,
            };
            let mut writer = hound::WavWriter::new(&mut image, spec).map_err(|e| e.to_string())?;
            for i in 0..audio.len() {
                for channel in &audio.channels {
                    writer.write_sample(channel[i]).map_err(|e| e.to_string())?;
                }
            }
            writer.finalize().map_err(|e| e.to_string())?;
        }
        Some(bits) => {
            let spec = hound::WavSpec {
                channels,
                sample_rate: audio.sample_rate_hz,
                bits_per_sample: bits as u16,
                sample_format: hound::SampleFormat::Int,
            };
            let (samples, clipped) = dithered_interleaved(audio, bits);
            report.clipped_samples = clipped;
            let mut writer = hound::WavWriter::new(&mut image, spec).map_err(|e| e.to_string())?;
            for sample in samples {
                writer.write_sample(sample).map_err(|e| e.to_string())?;
            }
            writer.finalize().map_err(|e| e.to_string())?;
        }
    }
    let mut bytes = image.into_inner();
    let info = tags.riff_info_chunk();
    if !info.is_empty() {
        let at = data_chunk_offset(&bytes).ok_or("hound wrote no data chunk")?;
        bytes.splice(at..at, info.iter().copied());
        let riff_size = u32::try_from(bytes.len() - 8)
            .map_err(|_| "the file is too large for WAV".to_string())?;
        bytes[4..8].copy_from_slice(&riff_size.to_le_bytes());
    }
    write_file(path, &bytes)?;
    Ok(report)
}

/// Writes `bytes` to a new file at `path` and flushes it to disk.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    file.write_all(bytes).map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}

/// The non-atomic part of [`write_audio`] for FLAC.
fn write_flac_to(
    path: &Path,
    audio: &AudioData,
    tags: &Tags,
    format: OutputFormat,
) -> Result<WriteReport, String> {
    let bits = format.integer_bits().unwrap_or(24);
    let (samples, clipped_samples) = dithered_interleaved(audio, bits);
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|(_, e)| e.to_string())?;
    let source = flacenc::source::MemSource::from_samples(
        &samples,
        audio.channels.len(),
        bits as usize,
        audio.sample_rate_hz as usize,
    );
    let mut stream = flacenc::encode_with_fixed_block_size(&config, source, config.block_size)
        .map_err(|e| e.to_string())?;
    if !tags.is_empty() {
        let block =
            MetadataBlockData::new_unknown(VORBIS_COMMENT_BLOCK, &tags.vorbis_comment_block())
                .map_err(|e| e.to_string())?;
        stream.add_metadata_block(block);
    }
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).map_err(|e| e.to_string())?;
    let mut bytes = sink.into_inner();
    // STREAMINFO (right after "fLaC" and its block header): a fixed-block-size stream declares
    // its block size as both the minimum and the maximum (the short last block does not count),
    // as the reference encoder does; flacenc gives the last block's size as the minimum,
    // which symphonia's frame parser then refuses.
    if bytes.len() >= 12 {
        bytes.copy_within(10..12, 8);
    }
    write_file(path, &bytes)?;
    Ok(WriteReport {
        peak: peak_of(audio),
        clipped_samples,
    })
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode_file;
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("airlift-encode-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn tone(sample_rate_hz: u32, amplitude: f32) -> AudioData {
        let channels = (0..2)
            .map(|c| {
                (0..sample_rate_hz as usize / 4)
                    .map(|i| {
                        let t = i as f32 / sample_rate_hz as f32;
                        amplitude
                            * (2.0 * std::f32::consts::PI * (440.0 + 110.0 * c as f32) * t).sin()
                    })
                    .collect()
            })
            .collect();
        AudioData {
            sample_rate_hz,
            channels,
        }
    }

    #[test]
    fn float_wav_round_trip_is_exact() {
        let dir = scratch("float");
        let path = dir.join("round_trip.wav");
        let audio = AudioData {
            sample_rate_hz: 48_000,
            channels: vec![vec![0.25, -0.5, 1.5], vec![0.0, 1e-7, -1.0]],
        };
        write_wav_f32(&path, &audio).unwrap();
        assert_eq!(decode_file(&path).unwrap().audio, audio);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_format_round_trips_within_its_dither_and_keeps_the_tags() {
        let dir = scratch("formats");
        let audio = tone(44_100, 0.5);
        let tags = Tags {
            title: Some("Fightmare".into()),
            artist: Some("Alexandr Zhelanov".into()),
            album: Some("Airlift test".into()),
        };
        for format in [
            OutputFormat::Wav16,
            OutputFormat::Wav24,
            OutputFormat::WavF32,
            OutputFormat::Flac16,
            OutputFormat::Flac24,
        ] {
            let path = dir.join(format!("out{format:?}.{}", format.extension()));
            let report = write_audio(&path, &audio, &tags, format).unwrap();
            assert_eq!(report.clipped_samples, 0);
            assert!((report.peak - 0.5).abs() < 1e-3);
            let decoded = decode_file(&path).unwrap();
            assert_eq!(decoded.tags, tags, "{format:?}");
            assert_eq!(decoded.audio.sample_rate_hz, 44_100);
            assert_eq!(decoded.audio.len(), audio.len(), "{format:?}");
            // TPDF dither: at most 1.5 LSB off; float: exact.
            let tolerance = format
                .integer_bits()
                .map_or(0.0, |bits| 1.5 / (1u32 << (bits - 1)) as f32);
            for (a, b) in audio
                .channels
                .iter()
                .flatten()
                .zip(decoded.audio.channels.iter().flatten())
            {
                assert!(
                    (a - b).abs() <= tolerance * 1.0001,
                    "{format:?}: {a} vs {b}"
                );
            }
            assert!(!partial_path(&path).exists());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn samples_already_at_the_depth_are_written_exactly() {
        let dir = scratch("exact");
        let audio = AudioData {
            sample_rate_hz: 44_100,
            channels: vec![
                (0..4410)
                    .map(|i| (((i * 37) % 2001) as f32 - 983.0) / 32768.0)
                    .collect(),
                vec![-1.0; 4410],
            ],
        };
        for format in [
            OutputFormat::Wav16,
            OutputFormat::Flac16,
            OutputFormat::Flac24,
        ] {
            let path = dir.join(format!("exact.{}", format.extension()));
            write_audio(&path, &audio, &Tags::default(), format).unwrap();
            let decoded = decode_file(&path).unwrap().audio;
            let first_difference = audio
                .channels
                .iter()
                .flatten()
                .zip(decoded.channels.iter().flatten())
                .position(|(a, b)| a != b);
            assert_eq!(first_difference, None, "{format:?}");
            assert_eq!(decoded.len(), audio.len());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn clipping_is_counted_for_integer_formats() {
        let dir = scratch("clip");
        let audio = tone(48_000, 1.4);
        let path = dir.join("loud.flac");
        let report = write_audio(&path, &audio, &Tags::default(), OutputFormat::Flac16).unwrap();
        assert!(report.over_full_scale());
        assert!((report.peak_dbfs() - 20.0 * 1.4f32.log10()).abs() < 0.05);
        assert!(report.clipped_samples > 1000);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn formats_follow_the_extension_or_the_name() {
        assert_eq!(
            OutputFormat::for_path(Path::new("a/b.FLAC"), None),
            Ok(OutputFormat::Flac24)
        );
        assert_eq!(
            OutputFormat::for_path(Path::new("b.wav"), Some(16)),
            Ok(OutputFormat::Wav16)
        );
        assert!(OutputFormat::from_parts("flac", Some(32)).is_err());
        assert!(OutputFormat::for_path(Path::new("b.mp3"), None).is_err());
        assert!(OutputFormat::for_path(Path::new("noext"), None).is_err());
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = scratch("fail");
        let path = dir.join("missing-folder").join("out.flac");
        let error = write_audio(
            &path,
            &tone(48_000, 0.1),
            &Tags::default(),
            OutputFormat::Flac24,
        )
        .unwrap_err();
        assert!(error.to_string().contains("out.flac"));
        assert!(!path.exists() && !partial_path(&path).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
