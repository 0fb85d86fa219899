//! Properties of the engine: exact latency, block-size invariance, an untouched low band,
//! exact silence, containment of corrupt input, allocation-free processing, listening to the
//! added band alone, the host's bypass, and a band limit remembered from a saved state.

use airlift::dsp::cutoff::Detection;
use airlift::engine::{
    CutoffMode, Engine, EngineSettings, Listen, ModelKind, RememberedBand,
    DETECT_AGAIN_NO_LIMIT_SECONDS,
};
use airlift_tests::filters::{band_energy, brick_wall};
use airlift_tests::render::{delayed, render, stream, stream_without_allocating, VARYING_BLOCKS};
use airlift_tests::signals::{music_like, music_like_stereo};
use airlift_tests::SUPPORTED_RATES_HZ;

#[global_allocator]
static ALLOCATOR: nice_assert_no_alloc::AllocDisabler = nice_assert_no_alloc::AllocDisabler;

fn manual(cutoff_hz: f32) -> EngineSettings {
    EngineSettings {
        cutoff: CutoffMode::Manual(cutoff_hz),
        model: ModelKind::Sbr,
        mix: 1.0,
        output_gain_db: 0.0,
        ..EngineSettings::default()
    }
}

/// Energy of the bins of `signal` below `below_hz`.
fn energy_below(signal: &[f32], sample_rate_hz: u32, below_hz: f32) -> f64 {
    band_energy(signal, sample_rate_hz, 0.0, below_hz)
}

#[test]
fn an_impulse_comes_out_exactly_at_the_reported_latency() {
    for rate in SUPPORTED_RATES_HZ {
        for blocks in [&[1usize][..], &[64], &[8192], &VARYING_BLOCKS] {
            for mix in [0.0, 1.0] {
                let settings = EngineSettings {
                    mix,
                    ..manual(8000.0)
                };
                let latency = Engine::new(rate as f32, 1, settings)
                    .unwrap()
                    .latency_samples() as usize;
                let position = 3000;
                let mut input = vec![0.0f32; position + latency + 20_000];
                input[position] = 1.0;
                let (output, _) = render(rate, &[input], settings, blocks);
                let output = &output[0];
                // With the band generated, the impulse is located in the low band it keeps.
                let low_band = brick_wall(output, rate, 6000.0);
                let peak = low_band
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                    .unwrap()
                    .0;
                assert_eq!(
                    peak,
                    position + latency,
                    "rate {rate}, mix {mix}, blocks {blocks:?}"
                );
                if mix == 0.0 {
                    // Dry: exactly the delayed impulse, nothing else.
                    for (i, &y) in output.iter().enumerate() {
                        let expected = if i == position + latency { 1.0 } else { 0.0 };
                        assert_eq!(y, expected, "rate {rate}, sample {i}");
                    }
                }
            }
        }
    }
}

#[test]
fn output_does_not_depend_on_the_block_size() {
    for rate in [44_100, 96_000, 192_000] {
        let input = music_like_stereo(rate, 3.0, 7);
        for settings in [manual(6000.0), EngineSettings::default()] {
            let (reference, _) = render(rate, &input, settings, &[512]);
            for blocks in [&[1usize][..], &[8192], &[13], &VARYING_BLOCKS] {
                let (output, _) = render(rate, &input, settings, blocks);
                assert!(
                    output == reference,
                    "rate {rate}, blocks {blocks:?}, {settings:?}"
                );
            }
        }
    }
}

#[test]
fn the_low_band_is_the_delayed_input() {
    for rate in [44_100, 48_000, 96_000] {
        for cutoff_hz in [3000.0, 8000.0, 15_000.0] {
            // Band-limited at the cutoff, as real input is: below the ramp it must pass untouched.
            let ramp_start_hz = cutoff_hz * (-1.0f32 / 12.0).exp2();
            let original = music_like(rate, 3.0, 11);
            let input = brick_wall(&original, rate, cutoff_hz);
            let (output, engine) = render(
                rate,
                std::slice::from_ref(&input),
                manual(cutoff_hz),
                &[512],
            );
            let latency = engine.latency_samples() as usize;
            let delayed_input = &input[..input.len() - latency];
            let output = &output[0][latency..];
            let difference: Vec<f32> = output
                .iter()
                .zip(delayed_input)
                .map(|(y, x)| y - x)
                .collect();
            let error = energy_below(&difference, rate, ramp_start_hz);
            let signal = energy_below(delayed_input, rate, ramp_start_hz);
            let error_db = 10.0 * (error / signal).log10();
            assert!(
                error_db < -65.0,
                "rate {rate}, cutoff {cutoff_hz}: low band changed by {error_db:.1} dB"
            );
            // And a band was really generated above the cutoff, at about the level the
            // full-band original had there (up to the 24 kHz top of the generated band).
            let above =
                |s: &[f32]| energy_below(s, rate, 24_000.0) - energy_below(s, rate, cutoff_hz);
            let generated_db = 10.0 * (above(output) / above(&original[..output.len()])).log10();
            assert!(
                (-10.0..6.0).contains(&generated_db),
                "rate {rate}, cutoff {cutoff_hz}: generated band at {generated_db:.1} dB"
            );
            eprintln!("rate {rate}, cutoff {cutoff_hz}: low band error {error_db:.1} dB, generated {generated_db:.1} dB re original");
        }
    }
}

#[test]
fn full_band_input_in_auto_mode_passes_through_exactly() {
    for rate in [44_100, 96_000] {
        let input = music_like_stereo(rate, 4.0, 13);
        let (output, engine) = render(rate, &input, EngineSettings::default(), &VARYING_BLOCKS);
        assert_eq!(
            engine.detection(),
            airlift::dsp::cutoff::Detection::NoBandLimit
        );
        let latency = engine.latency_samples() as usize;
        for (out, inp) in output.iter().zip(&input) {
            assert!(out[latency..] == inp[..inp.len() - latency], "rate {rate}");
        }
    }
}

#[test]
fn mix_zero_is_exactly_dry_and_gain_scales() {
    let rate = 48_000;
    let input = music_like_stereo(rate, 2.0, 3);
    let dry = EngineSettings {
        mix: 0.0,
        output_gain_db: -6.0,
        ..manual(5000.0)
    };
    let (output, engine) = render(rate, &input, dry, &VARYING_BLOCKS);
    let latency = engine.latency_samples() as usize;
    let gain = 10f32.powf(-6.0 / 20.0);
    for (out, inp) in output.iter().zip(&input) {
        for (y, x) in out[latency..].iter().zip(inp) {
            assert_eq!(*y, gain * x);
        }
    }
}

#[test]
fn silence_in_gives_exact_silence_out() {
    for rate in SUPPORTED_RATES_HZ {
        for settings in [manual(4000.0), EngineSettings::default()] {
            let (output, _) = render(
                rate,
                &vec![vec![0.0; rate as usize * 2]; 2],
                settings,
                &VARYING_BLOCKS,
            );
            assert!(output.iter().flatten().all(|&y| y == 0.0), "rate {rate}");
        }
    }
    // Silence after music: exact zeros once the last window has left the engine.
    let rate = 44_100;
    let mut input = music_like(rate, 4.0, 5);
    let music_end = input.len() / 2;
    input[music_end..].fill(0.0);
    let (output, engine) = render(rate, &[input], EngineSettings::default(), &[256]);
    assert!(
        engine.detection().cutoff_hz().is_none() || engine.status().applied_cutoff_hz.is_some()
    );
    let settled = music_end + 2 * engine.latency_samples() as usize;
    assert!(output[0][settled..].iter().all(|&y| y == 0.0));
}

#[test]
fn corrupt_input_never_reaches_the_output_and_the_engine_recovers() {
    for rate in [44_100, 96_000] {
        let clean = music_like_stereo(rate, 4.0, 9);
        let mut corrupt = clean.clone();
        let bad_start = rate as usize;
        let bad_end = bad_start + 300;
        for (i, sample) in corrupt[0][bad_start..bad_end].iter_mut().enumerate() {
            *sample = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.0e30, -3.0e38][i % 5];
        }
        corrupt[1][bad_start + 7] = f32::NAN;
        let settings = manual(7000.0);
        let (output, engine) = render(rate, &corrupt, settings, &VARYING_BLOCKS);
        assert!(
            output
                .iter()
                .flatten()
                .all(|y| y.is_finite() && y.abs() < 4.0),
            "rate {rate}"
        );
        assert_eq!(engine.status().rejected_samples, 301);

        // Before the corrupt stretch the output is exactly the clean one. Once it has left the
        // window, the audio path is the clean one again; only the detector's long-term view of
        // which bands are missing has heard a few frames less, so the generated band may differ
        // by a hair.
        let (clean_output, _) = render(rate, &clean, settings, &VARYING_BLOCKS);
        let recovered = bad_end + 2 * engine.latency_samples() as usize;
        for (out, reference) in output.iter().zip(&clean_output) {
            assert!(out[..bad_start] == reference[..bad_start]);
            let (mut error, mut energy) = (0.0f64, 0.0f64);
            for (y, r) in out[recovered..].iter().zip(&reference[recovered..]) {
                error += (y - r).powi(2) as f64;
                energy += r.powi(2) as f64;
            }
            let error_db = 10.0 * (error / energy).log10();
            eprintln!("rate {rate}: after recovery {error_db:.1} dB from the clean output");
            assert!(error_db < -60.0, "rate {rate}: {error_db:.1} dB");
        }
    }
}

#[test]
fn processing_never_allocates() {
    let rate = 48_000;
    let input = music_like_stereo(rate, 6.0, 21);
    let mut engine = Engine::new(rate as f32, 2, EngineSettings::default()).unwrap();
    let settings_sequence = [
        EngineSettings::default(),
        manual(3000.0),
        EngineSettings {
            mix: 0.3,
            output_gain_db: 4.0,
            ..manual(12_000.0)
        },
        EngineSettings {
            model: ModelKind::Ddsp,
            ..EngineSettings::default()
        },
    ];
    stream_without_allocating(&mut engine, &input, rate, |second| {
        settings_sequence[second % settings_sequence.len()]
    });
    assert!(engine.detection().cutoff_hz().is_none());
    // A reset must not allocate either.
    nice_assert_no_alloc::assert_no_alloc(|| engine.reset());
}

#[test]
fn unsupported_configurations_are_clear_errors() {
    for rate in [8_000.0, 22_050.0, 32_000.0, 384_000.0] {
        let error = Engine::new(rate, 2, EngineSettings::default())
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("unsupported sample rate"),
            "{error}"
        );
    }
    assert!(Engine::new(48_000.0, 0, EngineSettings::default()).is_err());
}

#[test]
fn neural_models_fall_back_to_sbr_and_say_so() {
    for model in [ModelKind::Ddsp, ModelKind::SpectralUnet] {
        let settings = EngineSettings {
            model,
            ..manual(6000.0)
        };
        let input = vec![music_like(48_000, 1.0, 2)];
        let (output, engine) = render(48_000, &input, settings, &[512]);
        let (sbr_output, _) = render(48_000, &input, manual(6000.0), &[512]);
        assert!(output == sbr_output);
        let status = engine.status();
        assert_eq!(status.active_model, ModelKind::Sbr);
        assert!(status.fallback_reason().unwrap().contains("not running"));
    }
    let (_, engine) = render(48_000, &[vec![0.0; 100]], manual(6000.0), &[100]);
    assert_eq!(engine.status().fallback_reason(), None);
}

#[test]
fn stream_helper_matches_engine_process() {
    let input = vec![music_like(44_100, 0.5, 1)];
    let mut engine = Engine::new(44_100.0, 1, manual(5000.0)).unwrap();
    let output = stream(&mut engine, &input, &[input[0].len()]);
    assert_eq!(output[0].len(), input[0].len());
}

#[test]
fn display_spectra_are_computed_only_while_shown_and_never_change_the_audio() {
    let rate = 48_000;
    let input = music_like_stereo(rate, 1.0, 23);
    let mut hidden = Engine::new(rate as f32, 2, manual(6000.0)).unwrap();
    let quiet = stream(&mut hidden, &input, &[512]);
    assert!(
        hidden.take_display().is_none(),
        "computed while the editor was closed"
    );

    let mut shown = Engine::new(rate as f32, 2, manual(6000.0)).unwrap();
    shown.set_display_enabled(true);
    let (mut tap, mut reader) = airlift::editor::spectrum::spectrum_channel();
    tap.configure(&shown.layout());
    let mut output = input.clone();
    let mut published = 0;
    let below = (4000.0 / shown.layout().bin_hz()) as usize;
    for start in (0..input[0].len()).step_by(512) {
        let (left, right) = output.split_at_mut(1);
        let end = (start + 512).min(input[0].len());
        let mut block = [&mut left[0][start..end], &mut right[0][start..end]];
        nice_assert_no_alloc::assert_no_alloc(|| shown.process(&mut block));
        if let Some((input_power, output_power)) = shown.take_display() {
            published += 1;
            // Below the cutoff's ramp the output is the input.
            assert_eq!(input_power[..below], output_power[..below]);
            // The plugin publishes them to the editor on the audio thread, too.
            nice_assert_no_alloc::assert_no_alloc(|| tap.publish(input_power, output_power));
        }
    }
    assert!(published > 80, "{published} display frames");
    assert_eq!(reader.latest().frames, published);
    assert!(output == quiet, "showing the spectra changed the audio");
}

#[test]
fn the_input_plus_the_added_band_is_the_output() {
    let rate = 48_000;
    // Band-limited below the cutoff, so that the band above it is all added.
    let input: Vec<Vec<f32>> = music_like_stereo(rate, 3.0, 11)
        .iter()
        .map(|c| brick_wall(c, rate, 5500.0))
        .collect();
    for (mix, output_gain_db) in [(1.0, 0.0), (0.5, -3.0)] {
        let settings = EngineSettings {
            mix,
            output_gain_db,
            ..manual(6000.0)
        };
        let added_settings = EngineSettings {
            listen: Listen::Added,
            ..settings
        };
        let (output, engine) = render(rate, &input, settings, &VARYING_BLOCKS);
        let (added, _) = render(rate, &input, added_settings, &VARYING_BLOCKS);
        let dry = delayed(&input, engine.latency_samples() as usize);
        for c in 0..2 {
            let worst = (0..input[c].len())
                .map(|i| (dry[c][i] + added[c][i] - output[c][i]).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-6, "mix {mix}, gain {output_gain_db} dB: {worst}");
        }
        // What is added is the generated band (and the gain's change), not the music below.
        let band = |signal: &[f32], from_hz: f32, to_hz: f32| {
            band_energy(&signal[rate as usize..], rate, from_hz, to_hz)
        };
        if output_gain_db == 0.0 {
            assert!(band(&added[0], 0.0, 5000.0) < 1e-9 * band(&output[0], 0.0, 5000.0));
            assert!(band(&added[0], 7000.0, 20_000.0) > 0.5 * band(&output[0], 7000.0, 20_000.0));
        }
    }
}

#[test]
fn bypass_gives_the_input_at_the_same_delay_and_crossfades_in_and_out() {
    let rate = 44_100;
    let input = music_like_stereo(rate, 3.0, 12);
    let settings = manual(5000.0);
    let (processed, engine) = render(rate, &input, settings, &[441]);
    let latency = engine.latency_samples() as usize;
    let dry = delayed(&input, latency);

    // Bypassed from the start: exactly the delayed input.
    let bypassed = EngineSettings {
        bypass: true,
        ..settings
    };
    let (output, _) = render(rate, &input, bypassed, &VARYING_BLOCKS);
    assert_eq!(output, dry);

    // Bypass pressed at 1 s and released at 2 s: the same latency throughout, each switch a
    // ramp between the processed output and the delayed input.
    let mut engine = Engine::new(rate as f32, 2, settings).unwrap();
    let block = 441;
    let mut output = input.clone();
    for start in (0..input[0].len()).step_by(block) {
        let seconds = start as f32 / rate as f32;
        engine.set_settings(EngineSettings {
            bypass: (1.0..2.0).contains(&seconds),
            ..settings
        });
        let (left, right) = output.split_at_mut(1);
        let end = (start + block).min(input[0].len());
        let mut slices = [&mut left[0][start..end], &mut right[0][start..end]];
        nice_assert_no_alloc::assert_no_alloc(|| engine.process(&mut slices));
    }
    let ramp = (airlift::engine::SMOOTHING_SECONDS * rate as f32) as usize;
    for c in 0..2 {
        for i in 0..input[c].len() {
            let (p, d, y) = (processed[c][i], dry[c][i], output[c][i]);
            let seconds = i as f32 / rate as f32;
            if seconds < 1.0 || (2.0 * rate as f32) as usize + ramp < i {
                assert_eq!(y, p, "processed at sample {i}");
            } else if (rate as usize + ramp..2 * rate as usize).contains(&i) {
                assert_eq!(y, d, "bypassed at sample {i}");
            } else {
                assert!(
                    y >= p.min(d) - 1e-6 && y <= p.max(d) + 1e-6,
                    "sample {i} is not between the processed output and the input"
                );
            }
        }
    }
    // The switch is a crossfade, not a jump: no step larger than the signals' own.
    let largest_step = |signal: &[f32]| {
        signal
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max)
    };
    for c in 0..2 {
        let own = largest_step(&processed[c]).max(largest_step(&dry[c]));
        assert!(largest_step(&output[c]) <= own * 1.5 + 1e-6);
    }
}

#[test]
fn what_one_engine_learned_starts_another_with_the_band_from_its_first_block() {
    let rate = 48_000;
    let input: Vec<Vec<f32>> = music_like_stereo(rate, 4.0, 21)
        .iter()
        .map(|c| brick_wall(c, rate, 9000.0))
        .collect();
    let auto = EngineSettings {
        model: ModelKind::Sbr,
        ..EngineSettings::default()
    };
    let (_, mut heard) = render(rate, &input, auto, &VARYING_BLOCKS);
    let detected = heard.detection();
    let detected_hz = detected.cutoff_hz().expect("a band limit is detected");
    assert!(
        (8_500.0..9_500.0).contains(&detected_hz),
        "{detected_hz} Hz"
    );
    let learned = heard.take_learned();
    assert_eq!(heard.detection(), Detection::Listening, "it listens afresh");

    // Another rate or channel count cannot take it.
    let mut elsewhere = Engine::new(44_100.0, 2, auto).unwrap();
    let mut mono = Engine::new(rate as f32, 1, auto).unwrap();
    let fresh_learned = || {
        let (_, mut engine) = render(rate, &input, auto, &[4096]);
        engine.take_learned()
    };
    assert!(elsewhere.adopt_learned(fresh_learned()).is_err());
    assert!(mono.adopt_learned(fresh_learned()).is_err());

    // A fresh engine that adopts it applies the band limit from its first block: the band
    // above it is there from the start, where an engine hearing it for the first time is
    // still listening.
    let mut second = Engine::new(rate as f32, 2, auto).unwrap();
    second.adopt_learned(learned).unwrap();
    assert_eq!(second.detection(), detected);
    let mut first = Engine::new(rate as f32, 2, auto).unwrap();
    let opening: Vec<Vec<f32>> = input
        .iter()
        .map(|c| c[..rate as usize / 2].to_vec())
        .collect();
    let from_learned = stream(&mut second, &opening, &[512]);
    let from_scratch = stream(&mut first, &opening, &[512]);
    let above = |signal: &[Vec<f32>]| band_energy(&signal[0], rate, 10_000.0, 20_000.0);
    assert!(
        above(&from_learned) > 100.0 * above(&from_scratch).max(1e-12),
        "band above the limit in the first half second: {} with what was learned, {} without",
        above(&from_learned),
        above(&from_scratch)
    );
    assert_eq!(second.status().applied_cutoff_hz, Some(detected_hz));
}

#[test]
fn a_remembered_band_limit_starts_the_band_until_detection_confirms_or_replaces_it() {
    let rate = 48_000;
    let music = music_like_stereo(rate, 4.0, 22);
    let limited: Vec<Vec<f32>> = music.iter().map(|c| brick_wall(c, rate, 9000.0)).collect();
    let auto = EngineSettings {
        model: ModelKind::Sbr,
        ..EngineSettings::default()
    };
    let fresh = || Engine::new(rate as f32, 2, auto).unwrap();
    let opening: Vec<Vec<f32>> = limited
        .iter()
        .map(|c| c[..rate as usize / 2].to_vec())
        .collect();
    let above = |signal: &[Vec<f32>]| band_energy(&signal[0], rate, 10_000.0, 20_000.0);

    // What a session saves once detection has settled.
    let (_, heard) = render(rate, &limited, auto, &VARYING_BLOCKS);
    let detected_hz = heard
        .detection()
        .cutoff_hz()
        .expect("a band limit is detected");
    let saved = heard.remembered();
    assert_eq!(saved, RememberedBand::band_limit(detected_hz, false));
    assert_eq!(
        fresh().remembered(),
        RememberedBand::default(),
        "nothing settled yet"
    );

    // Reopened: the band is there from the first block, where a first hearing listens.
    let mut reopened = fresh();
    reopened.remember(saved);
    let remembered_hz = saved.band_limit_hz().unwrap();
    let from_memory = stream(&mut reopened, &opening, &[512]);
    let from_scratch = stream(&mut fresh(), &opening, &[512]);
    assert!(
        above(&from_memory) > 100.0 * above(&from_scratch).max(1e-12),
        "band above the limit in the first half second: {} remembered, {} not",
        above(&from_memory),
        above(&from_scratch)
    );
    let status = reopened.status();
    assert!(status.band_limit_remembered);
    assert_eq!(status.applied_cutoff_hz, Some(remembered_hz));
    assert_eq!(
        reopened.remembered(),
        saved,
        "saved again before detection confirms it"
    );
    // Detection confirms it: the band limit is the detected one, no longer "remembered".
    stream(&mut reopened, &limited, &[512]);
    assert!(!reopened.status().band_limit_remembered);
    let confirmed_hz = reopened.remembered().band_limit_hz().unwrap();
    assert!(
        (confirmed_hz / remembered_hz - 1.0).abs() < 0.02,
        "{confirmed_hz} Hz"
    );

    // A band limit remembered wrongly gives way to the one detection settles on.
    let mut wrong = fresh();
    wrong.remember(RememberedBand::band_limit(5000.0, true));
    assert!(
        wrong.status().holes_found,
        "remembered holes are filled from the start"
    );
    stream(&mut wrong, &limited, &[512]);
    let now = wrong.status().applied_cutoff_hz.unwrap();
    assert!((now - detected_hz).abs() < 200.0, "{now} Hz");
    assert!(
        !wrong.status().holes_found,
        "and the hole count judged afresh"
    );
    assert_eq!(
        wrong.remembered().band_limit_hz(),
        Some(detected_hz.round())
    );

    // On full-band music a remembered band ends once "no band limit" has lasted.
    let mut full_band = fresh();
    full_band.remember(saved);
    let seconds = |s: f32| (s * rate as f32) as usize;
    let settle = seconds(2.0 + DETECT_AGAIN_NO_LIMIT_SECONDS + 0.5);
    let long_music = music_like_stereo(rate, (settle as f32 / rate as f32) + 0.1, 23);
    stream(&mut full_band, &long_music, &[512]);
    assert_eq!(full_band.detection(), Detection::NoBandLimit);
    assert_eq!(full_band.status().applied_cutoff_hz, None);
    assert_eq!(full_band.remembered(), RememberedBand::no_band_limit());

    // "Detect again" forgets what was remembered, and keeps the band while it listens.
    let mut forget = fresh();
    forget.remember(saved);
    stream(&mut forget, &opening, &[512]);
    forget.detect_again();
    assert_eq!(forget.remembered(), RememberedBand::default());
    assert!(!forget.status().band_limit_remembered);
    stream(&mut forget, &opening, &[512]);
    assert_eq!(forget.status().applied_cutoff_hz, Some(remembered_hz));

    // Remembering nothing is a first hearing.
    let mut nothing = fresh();
    nothing.remember(RememberedBand::default());
    let first = stream(&mut nothing, &opening, &[512]);
    assert_eq!(first, from_scratch);
}
