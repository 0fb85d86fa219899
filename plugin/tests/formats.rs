//! Every input format the CLI reads, from the committed fixtures in `tests/formats/` (a
//! synthetic two-tone signal, made with the commands in `tests/formats/README.md`): decoded at
//! the right rate, channels and length, with its title, artist and album.

use std::path::{Path, PathBuf};

use airlift::audio_file::{decode_file, DecodedFile};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/formats")
        .join(name)
}

fn decoded(name: &str) -> DecodedFile {
    decode_file(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|x| x * x).sum::<f32>() / samples.len() as f32).sqrt()
}

#[test]
fn every_format_decodes_with_its_tags() {
    for (name, seconds, tagged) in [
        ("tone.aac", 1.5, false),
        ("tone_aac.m4a", 1.5, true),
        ("tone_alac.m4a", 0.5, true),
        ("tone.ogg", 1.5, true),
        // symphonia reads no AIFF text chunks.
        ("tone.aiff", 0.5, false),
    ] {
        let file = decoded(name);
        let audio = &file.audio;
        assert_eq!(audio.sample_rate_hz, 44_100, "{name}");
        assert_eq!(audio.channels.len(), 2, "{name}");
        let expected = (seconds * 44_100.0) as usize;
        // Raw ADTS records no priming or padding, so it keeps them (up to about 2048 samples);
        // MP4's edit list removes them.
        let slack = if name.ends_with(".aac") { 4096 } else { 0 };
        assert!(
            audio.len() >= expected && audio.len() <= expected + slack,
            "{name}: {} samples, expected {expected}",
            audio.len()
        );
        let level = rms(&audio.channels[0]);
        assert!((0.1..0.3).contains(&level), "{name}: RMS {level}");
        if tagged {
            assert_eq!(file.tags.title.as_deref(), Some("Airlift_Tone"), "{name}");
            assert_eq!(file.tags.artist.as_deref(), Some("Airlift_Tests"), "{name}");
            assert_eq!(file.tags.album.as_deref(), Some("Formats"), "{name}");
        }
    }
}

/// Mean absolute difference between `a` and `b` shifted by `lag` samples, over `a`'s first
/// `len` samples.
fn difference_at(a: &[f32], b: &[f32], lag: usize, len: usize) -> f32 {
    (0..len).map(|i| (a[i] - b[i + lag]).abs()).sum::<f32>() / len as f32
}

#[test]
fn m4a_aac_is_aligned_with_its_lossless_source() {
    // The ALAC fixture holds the first 0.5 s of the same source, losslessly: the AAC decode
    // matches it at lag 0 (the priming is gone), far better than at the priming's length.
    let aac = decoded("tone_aac.m4a").audio;
    let alac = decoded("tone_alac.m4a").audio;
    let (aac, alac) = (&aac.channels[0], &alac.channels[0]);
    let len = 19_000;
    // Positive lags: AAC late (priming left in); negative: AAC early (too much cut).
    let difference = |lag: isize| {
        if lag >= 0 {
            difference_at(alac, aac, lag as usize, len)
        } else {
            difference_at(aac, alac, (-lag) as usize, len)
        }
    };
    let best = (-2200..=2200)
        .min_by(|&a, &b| difference(a).total_cmp(&difference(b)))
        .unwrap();
    assert_eq!(best, 0, "best alignment at a lag of {best} samples");
    assert!(difference(0) * 3.0 < difference(1024));
}

#[test]
fn lossless_formats_decode_to_the_same_samples() {
    let alac = decoded("tone_alac.m4a").audio;
    let aiff = decoded("tone.aiff").audio;
    assert_eq!(alac, aiff);
}
