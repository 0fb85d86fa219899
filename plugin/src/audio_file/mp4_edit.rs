//! Gapless MP4: the edit list (`moov/trak/edts/elst`) of an MP4/M4A audio track says which
//! part of the decoded samples is the music. AAC encoders put their priming (1024 or 2112
//! samples) and padding outside it; symphonia 0.5 parses the list but does not apply it, so
//! this module reads it and the decoder trims to it.
//!
//! Only the plain case is taken: one audio track whose list has one edit at normal rate (an
//! empty edit before it is allowed). Anything else returns `None` and the samples stay as
//! decoded.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The largest `moov` box read into memory; real ones are a few hundred kilobytes.
const MAX_MOOV_BYTES: u64 = 64 << 20;

/// The part of a track's decoded samples that is the music.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditTrim {
    /// Samples to drop at the start (the encoder's priming).
    pub start_frames: u64,
    /// Samples to keep from there.
    pub frames: u64,
}

/// One box: its type and the byte range of its body within `bytes`.
fn boxes(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = bytes.get(at..at + 8)?;
        let size32 = u32::from_be_bytes(header[..4].try_into().ok()?) as usize;
        let kind: [u8; 4] = header[4..8].try_into().ok()?;
        let (size, body_start) = match size32 {
            0 => (bytes.len() - at, 8),
            1 => (
                u64::from_be_bytes(bytes.get(at + 8..at + 16)?.try_into().ok()?) as usize,
                16,
            ),
            n => (n, 8),
        };
        if size < body_start || at + size > bytes.len() {
            return None;
        }
        let body = &bytes[at + body_start..at + size];
        at += size;
        Some((kind, body))
    })
}

/// The body of the first child box of `kind`.
fn child<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(bytes).find(|(k, _)| k == kind).map(|(_, body)| body)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as u64)
}

fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// The timescale of an `mvhd` or `mdhd` body (version 0 or 1).
fn timescale(full_box: &[u8]) -> Option<u64> {
    match full_box.first()? {
        0 => be_u32(full_box, 12),
        1 => be_u32(full_box, 20),
        _ => None,
    }
}

/// The edit list's one real edit as (segment duration in movie units, media time in track
/// units); an empty edit (media time −1) before it is skipped.
fn single_edit(elst: &[u8]) -> Option<(u64, u64)> {
    let version = *elst.first()?;
    let count = be_u32(elst, 4)? as usize;
    let entry_len = if version == 1 { 20 } else { 12 };
    let mut real = None;
    for i in 0..count {
        let at = 8 + i * entry_len;
        let (duration, media_time, rate) = if version == 1 {
            (
                be_u64(elst, at)?,
                be_u64(elst, at + 8)? as i64,
                be_u32(elst, at + 16)?,
            )
        } else {
            (
                be_u32(elst, at)?,
                be_u32(elst, at + 4)? as u32 as i32 as i64,
                be_u32(elst, at + 8)?,
            )
        };
        if media_time == -1 {
            continue;
        }
        if real.is_some() || rate != 0x0001_0000 || media_time < 0 {
            return None;
        }
        real = Some((duration, media_time as u64));
    }
    real
}

/// The trim of the audio track of the MP4 file at `path`, in samples at `sample_rate_hz`, or
/// `None` when the file is no MP4, has no edit list, or one this module does not take.
pub fn edit_trim(path: &Path, sample_rate_hz: u32) -> Option<EditTrim> {
    let mut file = File::open(path).ok()?;
    let length = file.metadata().ok()?.len();
    let mut at = 0u64;
    let moov = loop {
        if at + 8 > length {
            return None;
        }
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut header = [0u8; 16];
        file.read_exact(&mut header[..8]).ok()?;
        let size32 = u32::from_be_bytes(header[..4].try_into().ok()?) as u64;
        let (size, body_start) = match size32 {
            0 => (length - at, 8),
            1 => {
                file.read_exact(&mut header[8..16]).ok()?;
                (u64::from_be_bytes(header[8..16].try_into().ok()?), 16)
            }
            n => (n, 8),
        };
        if size < body_start {
            return None;
        }
        if &header[4..8] == b"moov" {
            if size - body_start > MAX_MOOV_BYTES {
                return None;
            }
            let mut body = vec![0u8; (size - body_start) as usize];
            file.read_exact(&mut body).ok()?;
            break body;
        }
        at += size;
    };
    let movie_timescale = timescale(child(&moov, b"mvhd")?)?;
    let mut audio_tracks = boxes(&moov).filter(|(kind, trak)| {
        kind == b"trak"
            && child(trak, b"mdia")
                .and_then(|mdia| child(mdia, b"hdlr"))
                .and_then(|hdlr| hdlr.get(8..12))
                == Some(b"soun".as_slice())
    });
    let (_, trak) = audio_tracks.next()?;
    if audio_tracks.next().is_some() {
        return None;
    }
    let track_timescale = timescale(child(child(trak, b"mdia")?, b"mdhd")?)?;
    let (duration, media_time) = single_edit(child(child(trak, b"edts")?, b"elst")?)?;
    if movie_timescale == 0 || track_timescale == 0 {
        return None;
    }
    let rate = u128::from(sample_rate_hz);
    let start_frames = (u128::from(media_time) * rate / u128::from(track_timescale)) as u64;
    let frames = (u128::from(duration) * rate / u128::from(movie_timescale)) as u64;
    Some(EditTrim {
        start_frames,
        frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/formats")
            .join(name)
    }

    #[test]
    fn the_aac_fixture_drops_its_priming_and_keeps_its_length() {
        assert_eq!(
            edit_trim(&fixture("tone_aac.m4a"), 44_100),
            Some(EditTrim {
                start_frames: 1024,
                frames: 66_150,
            })
        );
        assert_eq!(
            edit_trim(&fixture("tone_alac.m4a"), 44_100),
            Some(EditTrim {
                start_frames: 0,
                frames: 22_050,
            })
        );
    }

    #[test]
    fn other_files_have_no_trim() {
        assert_eq!(edit_trim(&fixture("tone.ogg"), 44_100), None);
        assert_eq!(edit_trim(&fixture("tone.aiff"), 44_100), None);
        assert_eq!(edit_trim(Path::new("/nonexistent.m4a"), 44_100), None);
    }

    #[test]
    fn edit_lists_beyond_the_plain_case_are_left_alone() {
        let entry = |duration: u32, media_time: i32| {
            let mut e = duration.to_be_bytes().to_vec();
            e.extend_from_slice(&media_time.to_be_bytes());
            e.extend_from_slice(&0x0001_0000u32.to_be_bytes());
            e
        };
        let list = |entries: &[Vec<u8>]| {
            let mut body = vec![0, 0, 0, 0];
            body.extend_from_slice(&(entries.len() as u32).to_be_bytes());
            for e in entries {
                body.extend_from_slice(e);
            }
            body
        };
        assert_eq!(single_edit(&list(&[entry(10, 1024)])), Some((10, 1024)));
        assert_eq!(
            single_edit(&list(&[entry(5, -1), entry(10, 2112)])),
            Some((10, 2112))
        );
        assert_eq!(single_edit(&list(&[entry(10, 0), entry(10, 500)])), None);
        assert_eq!(single_edit(&list(&[])), None);
    }
}
