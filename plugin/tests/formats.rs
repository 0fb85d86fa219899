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
        // AAC in this version of symphonia keeps the encoder's priming (about 2048 samples).
        let slack = if name.contains("aac") { 4096 } else { 0 };
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

#[test]
fn lossless_formats_decode_to_the_same_samples() {
    let alac = decoded("tone_alac.m4a").audio;
    let aiff = decoded("tone.aiff").audio;
    assert_eq!(alac, aiff);
}
