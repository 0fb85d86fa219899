//! Band-limit detection on generated music, at 44.1, 48 and 96 kHz: brick-wall, 12th-order
//! Butterworth and MP3 (lame, 32 to 192 kbps) limits between 3 and 20 kHz must be found within
//! a sixth of an octave; full-band input must report no band limit; the result must not wander.
//! Gentler slopes (Butterworth 4 and 8) are measured on recorded music (`real_music.rs`): the
//! detector is built for it, and the README gives their accuracy there.

use airlift::dsp::cutoff::Detection;
use airlift::engine::EngineSettings;
use airlift_tests::filters::{brick_wall, butterworth, mp3_round_trip};
use airlift_tests::render::render;
use airlift_tests::signals::{music_like, music_like_stereo, pink_noise};

/// Allowed error of a detected edge, in octaves.
const TOLERANCE_OCTAVES: f32 = 1.0 / 6.0;

/// Seconds of audio per case.
const SECONDS: f32 = 5.0;

fn detect(rate: u32, channels: Vec<Vec<f32>>) -> Detection {
    let settings = EngineSettings {
        mix: 0.0,
        ..EngineSettings::default()
    };
    render(rate, &channels, settings, &[1024]).1.detection()
}

/// Runs every case and reports all failures at once, with the errors in octaves.
fn check_cases(cases: Vec<(String, u32, Vec<Vec<f32>>, f32)>) {
    let mut failures = Vec::new();
    for (name, rate, signal, true_hz) in cases {
        let detection = detect(rate, signal);
        match detection.cutoff_hz() {
            Some(hz) if (hz / true_hz).log2().abs() <= TOLERANCE_OCTAVES => {
                eprintln!(
                    "{name}: {hz:.0} Hz for {true_hz:.0} Hz ({:+.3} oct)",
                    (hz / true_hz).log2()
                );
            }
            _ => failures.push(format!(
                "{name}: expected {true_hz:.0} Hz, got {detection:?}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn brick_wall_limits_are_found() {
    let mut cases = Vec::new();
    for rate in [44_100u32, 48_000, 96_000] {
        let top = if rate == 44_100 { 18_000.0 } else { 20_000.0 };
        for (i, cutoff) in [3000.0, 5000.0, 8000.0, 12_000.0, 16_000.0, top]
            .into_iter()
            .enumerate()
        {
            let signal = brick_wall(&music_like(rate, SECONDS, 100 + i as u64), rate, cutoff);
            cases.push((
                format!("brick-wall {cutoff} Hz @ {rate}"),
                rate,
                vec![signal],
                cutoff,
            ));
        }
    }
    check_cases(cases);
}

#[test]
fn steep_butterworth_limits_are_found() {
    let mut cases = Vec::new();
    for rate in [44_100u32, 48_000, 96_000] {
        for order in [12] {
            let mut cutoffs = vec![3000.0, 6000.0, 10_000.0, 15_000.0];
            if rate == 96_000 {
                cutoffs.push(20_000.0);
            }
            for cutoff in cutoffs {
                let seed = 200 + order as u64 * 10 + cutoff as u64 / 1000;
                let signal = butterworth(&music_like(rate, SECONDS, seed), rate, cutoff, order);
                cases.push((
                    format!("Butterworth order {order} {cutoff} Hz @ {rate}"),
                    rate,
                    vec![signal],
                    cutoff,
                ));
            }
        }
    }
    check_cases(cases);
}

#[test]
fn mp3_limits_are_found() {
    let work_dir = std::env::temp_dir().join(format!("airlift-mp3-{}", std::process::id()));
    let mut cases = Vec::new();
    for rate in [44_100u32, 48_000] {
        for kbps in [32, 48, 64, 96, 128, 160, 192] {
            let signal = music_like_stereo(rate, SECONDS, 300 + kbps as u64);
            let mp3 = mp3_round_trip(&signal, rate, kbps, &work_dir);
            let (start, end) = mp3.transition_hz;
            let name = format!("MP3 {kbps} kbps @ {rate} (lame low-pass {start}-{end} Hz)");
            cases.push((name, rate, mp3.decoded, (start + end) / 2.0));
        }
    }
    let _ = std::fs::remove_dir_all(&work_dir);
    check_cases(cases);
}

#[test]
fn full_band_input_reports_no_band_limit() {
    for rate in [44_100u32, 48_000, 88_200, 96_000, 192_000] {
        for (name, signal) in [
            ("music", music_like(rate, SECONDS, 400)),
            (
                "pink noise",
                pink_noise((SECONDS * rate as f32) as usize, 401),
            ),
        ] {
            assert_eq!(
                detect(rate, vec![signal]),
                Detection::NoBandLimit,
                "{name} @ {rate}"
            );
        }
    }
}

#[test]
fn the_detected_cutoff_holds_still_and_follows_a_real_change() {
    let rate = 48_000;
    let first = brick_wall(&music_like(rate, 10.0, 500), rate, 9000.0);
    let second = brick_wall(&music_like(rate, 20.0, 501), rate, 4500.0);
    let settings = EngineSettings {
        mix: 0.0,
        ..EngineSettings::default()
    };
    let mut engine = airlift::engine::Engine::new(rate as f32, 1, settings).unwrap();
    let mut history = Vec::new();
    for signal in [&first, &second] {
        for block in signal.chunks(4800) {
            let mut block = block.to_vec();
            engine.process(&mut [&mut block[..]]);
            history.push(engine.detection());
        }
    }
    // Decided within the first two seconds, then steady for the rest of the first part.
    let blocks_per_second = 10;
    let first_part = &history[..10 * blocks_per_second];
    let decided = first_part[2 * blocks_per_second];
    let hz = decided.cutoff_hz().expect("decided within two seconds");
    assert!((hz / 9000.0).log2().abs() <= TOLERANCE_OCTAVES);
    assert!(
        first_part[2 * blocks_per_second..]
            .iter()
            .all(|d| *d == decided),
        "the cutoff wandered"
    );
    // After the material changes, it moves to the new limit and stays there.
    let last = *history.last().unwrap();
    let new_hz = last.cutoff_hz().expect("a band limit after the change");
    assert!(
        (new_hz / 4500.0).log2().abs() <= TOLERANCE_OCTAVES,
        "{last:?}"
    );
    // It may step down a few times while the old material fades from the long-term spectrum,
    // but it never goes back up.
    let cutoffs: Vec<f32> = history.iter().filter_map(Detection::cutoff_hz).collect();
    assert!(cutoffs.windows(2).all(|w| w[1] <= w[0]), "{cutoffs:?}");
}
