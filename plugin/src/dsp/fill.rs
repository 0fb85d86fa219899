//! Fill, never remove: how a generated band joins the input above the cutoff.
//!
//! Every generator (SBR, the spectral model, DDSP) proposes a generated spectrum for the band
//! above the ramp. The output keeps all of the input there and adds only what is missing:
//!
//! - **What is missing.** Over time, by the band-limit detector
//!   ([`super::cutoff::CutoffDetector::write_fill_weights`]): any band that holds still over
//!   time or lies far below the music (a floor: a codec's or converter's noise, what a filter
//!   left in floating point, digital silence); a band that moves with the music is present,
//!   however quiet, so full-band music keeps its own high band whatever the cutoff. Until the
//!   detector has heard a quarter of a second, the whole band above the cutoff counts as
//!   missing.
//! - **How much to add**, per bin where the band is missing: where the input bin lies at least
//!   [`FILL_FULL_DB`] below the generated one, the deficit is filled completely; where it lies
//!   less than [`FILL_START_DB`] below, nothing is added; in between, the filled share grows
//!   with the deficit. Where a detected band limit vouches that the band is gone (just above
//!   its edge, and far below the music above that) and has held long enough, or the band also
//!   holds still, the whole deficit is filled however small it is: in a quiet passage the
//!   generated band may lie only a few dB above a codec's floor, and that floor is still no
//!   music. The added power is that share of the deficit, times
//!   the missing share, so no output bin is larger than the larger of the input's and the
//!   generated one.
//! - **Nothing is cancelled**: the addition is a share of the generated bin, and the part of it
//!   that points against the input's own bin is removed, so every output bin is at least as
//!   large as the input's (`|input + added| ≥ |input|`) with the input's content still in it.
//! - **What is there may be raised** where the engine says so (`raise`: a cutoff set by hand
//!   with Denoise on, which says the band above it is a worn disc's gentle low-pass): the
//!   music the input still holds there is the original, attenuated, with its own fine structure
//!   and phase. Each bin is scaled up by the generated band's level over the input's, both
//!   smoothed over [`RAISE_SMOOTHING_BINS`] either side, by at most [`MAX_RAISE_DB`] and never
//!   down; the fill then adds what the raised bin still lacks. The raise is in phase with the
//!   input, so nothing is cancelled either.
//!
//! So a cutoff detected too low, the transition band of a gentle low-pass and the bins an MP3
//! codes above its low-pass all keep what they have, and full-band input passes nearly as it is.

use realfft::num_complex::Complex;

use super::sbr::BandLayout;

/// Deficits (input bin below the generated one, in dB) smaller than this add nothing.
pub const FILL_START_DB: f32 = 15.0;

/// Deficits of this many dB and more are filled completely.
pub const FILL_FULL_DB: f32 = 30.0;

/// Bins either side of a bin over which the input's and the generated band's powers are
/// averaged for the raise: about a quarter of an octave at 4 kHz, so that the raise follows
/// the band's envelope and keeps the input's harmonics and valleys (the level-match probe of
/// `worn.py --level-match`).
pub const RAISE_SMOOTHING_BINS: usize = 4;

/// The most a bin is raised, in dB: a worn disc's Butterworth of order 2 at its corner's
/// double lies 12 dB down, of order 4 24 dB; deeper than this the input holds mostly what
/// Denoise left of the noise, and the band is added instead.
pub const MAX_RAISE_DB: f32 = 20.0;

/// The number of per-bin arrays in the flat fill weights ([`FillWeights::from_flat`]).
pub const FILL_WEIGHT_ARRAYS: usize = 3;

/// What the detector and the engine say of each bin, for the fill.
#[derive(Debug, Clone, Copy)]
pub struct FillWeights<'a> {
    /// Per bin, how much of the band is missing (0 to 1): what the fill may add to.
    pub missing: &'a [f32],
    /// Per bin, how surely a detected band limit vouches that the band is gone (0 to 1): the
    /// band just above the edge and what lies far below the music there. Where it is sure, the
    /// whole deficit is filled, however small: a codec's floor in a quiet passage is still no
    /// music.
    pub sure: &'a [f32],
    /// Per bin, how far the music the input holds may be raised to the generated band's level
    /// (0 to 1): a cutoff set by hand with Denoise on says that what lies above it is a worn
    /// disc's music, attenuated by its gentle low-pass.
    pub raise: &'a [f32],
}

impl<'a> FillWeights<'a> {
    /// The weights from one flat array of [`FILL_WEIGHT_ARRAYS`]` * bins` values: missing
    /// shares, sure shares, then raise shares, as the engine keeps them and the worker's
    /// records carry them.
    pub fn from_flat(flat: &'a [f32]) -> Self {
        let bins = flat.len() / FILL_WEIGHT_ARRAYS;
        let (missing, rest) = flat.split_at(bins);
        let (sure, raise) = rest.split_at(bins);
        Self {
            missing,
            sure,
            raise: &raise[..bins],
        }
    }
}

/// The factor (from 1 up to [`MAX_RAISE_DB`] in dB) that raises bin `k` of `input` to the
/// level of `generated`, both averaged over [`RAISE_SMOOTHING_BINS`] either side within `bins`
/// (the replaced band): 1 where the input is as loud as the generated band or louder, or
/// silent.
fn raise_factor(
    input: &[Complex<f32>],
    generated: &[Complex<f32>],
    bins: std::ops::Range<usize>,
    k: usize,
) -> f32 {
    let low = k.saturating_sub(RAISE_SMOOTHING_BINS).max(bins.start);
    let high = (k + RAISE_SMOOTHING_BINS + 1).min(bins.end);
    let (mut input_power, mut generated_power) = (0.0f32, 0.0f32);
    for j in low..high {
        input_power += input[j].norm_sqr();
        generated_power += generated[j].norm_sqr();
    }
    if input_power <= 0.0 || generated_power <= input_power {
        return 1.0;
    }
    (generated_power / input_power)
        .sqrt()
        .min(10f32.powf(MAX_RAISE_DB / 20.0))
}

/// The share of the generated power to add where the input bin's power is `input_power` and
/// the generated one's `generated_power`, with `missing` (0 to 1) of the band found missing by
/// the detector, `sure` (0 to 1) of it vouched for by a detected band limit: none for small
/// deficits, the whole deficit for large ones or where the band limit vouches, and only as
/// much as is missing.
pub fn fill_share(input_power: f64, generated_power: f64, missing: f32, sure: f32) -> f32 {
    if generated_power <= input_power || generated_power <= 0.0 {
        return 0.0;
    }
    let deficit_db = if input_power > 0.0 {
        (10.0 * (generated_power / input_power).log10()) as f32
    } else {
        f32::INFINITY
    };
    let ramp = ((deficit_db - FILL_START_DB) / (FILL_FULL_DB - FILL_START_DB)).clamp(0.0, 1.0);
    let ramp = ramp + sure.clamp(0.0, 1.0) * (1.0 - ramp);
    ramp * missing * (1.0 - (input_power / generated_power) as f32)
}

/// Writes the correction that fills `generated` into `input` (both one channel's spectrum) for
/// `band`: zero below the ramp, and above it the input raised as far as `weights.raise` says,
/// then the missing share of the generated band, weighted by the ramp and by what the detector
/// says of each bin (`weights`), with nothing that would cancel the input. Adding its inverse
/// transform to the delayed input gives the output. Bounded work, no allocation.
pub fn write_fill_correction(
    input: &[Complex<f32>],
    generated: &[Complex<f32>],
    weights: FillWeights,
    band: &BandLayout,
    correction: &mut [Complex<f32>],
) {
    correction.fill(Complex::new(0.0, 0.0));
    let replaced = band.ramp_start_bin..band.end_bin;
    for k in replaced.clone() {
        let raise = weights.raise[k].clamp(0.0, 1.0);
        let raised = if raise > 0.0 {
            input[k] * (1.0 + raise * (raise_factor(input, generated, replaced.clone(), k) - 1.0))
        } else {
            input[k]
        };
        let (raised_power, generated_power) = (raised.norm_sqr(), generated[k].norm_sqr());
        let share = fill_share(
            raised_power as f64,
            generated_power as f64,
            weights.missing[k],
            weights.sure[k],
        );
        let mut added = raised - input[k];
        if share > 0.0 {
            let mut filled = generated[k] * share.sqrt();
            let along = filled.re * raised.re + filled.im * raised.im;
            if along < 0.0 {
                filled -= raised * (along / raised_power);
            }
            added += filled;
        }
        correction[k] = added * band.replace_weight[k];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::dsp::stft::StftLayout;

    fn layout() -> StftLayout {
        StftLayout::for_sample_rate(48_000.0)
    }

    fn band(cutoff_hz: f32) -> BandLayout {
        let mut band = BandLayout::with_capacity(&layout());
        assert!(band.configure(&layout(), cutoff_hz));
        band
    }

    fn spectrum(f: impl Fn(usize) -> Complex<f32>) -> Vec<Complex<f32>> {
        (0..layout().num_bins()).map(f).collect()
    }

    fn fill(
        input: &[Complex<f32>],
        generated: &[Complex<f32>],
        band: &BandLayout,
    ) -> Vec<Complex<f32>> {
        fill_where(input, generated, &vec![1.0; input.len()], 0.0, band)
    }

    /// The correction with `missing` per bin and the same `sure` share everywhere.
    fn fill_where(
        input: &[Complex<f32>],
        generated: &[Complex<f32>],
        missing: &[f32],
        sure: f32,
        band: &BandLayout,
    ) -> Vec<Complex<f32>> {
        fill_raising(input, generated, missing, sure, 0.0, band)
    }

    /// The correction with `missing` per bin and the same `sure` and `raise` shares everywhere.
    fn fill_raising(
        input: &[Complex<f32>],
        generated: &[Complex<f32>],
        missing: &[f32],
        sure: f32,
        raise: f32,
        band: &BandLayout,
    ) -> Vec<Complex<f32>> {
        let mut correction = spectrum(|_| Complex::new(9.0, 9.0));
        let sure = vec![sure; input.len()];
        let raise = vec![raise; input.len()];
        let weights = FillWeights {
            missing,
            sure: &sure,
            raise: &raise,
        };
        write_fill_correction(input, generated, weights, band, &mut correction);
        correction
    }

    /// Asserts that no output bin in `bins` is smaller than the input's, and counts those that
    /// grew more than `factor` times.
    fn bins_grown(
        input: &[Complex<f32>],
        correction: &[Complex<f32>],
        bins: std::ops::Range<usize>,
        factor: f32,
    ) -> usize {
        let mut grew = 0;
        for k in bins {
            let output = input[k] + correction[k];
            assert!(output.norm() >= input[k].norm() * (1.0 - 1e-6), "bin {k}");
            grew += usize::from(output.norm() > factor * input[k].norm());
        }
        grew
    }

    /// An input with nothing from the ramp up, and a generated band of every phase.
    fn empty_band_and_generated(band: &BandLayout) -> (Vec<Complex<f32>>, Vec<Complex<f32>>) {
        let input = spectrum(|k| {
            if k < band.ramp_start_bin {
                Complex::new(1.0, 0.0)
            } else {
                Complex::new(0.0, 0.0)
            }
        });
        (input, spectrum(|k| Complex::from_polar(0.5, k as f32)))
    }

    #[test]
    fn an_empty_band_is_filled_with_the_generated_one() {
        let band = band(6000.0);
        let (input, generated) = empty_band_and_generated(&band);
        let correction = fill(&input, &generated, &band);
        for k in 0..input.len() {
            let expected = if (band.ramp_start_bin..band.end_bin).contains(&k) {
                generated[k] * band.replace_weight[k]
            } else {
                Complex::new(0.0, 0.0)
            };
            assert!((correction[k] - expected).norm() < 1e-6, "bin {k}");
        }
    }

    #[test]
    fn real_content_at_the_generated_level_is_left_alone() {
        let band = band(6000.0);
        let input = spectrum(|k| Complex::from_polar(0.5, 0.3 * k as f32));
        let generated = spectrum(|k| Complex::from_polar(0.5, 1.7 * k as f32));
        assert!(fill(&input, &generated, &band)
            .iter()
            .all(|c| c.norm() == 0.0));
    }

    #[test]
    fn no_output_bin_is_smaller_than_the_input_bin() {
        // Sparse coded bins in a quiet band, generated bins of every phase against them.
        let band = band(4000.0);
        let input = spectrum(|k| {
            if k % 7 == 0 {
                Complex::from_polar(0.02, 0.9 * k as f32)
            } else {
                Complex::new(1e-5, 0.0)
            }
        });
        let generated = spectrum(|k| Complex::from_polar(0.3, 2.1 * k as f32));
        let correction = fill(&input, &generated, &band);
        let grew = bins_grown(&input, &correction, band.ramp_start_bin..band.end_bin, 2.0);
        assert!(
            grew > (band.end_bin - band.cutoff_bin) / 2,
            "the deficit was filled"
        );
    }

    #[test]
    fn nothing_is_added_where_the_detector_finds_content() {
        let band = band(6000.0);
        let (input, generated) = empty_band_and_generated(&band);
        let missing: Vec<f32> = (0..input.len())
            .map(|k| if k < band.cutoff_bin + 40 { 0.0 } else { 1.0 })
            .collect();
        let correction = fill_where(&input, &generated, &missing, 1.0, &band);
        for k in 0..input.len() {
            assert_eq!(
                correction[k].norm() > 0.0,
                missing[k] > 0.0 && k < band.end_bin,
                "bin {k}"
            );
        }
    }

    #[test]
    fn the_fill_grows_with_the_deficit() {
        let db = |db: f32| 10f64.powf(db as f64 / 10.0);
        assert_eq!(fill_share(1.0, db(FILL_START_DB), 1.0, 0.0), 0.0);
        let half = fill_share(1.0, db(0.5 * (FILL_START_DB + FILL_FULL_DB)), 1.0, 0.0);
        assert!(half > 0.45 && half < 0.5, "{half}");
        assert_eq!(
            fill_share(1.0, db(FILL_FULL_DB + 1.0), 0.25, 0.0),
            0.25 * (1.0 - 1.0 / db(FILL_FULL_DB + 1.0)) as f32
        );
        assert!(fill_share(0.0, 1.0, 1.0, 0.0) == 1.0);
        assert!(fill_share(1.0, 0.5, 1.0, 0.0) == 0.0);
    }

    #[test]
    fn where_a_band_limit_vouches_the_whole_deficit_is_filled() {
        let db = |db: f32| 10f64.powf(db as f64 / 10.0);
        // A codec's floor 6 dB under the generated band: left alone unless the band limit
        // vouches for it, then filled up to the generated level.
        assert_eq!(fill_share(1.0, db(6.0), 1.0, 0.0), 0.0);
        let filled = fill_share(1.0, db(6.0), 1.0, 1.0);
        assert!(
            (filled - (1.0 - 1.0 / db(6.0)) as f32).abs() < 1e-6,
            "{filled}"
        );
        let half_sure = fill_share(1.0, db(6.0), 1.0, 0.5);
        assert!((half_sure - 0.5 * filled).abs() < 1e-6, "{half_sure}");
        // Never more than what is missing, never where the input is as loud.
        assert!((fill_share(1.0, db(6.0), 0.5, 1.0) - 0.5 * filled).abs() < 1e-6);
        assert_eq!(fill_share(1.0, 1.0, 1.0, 1.0), 0.0);

        let band = band(6000.0);
        let input = spectrum(|k| Complex::from_polar(0.25, 0.4 * k as f32));
        let generated = spectrum(|k| Complex::from_polar(0.5, 1.3 * k as f32));
        let missing = vec![1.0; input.len()];
        assert!(fill_where(&input, &generated, &missing, 0.0, &band)
            .iter()
            .all(|c| c.norm() == 0.0));
        let correction = fill_where(&input, &generated, &missing, 1.0, &band);
        let grew = bins_grown(&input, &correction, band.cutoff_bin..band.end_bin, 1.2);
        assert!(
            grew > (band.end_bin - band.cutoff_bin) / 2,
            "filled: {grew}"
        );
    }

    /// A worn disc's band: the input holds the music under the generated band's level, with
    /// its own phase in every bin and a harmonic every third bin, 6 dB over the bins between.
    fn attenuated_band(band: &BandLayout) -> (Vec<Complex<f32>>, Vec<Complex<f32>>) {
        let input = spectrum(|k| {
            let level = if k < band.ramp_start_bin {
                1.0
            } else if k % 3 == 0 {
                0.25 * 2.0
            } else {
                0.25
            };
            Complex::from_polar(level, 0.7 * k as f32)
        });
        let generated = spectrum(|k| Complex::from_polar(1.0, 1.3 * k as f32));
        (input, generated)
    }

    #[test]
    fn where_the_engine_says_so_the_input_is_raised_to_the_generated_level_in_its_own_phase() {
        let band = band(4000.0);
        let (input, generated) = attenuated_band(&band);
        let present = vec![0.0; input.len()];
        let correction = fill_raising(&input, &generated, &present, 0.0, 1.0, &band);
        let full_from = band.ramp_start_bin + 2 * RAISE_SMOOTHING_BINS;
        let mut raised_db = Vec::new();
        for k in full_from..band.end_bin - RAISE_SMOOTHING_BINS {
            if band.replace_weight[k] < 1.0 {
                continue;
            }
            let output = input[k] + correction[k];
            // In phase with the input: the input's own bin, scaled.
            let cross = output.re * input[k].im - output.im * input[k].re;
            assert!(cross.abs() < 1e-4 * output.norm(), "bin {k} turned");
            raised_db.push(20.0 * (output.norm() / input[k].norm()).log10());
        }
        let mean_db = raised_db.iter().sum::<f32>() / raised_db.len() as f32;
        // Over any nine bins the input's power is 1/8 of the generated band's (a third of the
        // bins 6 dB up): every bin is raised by 9.03 dB, so the harmonics stay 6 dB up.
        assert!((mean_db - 9.03).abs() < 0.05, "raised by {mean_db:.2} dB");
        let spread = raised_db
            .iter()
            .fold(0.0f32, |m, d| m.max((d - mean_db).abs()));
        assert!(
            spread < 0.05,
            "bins raised unevenly, by up to {spread:.2} dB off"
        );
    }

    #[test]
    fn the_raise_never_lowers_a_bin_nor_goes_past_its_limit_and_is_off_at_zero() {
        let band = band(4000.0);
        let (input, generated) = attenuated_band(&band);
        let present = vec![0.0; input.len()];
        let quiet: Vec<_> = input.iter().map(|bin| bin * 1e-3).collect();
        let correction = fill_raising(&quiet, &generated, &present, 0.0, 1.0, &band);
        let limit = 10f32.powf(MAX_RAISE_DB / 20.0) * (1.0 + 1e-4);
        for k in band.ramp_start_bin..band.end_bin {
            let output = quiet[k] + correction[k];
            assert!(
                output.norm() >= quiet[k].norm() * (1.0 - 1e-6),
                "bin {k} lowered"
            );
            assert!(
                output.norm() <= quiet[k].norm() * limit,
                "bin {k} raised past the limit"
            );
        }
        let loud: Vec<_> = generated.iter().map(|bin| bin * 2.0).collect();
        let correction = fill_raising(&loud, &generated, &present, 0.0, 1.0, &band);
        assert!(
            correction.iter().all(|bin| bin.norm() == 0.0),
            "a loud input was raised"
        );
        let off = fill_raising(&input, &generated, &present, 0.0, 0.0, &band);
        assert!(
            off.iter().all(|bin| bin.norm() == 0.0),
            "raised at a share of 0"
        );
        let half = fill_raising(&input, &generated, &present, 0.0, 0.5, &band);
        let full = fill_raising(&input, &generated, &present, 0.0, 1.0, &band);
        let k = band.end_bin - 2 * RAISE_SMOOTHING_BINS;
        assert!((half[k].norm() - 0.5 * full[k].norm()).abs() < 1e-4 * full[k].norm());
    }
}
