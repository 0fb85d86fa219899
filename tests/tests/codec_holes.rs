//! Codec holes on recorded music: the committed excerpts through lame at 64 kbps get the bins
//! the codec zeroed below its low-pass filled, and lossless material, sparse or band-limited,
//! gets nothing. Needs lame, which CI installs.

use airlift::engine::{Engine, EngineSettings, ModelKind};
use airlift_tests::excerpts::{load_excerpts, Excerpt};
use airlift_tests::filters::{brick_wall, mp3_round_trip};
use airlift_tests::render::render_aligned;
use realfft::RealFftPlanner;

/// Where the measured band starts, in Hz.
const BAND_START_HZ: f32 = 2_000.0;

/// A bin 20 dB (2 in log10 power) or more under the original is a hole.
const HOLE_LOG10: f64 = 2.0;

/// The share of hole bins (among the live ones: the original within 60 dB of its frame's
/// loudest in the band) and the LSD between `lo_hz` and `hi_hz`, with the metric STFT of
/// DESIGN.md (2048 points at 44.1 kHz, hop sr/100, Hann), over both channels.
fn holes_and_lsd(
    reference: &[Vec<f32>],
    estimate: &[Vec<f32>],
    sample_rate_hz: u32,
    lo_hz: f32,
    hi_hz: f32,
) -> (f64, f64) {
    let n = (2048.0 * sample_rate_hz as f32 / 44_100.0).round() as usize;
    let hop = sample_rate_hz as usize / 100;
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let window: Vec<f64> = (0..n)
        .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos())
        .collect();
    let bin_hz = sample_rate_hz as f32 / n as f32;
    let (k0, k1) = ((lo_hz / bin_hz).ceil() as usize, (hi_hz / bin_hz) as usize);
    let log_power = |signal: &[f32], start: usize| -> Vec<f64> {
        let mut frame: Vec<f64> = (0..n)
            .map(|i| signal[start + i] as f64 * window[i])
            .collect();
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut frame, &mut spectrum).unwrap();
        spectrum[k0..k1]
            .iter()
            .map(|c| (c.norm_sqr() + 1e-10).log10())
            .collect()
    };
    let (mut live, mut holes, mut lsd, mut frames) = (0usize, 0usize, 0.0, 0usize);
    for (r, e) in reference.iter().zip(estimate) {
        let len = r.len().min(e.len());
        let mut start = 0;
        while start + n <= len {
            let (lr, le) = (log_power(r, start), log_power(e, start));
            let peak = lr.iter().copied().fold(f64::MIN, f64::max);
            let mut square = 0.0;
            for (a, b) in lr.iter().zip(&le) {
                square += (a - b) * (a - b);
                if *a > peak - 6.0 && *a > -7.0 {
                    live += 1;
                    holes += usize::from(*b < a - HOLE_LOG10);
                }
            }
            lsd += (square / lr.len() as f64).sqrt();
            frames += 1;
            start += hop;
        }
    }
    (holes as f64 / live.max(1) as f64, lsd / frames as f64)
}

/// The output of an SBR render with auto cutoff and Codec Repair `repair`, aligned with the
/// input, and whether holes were found.
fn restore(input: &[Vec<f32>], sample_rate_hz: u32, repair: bool) -> (Vec<Vec<f32>>, bool) {
    let settings = EngineSettings {
        model: ModelKind::Sbr,
        codec_repair: repair,
        ..EngineSettings::default()
    };
    let mut engine = Engine::new(sample_rate_hz as f32, input.len(), settings).unwrap();
    let aligned = render_aligned(&mut engine, input);
    (aligned, engine.status().holes_found)
}

fn excerpt(excerpts: &[Excerpt], name: &str) -> Excerpt {
    excerpts.iter().find(|e| e.name == name).unwrap().clone()
}

#[test]
fn holes_of_a_64_kbps_mp3_are_filled_and_repair_off_leaves_them() {
    let excerpts = load_excerpts();
    let work = std::env::temp_dir().join(format!("airlift_holes_{}", std::process::id()));
    let (mut decoded_sum, mut on_sum, mut off_sum) = ((0.0, 0.0), (0.0, 0.0), (0.0, 0.0));
    let names = [
        "world_desert",
        "vocals_armygeddon",
        "orchestral_aftermath24",
    ];
    for name in names {
        let e = excerpt(&excerpts, name);
        let mp3 = mp3_round_trip(&e.channels, e.sample_rate_hz, 64, &work.join(name));
        let top_hz = mp3.transition_hz.0.min(e.band_edge_hz) * (-1.0f32 / 12.0).exp2();
        let score = |signal: &[Vec<f32>]| {
            holes_and_lsd(&e.channels, signal, e.sample_rate_hz, BAND_START_HZ, top_hz)
        };
        let (on, found) = restore(&mp3.decoded, e.sample_rate_hz, true);
        let (off, found_off) = restore(&mp3.decoded, e.sample_rate_hz, false);
        assert!(
            found && found_off,
            "{name}: holes found with repair on and off"
        );
        let (decoded, on, off) = (score(&mp3.decoded), score(&on), score(&off));
        println!("{name}: holes/LSD decoded {decoded:.3?}, repair on {on:.3?}, off {off:.3?}");
        for (sum, value) in [
            (&mut decoded_sum, decoded),
            (&mut on_sum, on),
            (&mut off_sum, off),
        ] {
            sum.0 += value.0 / names.len() as f64;
            sum.1 += value.1 / names.len() as f64;
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    // Measured: 17 to 37 % of the bins are holes in the decoded files and 4 to 9 % after
    // repair, and LSD falls by 45 %. With repair off only the band generated above a detected
    // cutoff (below lame's own low-pass on one of them) fills any. The issue asks for 60 % fewer
    // holes and 20 % less LSD.
    assert!(
        on_sum.0 <= 0.4 * decoded_sum.0,
        "holes {on_sum:?} vs {decoded_sum:?}"
    );
    assert!(
        on_sum.1 <= 0.75 * decoded_sum.1,
        "LSD {on_sum:?} vs {decoded_sum:?}"
    );
    assert!(
        on_sum.0 <= 0.5 * off_sum.0,
        "off {off_sum:?} vs on {on_sum:?}"
    );
}

#[test]
fn lossless_sparse_material_gets_nothing_even_when_band_limited() {
    let excerpts = load_excerpts();
    let names = [
        "drums_amen",
        "percussion_tabla",
        "percussion_safari",
        "guitar_em9",
    ];
    for name in names {
        let e = excerpt(&excerpts, name);
        for cutoff_hz in [None, Some(8_000.0), Some(11_000.0)] {
            let input: Vec<Vec<f32>> = match cutoff_hz {
                Some(hz) => e
                    .channels
                    .iter()
                    .map(|c| brick_wall(c, e.sample_rate_hz, hz))
                    .collect(),
                None => e.channels.clone(),
            };
            let (on, found) = restore(&input, e.sample_rate_hz, true);
            let (off, _) = restore(&input, e.sample_rate_hz, false);
            assert!(
                !found,
                "{name} {cutoff_hz:?}: holes found in lossless material"
            );
            let added = on
                .iter()
                .zip(&off)
                .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
                .fold(0.0f32, f32::max);
            assert_eq!(
                added, 0.0,
                "{name} {cutoff_hz:?}: the repair added something"
            );
        }
    }
}
