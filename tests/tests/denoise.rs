//! Denoise (old recordings) through the engine: clicks repaired in recorded music, hiss turned
//! down between a tone's partials while the partials keep their level, what is removed
//! accounted for (input plus added less removed is the output), a look-ahead that denoises
//! from the first frame, clean recorded music barely changed at Denoise 100 %, the band of a
//! worn recording restored above a cutoff set by hand (its gentle slope raised near the clean
//! music's level) and above the corner that auto cutoff's worn-transfer judge finds, output that
//! does not depend on the host's block size, mains hum found and removed, and no allocation on
//! the way.

use airlift::cli::metrics::evaluate;
use airlift::engine::{CutoffMode, Engine, EngineSettings, Listen, ModelKind};
use airlift_tests::excerpts::{load_excerpts, parallel_map, Excerpt};
use airlift_tests::filters::{band_energy, rms, worn_transfer};
use airlift_tests::render::{delayed, render, stream, stream_without_allocating, VARYING_BLOCKS};
use airlift_tests::signals::pink_noise;

#[global_allocator]
static ALLOCATOR: nice_assert_no_alloc::AllocDisabler = nice_assert_no_alloc::AllocDisabler;

/// SBR above a fixed cutoff, at a Denoise amount.
fn denoising(amount: f32) -> EngineSettings {
    EngineSettings {
        cutoff: CutoffMode::Manual(12_000.0),
        model: ModelKind::Sbr,
        denoise: amount,
        ..EngineSettings::default()
    }
}

/// Adds a click (eight samples of alternating sign, `size` at its peak) every `spacing`
/// samples from `first`, to every channel.
fn add_clicks(channels: &mut [Vec<f32>], first: usize, spacing: usize, size: f32) {
    for channel in channels {
        for at in (first..channel.len() - 16).step_by(spacing) {
            for (k, sample) in channel[at..at + 8].iter_mut().enumerate() {
                let sign = if k % 2 == 0 { 1.0 } else { -0.8 };
                *sample += sign * size * (1.0 - k as f32 / 8.0);
            }
        }
    }
}

/// Energy of `a - b` from `from` on.
fn error_energy(a: &[f32], b: &[f32], from: usize) -> f64 {
    a[from..]
        .iter()
        .zip(&b[from..])
        .map(|(x, y)| f64::from(x - y).powi(2))
        .sum()
}

#[test]
fn clicks_in_recorded_music_are_repaired() {
    for excerpt in load_excerpts().into_iter().filter(|e| {
        ["guitar_em9", "world_desert", "orchestral_geosphere"].contains(&e.name.as_str())
    }) {
        let rate = excerpt.sample_rate_hz;
        let clean: Vec<Vec<f32>> = excerpt
            .channels
            .iter()
            .map(|c| c[..4 * rate as usize].to_vec())
            .collect();
        let mut clicked = clean.clone();
        let spacing = rate as usize / 12;
        add_clicks(&mut clicked, 5_000, spacing, 0.5);
        let (kept, engine) = render(rate, &clicked, denoising(0.0), &VARYING_BLOCKS);
        let (repaired, _) = render(rate, &clicked, denoising(1.0), &VARYING_BLOCKS);
        let latency = engine.latency_samples() as usize;
        let reference = delayed(&clean, latency);
        // Around each click after the first second (the hiss reducer works on the whole
        // frame, and is measured apart).
        let (mut before, mut after) = (0.0, 0.0);
        for at in (5_000..clean[0].len() - 16).step_by(spacing) {
            let from = at + latency - 8;
            if at < rate as usize || from + 40 > reference[0].len() {
                continue;
            }
            let span = from..from + 40;
            before += error_energy(&kept[0][span.clone()], &reference[0][span.clone()], 0);
            after += error_energy(&repaired[0][span.clone()], &reference[0][span], 0);
        }
        let gain_db = 10.0 * (before / after).log10();
        assert!(
            gain_db > 6.0,
            "{}: the clicks' error fell only {gain_db:.1} dB",
            excerpt.name
        );
    }
}

/// `len` samples at `rate` of the sum of sines given as (Hz, amplitude, phase in radians).
fn sum_of_sines(rate: u32, len: usize, sines: &[(f32, f32, f32)]) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let t = n as f32 / rate as f32;
            sines
                .iter()
                .map(|&(hz, amplitude, phase)| {
                    amplitude * (std::f32::consts::TAU * hz * t + phase).sin()
                })
                .sum()
        })
        .collect()
}

/// Four partials of 0.1 (220 to 1320 Hz) under white hiss at -30 dBFS, the same in both
/// channels, at 48 kHz.
fn tone_under_hiss(rate: u32, seconds: f32) -> Vec<Vec<f32>> {
    let len = (seconds * rate as f32) as usize;
    let partials: Vec<(f32, f32, f32)> = [220.0f32, 440.0, 660.0, 1320.0]
        .iter()
        .map(|&hz| (hz, 0.1, 0.0))
        .collect();
    let tone = sum_of_sines(rate, len, &partials);
    // White hiss at -30 dBFS, from a linear congruential generator.
    let mut state = 0x1357_9bdfu32;
    let hiss: Vec<f32> = (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.11
        })
        .collect();
    let mixed: Vec<f32> = tone.iter().zip(&hiss).map(|(a, b)| a + b).collect();
    vec![mixed.clone(), mixed]
}

#[test]
fn a_look_ahead_denoises_from_the_first_frame() {
    let rate = 48_000;
    let input = tone_under_hiss(rate, 4.0);
    let (first_hearing, engine) = render(rate, &input, denoising(1.0), &[512]);
    let mut listener = Engine::new(rate as f32, 2, denoising(1.0)).unwrap();
    stream(&mut listener, &input, &[512]);
    let mut primed = Engine::new(rate as f32, 2, denoising(1.0)).unwrap();
    primed.adopt_learned(listener.take_learned()).unwrap();
    let looked_ahead = stream(&mut primed, &input, &[512]);
    // The first 0.4 s of sound: the first hearing is still learning the floor there.
    let latency = engine.latency_samples() as usize;
    let opening = |signal: &[f32]| {
        band_energy(
            &signal[latency..latency + 2 * rate as usize / 5],
            rate,
            2_000.0,
            8_000.0,
        )
    };
    let gain_db = 10.0 * (opening(&first_hearing[0]) / opening(&looked_ahead[0])).log10();
    assert!(
        gain_db > 3.0,
        "the look-ahead's opening has only {gain_db:.1} dB less hiss"
    );
}

#[test]
fn hiss_is_turned_down_between_partials_and_the_partials_keep_their_level() {
    let rate = 48_000;
    let input = tone_under_hiss(rate, 6.0);
    let band = |signal: &[f32], from_hz: f32, to_hz: f32| {
        band_energy(&signal[3 * rate as usize..], rate, from_hz, to_hz)
    };
    let (plain, _) = render(rate, &input, denoising(0.0), &[512]);
    let mut previous_db = 0.0f64;
    for amount in [0.5, 1.0] {
        let (cleaned, _) = render(rate, &input, denoising(amount), &[512]);
        let reduction_db = 10.0
            * (band(&plain[0], 2_000.0, 8_000.0) / band(&cleaned[0], 2_000.0, 8_000.0)).log10();
        let partial_db =
            10.0 * (band(&cleaned[0], 430.0, 450.0) / band(&plain[0], 430.0, 450.0)).log10();
        eprintln!("Denoise {amount}: the hiss fell {reduction_db:.1} dB");
        // The amount caps the mask's depth (-6 dB at 50 %, -12 dB at 100 %): more Denoise turns
        // the hiss further down, by at least 6 dB at 100 %.
        assert!(
            reduction_db > (previous_db + 1.0).max(6.0 * f64::from(amount)),
            "Denoise {amount}: the hiss fell {reduction_db:.1} dB"
        );
        assert!(
            partial_db.abs() < 0.5,
            "Denoise {amount}: the 440 Hz partial moved {partial_db:.2} dB"
        );
        previous_db = reduction_db;
    }
}

/// The first `seconds` of the committed `world_caribbean` excerpt (stereo, 44.1 kHz), with a
/// click of 0.4 every `spacing` samples from `first`.
fn caribbean_with_clicks(seconds: usize, first: usize, spacing: usize) -> Vec<Vec<f32>> {
    let excerpt = load_excerpts()
        .into_iter()
        .find(|e| e.name == "world_caribbean")
        .unwrap();
    let mut input: Vec<Vec<f32>> = excerpt
        .channels
        .iter()
        .map(|c| c[..seconds * excerpt.sample_rate_hz as usize].to_vec())
        .collect();
    add_clicks(&mut input, first, spacing, 0.4);
    input
}

#[test]
fn the_input_plus_what_is_added_less_what_is_removed_is_the_output() {
    let rate = 44_100;
    let input = caribbean_with_clicks(3, 3_000, 5_000);
    let settings = EngineSettings {
        mix: 0.7,
        output_gain_db: -2.0,
        ..denoising(1.0)
    };
    let (output, engine) = render(rate, &input, settings, &VARYING_BLOCKS);
    let listen = |listen| {
        render(
            rate,
            &input,
            EngineSettings { listen, ..settings },
            &VARYING_BLOCKS,
        )
        .0
    };
    let added = listen(Listen::Added);
    let removed = listen(Listen::Removed);
    let dry = delayed(&input, engine.latency_samples() as usize);
    for c in 0..2 {
        let worst = (0..input[c].len())
            .map(|i| (dry[c][i] + added[c][i] - removed[c][i] - output[c][i]).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "channel {c}: {worst}");
        assert!(removed[c].iter().any(|x| x.abs() > 0.05), "nothing removed");
    }
}

/// Denoise's work between frames (each channel's click repair and hiss floor, at a quarter and
/// three quarters of the hop) is placed by sample position: recorded music with clicks, in
/// stereo and in mono, comes out the same whatever the host's blocks, with clicks repaired.
#[test]
fn denoised_output_does_not_depend_on_the_block_size() {
    let rate = 44_100;
    let stereo = caribbean_with_clicks(2, 2_000, 3_100);
    let mono = vec![stereo[0].clone()];
    for input in [stereo, mono] {
        let (reference, engine) = render(rate, &input, denoising(1.0), &[512]);
        assert!(
            engine.status().clicks_repaired > 0,
            "{} channels: no click repaired",
            input.len()
        );
        for blocks in [&[1usize][..], &[13], &[8192], &VARYING_BLOCKS] {
            let (output, _) = render(rate, &input, denoising(1.0), blocks);
            assert!(
                output == reference,
                "{} channels, blocks {blocks:?}",
                input.len()
            );
        }
    }
}

#[test]
fn denoising_never_allocates() {
    let rate = 48_000;
    let mut input = vec![
        pink_noise(4 * rate as usize, 3),
        pink_noise(4 * rate as usize, 4),
    ];
    add_clicks(&mut input, 1_000, 2_400, 0.8);
    let mut engine = Engine::new(rate as f32, 2, denoising(1.0)).unwrap();
    let output = stream_without_allocating(&mut engine, &input, rate, |second| EngineSettings {
        listen: if second == 2 {
            Listen::Removed
        } else {
            Listen::Output
        },
        ..denoising(if second == 1 { 0.3 } else { 1.0 })
    });
    assert!(output.iter().flatten().all(|x| x.is_finite()));
    nice_assert_no_alloc::assert_no_alloc(|| engine.reset());
}

#[test]
fn clean_recorded_music_is_barely_changed_by_denoise() {
    let excerpts = load_excerpts();
    let changes: Vec<(String, f64)> = parallel_map(&excerpts, |excerpt| {
        let rate = excerpt.sample_rate_hz;
        let auto = |amount| EngineSettings {
            denoise: amount,
            ..EngineSettings::default()
        };
        let (plain, _) = render(rate, &excerpt.channels, auto(0.0), &[512]);
        let (denoised, _) = render(rate, &excerpt.channels, auto(1.0), &[512]);
        let report = evaluate(&plain, &denoised, rate, None, Some(16_000.0)).unwrap();
        (excerpt.name.clone(), report.lsd)
    });
    let mean = changes.iter().map(|(_, lsd)| lsd).sum::<f64>() / changes.len() as f64;
    let worst = changes.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert!(
        mean <= 0.15 && worst.1 <= 0.4,
        "Denoise 100 % changes clean music by a mean LSD of {mean:.3} (at most 0.15), \
         {} by {:.3} (at most 0.4)",
        worst.0,
        worst.1
    );
}

/// The three excerpts the worn-transfer tests wear: a voice, drums and a band.
fn worn_test_excerpts() -> Vec<Excerpt> {
    load_excerpts()
        .into_iter()
        .filter(|e| {
            ["vocals_armygeddon", "drums_amen", "world_caribbean"].contains(&e.name.as_str())
        })
        .collect()
}

#[test]
fn a_cutoff_set_by_hand_brings_an_old_recordings_band_back_under_its_hiss() {
    let corner_hz = 4_000.0;
    let excerpts = worn_test_excerpts();
    let figures: Vec<(String, f64, f64, f64, f64)> = parallel_map(&excerpts, |excerpt| {
        let rate = excerpt.sample_rate_hz;
        let clean = excerpt.opening(6);
        let input = worn_transfer(&clean, rate, corner_hz);
        let at = |amount| EngineSettings {
            cutoff: CutoffMode::Manual(corner_hz),
            ..denoising(amount)
        };
        let (kept, engine) = render(rate, &input, at(0.0), &[512]);
        let (restored, _) = render(rate, &input, at(1.0), &[512]);
        let reference = delayed(&clean, engine.latency_samples() as usize);
        let lsd_hf = |estimate: &[Vec<f32>]| {
            evaluate(&reference, estimate, rate, Some(corner_hz), Some(16_000.0))
                .unwrap()
                .lsd_hf
                .unwrap()
        };
        let worn_input = delayed(&input, engine.latency_samples() as usize);
        // The level over the gentle slope, from the corner to 2.5 times it, against the clean
        // music's: what the disc still holds there is raised, not left 5 to 15 dB down.
        let slope_level_db = {
            let slope = |signal: &[Vec<f32>]| {
                signal
                    .iter()
                    .map(|c| band_energy(c, rate, corner_hz, 2.5 * corner_hz))
                    .sum::<f64>()
            };
            10.0 * (slope(&restored) / slope(&reference)).log10()
        };
        (
            excerpt.name.clone(),
            lsd_hf(&worn_input),
            lsd_hf(&kept),
            lsd_hf(&restored),
            slope_level_db,
        )
    });
    for (name, input, kept, restored, level) in &figures {
        eprintln!(
            "{name}: LSD-HF worn {input:.3}, Denoise 0 {kept:.3}, Denoise 100 % {restored:.3}; \
             corner to 2.5x at {level:+.1} dB"
        );
    }
    let mean = |pick: fn(&(String, f64, f64, f64, f64)) -> f64| {
        figures.iter().map(pick).sum::<f64>() / figures.len() as f64
    };
    let (input, kept, restored) = (mean(|f| f.1), mean(|f| f.2), mean(|f| f.3));
    let slope_level_db = mean(|f| f.4);
    // Measured with SBR: 1.689 worn, 1.344 at Denoise 0, 1.137 at 100 %; 1.206 at 100 % before
    // the fill raised what the disc holds above its corner (the slope's level then -4.0 dB,
    // now -1.2 dB), and 1.527 before the cutoff vouched for the band at all (the band above
    // the corner was not filled, and the hiss there was turned down).
    assert!(
        restored <= 0.8 * input && restored < kept,
        "LSD-HF over the band above a hand-set cutoff: worn {input:.3}, Denoise 0 {kept:.3}, \
         Denoise 100 % {restored:.3} (at most 80 % of the worn input's, and under Denoise 0's)"
    );
    assert!(
        slope_level_db.abs() <= 2.5,
        "from the corner to 2.5 times it the output lies {slope_level_db:+.1} dB from the \
         clean music (within 2.5 dB)"
    );
}

#[test]
fn auto_cutoff_finds_a_worn_transfers_corner_and_brings_its_band_back() {
    let corner_hz = 4_000.0;
    let excerpts = worn_test_excerpts();
    let figures: Vec<(String, f32, f64, f64)> = parallel_map(&excerpts, |excerpt| {
        let rate = excerpt.sample_rate_hz;
        let clean = excerpt.opening(8);
        let input = worn_transfer(&clean, rate, corner_hz);
        let auto = |amount| EngineSettings {
            cutoff: CutoffMode::Auto,
            ..denoising(amount)
        };
        // As the CLI does: hear the whole file first, then render it from its first sample.
        // The first hearing, without an allocation on the way: the judge's verdict arrives
        // and the band is laid out for it mid-stream.
        let mut listener = Engine::new(rate as f32, input.len(), auto(1.0)).unwrap();
        stream_without_allocating(&mut listener, &input, rate, |_| auto(1.0));
        // A session saved now and reopened remembers the corner: from its first hop on, the
        // band is generated from the same cutoff.
        let mut reopened = Engine::new(rate as f32, input.len(), auto(1.0)).unwrap();
        reopened.remember(listener.remembered());
        let first_hop: Vec<Vec<f32>> = input.iter().map(|c| c[..1024].to_vec()).collect();
        stream(&mut reopened, &first_hop, &[512]);
        let worn_cutoff_hz = listener.status().worn_cutoff_hz;
        assert!(
            worn_cutoff_hz.is_some(),
            "{}: no worn transfer found",
            excerpt.name
        );
        // The state keeps the corner in whole hertz.
        let reopened_hz = reopened.status().applied_cutoff_hz;
        assert!(
            (reopened_hz.unwrap_or(0.0) - worn_cutoff_hz.unwrap()).abs() < 2.0,
            "{}: a reopened session generates the band from the remembered corner ({reopened_hz:?} \
             against {worn_cutoff_hz:?})",
            excerpt.name
        );
        // The editor says "remembered" there, and not where the corner was heard.
        assert!(
            reopened.status().worn_corner_remembered && !listener.status().worn_corner_remembered,
            "{}: only the reopened session's corner is a remembered one",
            excerpt.name
        );
        let mut primed = Engine::new(rate as f32, input.len(), auto(1.0)).unwrap();
        primed.adopt_learned(listener.take_learned()).unwrap();
        let restored = stream(&mut primed, &input, &[512]);
        let status = primed.status();
        let judged_hz = status.worn_corner_hz.unwrap_or(f32::NAN);
        assert_eq!(
            status.applied_cutoff_hz, status.worn_cutoff_hz,
            "{}: the band is generated from the worn transfer's cutoff",
            excerpt.name
        );
        let (kept, at_zero) = render(rate, &input, auto(0.0), &[512]);
        assert_eq!(
            at_zero.status().applied_cutoff_hz,
            None,
            "{}: at Denoise 0 no band is generated",
            excerpt.name
        );
        let reference = delayed(&clean, primed.latency_samples() as usize);
        let lsd_hf = |estimate: &[Vec<f32>]| {
            evaluate(&reference, estimate, rate, Some(corner_hz), Some(16_000.0))
                .unwrap()
                .lsd_hf
                .unwrap()
        };
        (
            excerpt.name.clone(),
            judged_hz,
            lsd_hf(&kept),
            lsd_hf(&restored),
        )
    });
    for (name, judged_hz, kept, restored) in &figures {
        eprintln!(
            "{name}: corner judged at {judged_hz:.0} Hz (made at {corner_hz:.0} Hz); LSD-HF at \
             Denoise 0 {kept:.3}, at 100 % {restored:.3}"
        );
        assert!(
            (judged_hz / corner_hz).log2().abs() <= 1.0 / 3.0,
            "{name}: the worn transfer's corner judged at {judged_hz:.0} Hz, made at \
             {corner_hz:.0} Hz (within a third of an octave)"
        );
    }
    let mean = |pick: fn(&(String, f32, f64, f64)) -> f64| {
        figures.iter().map(pick).sum::<f64>() / figures.len() as f64
    };
    let (kept, restored) = (mean(|f| f.2), mean(|f| f.3));
    assert!(
        restored <= 0.85 * kept,
        "LSD-HF over the band above a worn transfer's corner with auto cutoff: Denoise 0 \
         {kept:.3}, Denoise 100 % {restored:.3} (at most 85 % of it)"
    );
}

/// Renders `input` at Denoise 100 % as the CLI does: one engine hears it all first, a second
/// adopts what it learned and renders. Returns the output and the hum the renderer reports.
fn render_heard_ahead(rate: u32, input: &[Vec<f32>]) -> (Vec<Vec<f32>>, Option<f32>) {
    let mut listener = Engine::new(rate as f32, input.len(), denoising(1.0)).unwrap();
    stream(&mut listener, input, &[512]);
    let mut renderer = Engine::new(rate as f32, input.len(), denoising(1.0)).unwrap();
    renderer.adopt_learned(listener.take_learned()).unwrap();
    let output = stream(&mut renderer, input, &[512]);
    let hum_hz = renderer.status().hum_hz;
    (output, hum_hz)
}

/// A disc's lead-in groove (4 s of pink hiss 60 dB under the music) and then a committed
/// excerpt, with mains hum all through (50 Hz with harmonics 2, 3 and 5, 30 dB under the
/// music): heard ahead, the hum is found where it lies bare and removed from the first sample
/// on, by more than 15 dB at its harmonics there and 8 dB under the music, whose bass leaks
/// into the estimate (21.4 and 10.9 dB when written); the same without hum has none found.
#[test]
fn mains_hum_is_found_and_removed_from_the_first_sample() {
    let excerpt = load_excerpts()
        .into_iter()
        .find(|e| e.name == "world_caribbean")
        .unwrap();
    let rate = excerpt.sample_rate_hz;
    let lead_in = 4 * rate as usize;
    let music_rms = rms(&excerpt.channels[0]);
    let groove = pink_noise(lead_in, 5);
    let groove_rms = rms(&groove);
    let clean: Vec<Vec<f32>> = excerpt
        .opening(6)
        .iter()
        .map(|channel| {
            groove
                .iter()
                .map(|g| g * music_rms * 1e-3 / groove_rms)
                .chain(channel.iter().copied())
                .collect()
        })
        .collect();
    let len = clean[0].len();
    let harmonics: Vec<(f32, f32, f32)> = [1.0f32, 2.0, 3.0, 5.0]
        .iter()
        .map(|&k| (50.0 * k, 1.0 / k, k))
        .collect();
    let hum = sum_of_sines(rate, len, &harmonics);
    let hum_rms = rms(&hum);
    let scale = music_rms * 10f32.powf(-30.0 / 20.0) / hum_rms;
    let hummed: Vec<Vec<f32>> = clean
        .iter()
        .map(|channel| {
            channel
                .iter()
                .zip(&hum)
                .map(|(x, h)| x + scale * h)
                .collect()
        })
        .collect();
    let (plain, plain_hum) = render_heard_ahead(rate, &clean);
    let (cleaned, found_hz) = render_heard_ahead(rate, &hummed);
    assert_eq!(plain_hum, None, "hum found without hum");
    assert_eq!(found_hz, Some(50.0));
    // What is left of the hum at its harmonics, in the lead-in and under the music (the two
    // renders differ elsewhere too: a click repaired in one and not the other moves the music
    // itself). The output is delayed by the latency.
    let latency = Engine::new(rate as f32, 2, denoising(1.0))
        .unwrap()
        .latency_samples() as usize;
    let scaled: Vec<f32> = hum.iter().map(|h| scale * h).collect();
    let reduction_db = |span: std::ops::Range<usize>| {
        let at = |signal: &[f32], offset: usize, hz: f32| {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for n in span.clone() {
                let phase = f64::from(std::f32::consts::TAU * hz) * n as f64 / f64::from(rate);
                let x = f64::from(signal[n + offset]);
                re += x * phase.cos();
                im -= x * phase.sin();
            }
            (re, im)
        };
        let (mut left, mut added) = (0.0, 0.0);
        for &(hz, _, _) in &harmonics {
            let (cr, ci) = at(&cleaned[0], latency, hz);
            let (pr, pi) = at(&plain[0], latency, hz);
            left += (cr - pr).powi(2) + (ci - pi).powi(2);
            let (hr, hi) = at(&scaled, 0, hz);
            added += hr * hr + hi * hi;
        }
        10.0 * (added / left).log10()
    };
    let lead_in_db = reduction_db(0..lead_in);
    let music_db = reduction_db(lead_in..len - latency);
    eprintln!(
        "the hum fell by {lead_in_db:.1} dB in the lead-in, {music_db:.1} dB under the music"
    );
    assert!(
        lead_in_db > 15.0,
        "the hum fell by {lead_in_db:.1} dB in the lead-in"
    );
    assert!(
        music_db > 8.0,
        "the hum fell by {music_db:.1} dB under the music"
    );
}
