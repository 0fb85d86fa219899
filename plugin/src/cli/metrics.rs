//! Quality metrics of a restoration against its full-band reference, as DESIGN.md defines
//! them: LSD and LSD-HF (log10 power, STFT of `2048 · sr / 44100` points, hop `sr / 100`, mean
//! over frames of the RMS over bins), SI-SDR, and the deviation of the low band; and the top of
//! the band: the level of the estimate against the reference in each third of the band from the
//! cutoff to the smaller of the reference's own edge and 20 kHz, and the LSD there, so that a
//! generated band that comes out too dark towards the top shows.

use realfft::RealFftPlanner;

use crate::dsp::sbr::RAMP_OCTAVES;
use crate::dsp::window::hann_periodic;

/// Added to every bin's power before the logarithm, so silent bins compare as equal.
pub const POWER_FLOOR: f64 = 1e-10;

/// Where the top of the band ends: 20 kHz, the top of hearing, or the reference's own edge
/// when that is lower.
pub const TOP_BAND_LIMIT_HZ: f32 = 20_000.0;

/// Fewest bins in each third of the top of the band for it to be measured at all.
const MIN_TOP_THIRD_BINS: usize = 2;

/// The top of the band: from the cutoff to the smaller of the reference's own edge and
/// [`TOP_BAND_LIMIT_HZ`].
#[derive(Debug, Clone, PartialEq)]
pub struct TopBand {
    /// Where it starts (the first bin at or above the cutoff), in Hz.
    pub from_hz: f64,
    /// Where it ends (past its last bin), in Hz.
    pub to_hz: f64,
    /// The estimate's level against the reference's in each third of it (low, middle, top), in
    /// dB: per frame, the ratio of their powers summed over the third's bins (each bin with
    /// [`POWER_FLOOR`], so silent frames compare as equal), then the mean over frames of its
    /// logarithm, so that a band that stops short between the hits shows as well as one that
    /// is dark throughout. Negative: the estimate is too dark there.
    pub bias_db: [f64; 3],
    /// The log-spectral distance over its bins alone.
    pub lsd: f64,
}

/// What `airlift eval` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    /// Log-spectral distance over all bins.
    pub lsd: f64,
    /// Log-spectral distance over the bins at and above the cutoff.
    pub lsd_hf: Option<f64>,
    /// Scale-invariant signal-to-distortion ratio in dB, averaged over channels.
    pub si_sdr_db: f64,
    /// Energy of `estimate − reference` below the crossfade ramp, relative to the reference's
    /// energy there, in dB: how much the low band was altered (−∞ when untouched).
    pub low_band_error_db: Option<f64>,
    /// The top of the band (with a cutoff, when it spans at least a few bins).
    pub top_band: Option<TopBand>,
    /// Number of STFT frames compared per channel.
    pub frames: usize,
}

/// Why two signals cannot be compared.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsError {
    /// The channel counts differ.
    ChannelMismatch {
        /// Channels of the reference.
        reference: usize,
        /// Channels of the estimate.
        estimate: usize,
    },
    /// The signals are shorter than one analysis frame.
    TooShort {
        /// Samples needed.
        needed: usize,
        /// Samples available (the shorter signal).
        available: usize,
    },
}

impl std::fmt::Display for MetricsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricsError::ChannelMismatch {
                reference,
                estimate,
            } => write!(
                f,
                "channel counts differ: reference has {reference}, estimate has {estimate}"
            ),
            MetricsError::TooShort { needed, available } => write!(
                f,
                "signals too short: {available} samples, at least {needed} needed"
            ),
        }
    }
}

impl std::error::Error for MetricsError {}

/// Compares `estimate` with `reference` (channels of samples at `sample_rate_hz`) over their
/// common length. `cutoff_hz` enables LSD-HF and the low-band deviation. `band_edge_hz` is the
/// reference's own band edge (an Ogg or MP3 source's low-pass): the log-spectral distances
/// leave out the bins above it, where the reference is no reference.
pub fn evaluate(
    reference: &[Vec<f32>],
    estimate: &[Vec<f32>],
    sample_rate_hz: u32,
    cutoff_hz: Option<f32>,
    band_edge_hz: Option<f32>,
) -> Result<EvalReport, MetricsError> {
    if reference.len() != estimate.len() || reference.is_empty() {
        return Err(MetricsError::ChannelMismatch {
            reference: reference.len(),
            estimate: estimate.len(),
        });
    }
    let fft_size = (2048.0 * sample_rate_hz as f64 / 44_100.0).round() as usize;
    let hop = (sample_rate_hz as f64 / 100.0).round() as usize;
    let len = reference
        .iter()
        .chain(estimate)
        .map(Vec::len)
        .min()
        .unwrap_or(0);
    if len < fft_size {
        return Err(MetricsError::TooShort {
            needed: fft_size,
            available: len,
        });
    }
    let bin_hz = sample_rate_hz as f64 / fft_size as f64;
    let num_bins = band_edge_hz.map_or(fft_size / 2 + 1, |hz| {
        ((hz as f64 / bin_hz).floor() as usize + 1).clamp(1, fft_size / 2 + 1)
    });
    let cutoff_bin = cutoff_hz.map(|hz| ((hz as f64 / bin_hz).ceil() as usize).min(num_bins));
    let top_end = ((TOP_BAND_LIMIT_HZ as f64 / bin_hz).floor() as usize + 1).min(num_bins);
    let top_bins = cutoff_bin
        .filter(|&cut| top_end >= cut + 3 * MIN_TOP_THIRD_BINS)
        .map(|cut| {
            let third = (top_end - cut) as f64 / 3.0;
            [
                cut,
                cut + third.round() as usize,
                cut + (2.0 * third).round() as usize,
                top_end,
            ]
        });
    let low_band_end = cutoff_hz.map(|hz| {
        ((hz as f64 * (-(RAMP_OCTAVES as f64)).exp2() / bin_hz).floor() as usize).min(num_bins)
    });

    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(fft_size);
    let window = hann_periodic(fft_size);
    let mut frame = fft.make_input_vec();
    let mut ref_spec = fft.make_output_vec();
    let mut est_spec = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();

    let (mut lsd_sum, mut lsd_hf_sum, mut frames) = (0.0f64, 0.0f64, 0usize);
    let (mut low_error, mut low_energy) = (0.0f64, 0.0f64);
    let (mut top_bias_sum, mut lsd_top_sum) = ([0.0f64; 3], 0.0f64);
    for (ref_channel, est_channel) in reference.iter().zip(estimate) {
        let mut start = 0;
        while start + fft_size <= len {
            for (spectrum, signal) in [(&mut ref_spec, ref_channel), (&mut est_spec, est_channel)] {
                for ((out, x), w) in frame.iter_mut().zip(&signal[start..]).zip(&window) {
                    *out = x * w;
                }
                // Sizes come from the plan, so the transform cannot fail.
                let _ = fft.process_with_scratch(&mut frame, spectrum, &mut scratch);
            }
            let log_diff_sq = |k: usize| {
                let norm = fft_size as f64;
                let p_ref = ref_spec[k].norm_sqr() as f64 / norm + POWER_FLOOR;
                let p_est = est_spec[k].norm_sqr() as f64 / norm + POWER_FLOOR;
                (p_ref.log10() - p_est.log10()).powi(2)
            };
            let all: f64 = (0..num_bins).map(log_diff_sq).sum();
            lsd_sum += (all / num_bins as f64).sqrt();
            if let Some(cut) = cutoff_bin.filter(|&cut| cut < num_bins) {
                let high: f64 = (cut..num_bins).map(log_diff_sq).sum();
                lsd_hf_sum += (high / (num_bins - cut) as f64).sqrt();
            }
            if let Some(edges) = top_bins {
                let norm = fft_size as f64;
                for (third, bias_sum) in top_bias_sum.iter_mut().enumerate() {
                    let (mut p_ref, mut p_est) = (0.0f64, 0.0f64);
                    for k in edges[third]..edges[third + 1] {
                        p_ref += ref_spec[k].norm_sqr() as f64 / norm + POWER_FLOOR;
                        p_est += est_spec[k].norm_sqr() as f64 / norm + POWER_FLOOR;
                    }
                    *bias_sum += 10.0 * (p_est / p_ref).log10();
                }
                let top: f64 = (edges[0]..edges[3]).map(log_diff_sq).sum();
                lsd_top_sum += (top / (edges[3] - edges[0]) as f64).sqrt();
            }
            if let Some(end) = low_band_end {
                for k in 0..end {
                    low_error += (est_spec[k] - ref_spec[k]).norm_sqr() as f64;
                    low_energy += ref_spec[k].norm_sqr() as f64;
                }
            }
            frames += 1;
            start += hop;
        }
    }
    let si_sdr_db = reference
        .iter()
        .zip(estimate)
        .map(|(r, e)| si_sdr_db(&r[..len], &e[..len]))
        .sum::<f64>()
        / reference.len() as f64;
    Ok(EvalReport {
        lsd: lsd_sum / frames as f64,
        lsd_hf: cutoff_bin
            .filter(|&cut| cut < num_bins)
            .map(|_| lsd_hf_sum / frames as f64),
        si_sdr_db,
        low_band_error_db: low_band_end.map(|_| 10.0 * (low_error / low_energy.max(1e-30)).log10()),
        top_band: top_bins.map(|edges| TopBand {
            from_hz: edges[0] as f64 * bin_hz,
            to_hz: edges[3] as f64 * bin_hz,
            bias_db: top_bias_sum.map(|sum| sum / frames as f64),
            lsd: lsd_top_sum / frames as f64,
        }),
        frames: frames / reference.len(),
    })
}

/// Scale-invariant SDR of `estimate` against `reference`, in dB.
pub fn si_sdr_db(reference: &[f32], estimate: &[f32]) -> f64 {
    let dot: f64 = reference
        .iter()
        .zip(estimate)
        .map(|(&r, &e)| r as f64 * e as f64)
        .sum();
    let ref_energy: f64 = reference.iter().map(|&r| (r as f64).powi(2)).sum();
    if ref_energy == 0.0 {
        return f64::NEG_INFINITY;
    }
    let scale = dot / ref_energy;
    let (mut target, mut noise) = (0.0f64, 0.0f64);
    for (&r, &e) in reference.iter().zip(estimate) {
        let t = scale * r as f64;
        target += t * t;
        noise += (e as f64 - t).powi(2);
    }
    10.0 * (target / noise.max(1e-30)).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1 << 24) as f32 - 0.5
            })
            .collect()
    }

    #[test]
    fn identical_signals_score_perfectly() {
        let signal = vec![noise(44_100, 1)];
        let report = evaluate(&signal, &signal, 44_100, Some(8000.0), None).unwrap();
        assert_eq!(report.lsd, 0.0);
        assert_eq!(report.lsd_hf, Some(0.0));
        assert!(report.si_sdr_db > 100.0);
        assert_eq!(report.low_band_error_db, Some(f64::NEG_INFINITY));
    }

    #[test]
    fn a_missing_high_band_shows_in_lsd_hf_only() {
        let reference = noise(44_100, 2);
        // Remove everything above ~11 kHz with a crude 4-tap moving average.
        let muffled: Vec<f32> = (0..reference.len())
            .map(|i| (0..4).map(|k| reference[i.saturating_sub(k)]).sum::<f32>() / 4.0)
            .collect();
        let report = evaluate(
            std::slice::from_ref(&reference),
            &[muffled],
            44_100,
            Some(11_000.0),
            None,
        )
        .unwrap();
        assert!(report.lsd_hf.unwrap() > report.lsd);
        assert!(report.lsd > 0.3);
    }

    #[test]
    fn bins_above_the_band_edge_are_left_out() {
        let reference = noise(44_100, 4);
        // A loud tone at 18 kHz that the reference lacks.
        let estimate: Vec<f32> = reference
            .iter()
            .enumerate()
            .map(|(i, x)| x + (i as f32 * 18_000.0 / 44_100.0 * std::f32::consts::TAU).sin())
            .collect();
        let pair = |edge| {
            evaluate(
                std::slice::from_ref(&reference),
                std::slice::from_ref(&estimate),
                44_100,
                Some(8000.0),
                edge,
            )
            .unwrap()
        };
        let all = pair(None).lsd_hf.unwrap();
        let below = pair(Some(16_000.0)).lsd_hf.unwrap();
        assert!(below < 0.1 * all, "{below} vs {all}");
    }

    #[test]
    fn the_top_of_the_band_shows_its_level_per_third_up_to_the_edge() {
        let reference = noise(44_100, 5);
        let quieter: Vec<f32> = reference.iter().map(|x| 0.5 * x).collect();
        let report = evaluate(
            std::slice::from_ref(&reference),
            std::slice::from_ref(&quieter),
            44_100,
            Some(8000.0),
            Some(17_000.0),
        )
        .unwrap();
        let top = report.top_band.expect("a top band");
        for bias in top.bias_db {
            assert!((bias + 6.0206).abs() < 1e-3, "{bias} dB");
        }
        assert!(
            (top.lsd - 0.25f64.log10().abs()).abs() < 1e-3,
            "{}",
            top.lsd
        );
        assert!((top.from_hz - 8000.0).abs() < 22.0 && (top.to_hz - 17_000.0).abs() < 22.0);
        // Without an edge of its own, the top of the band stops at 20 kHz.
        let full = evaluate(
            std::slice::from_ref(&reference),
            std::slice::from_ref(&reference),
            44_100,
            Some(12_000.0),
            None,
        )
        .unwrap()
        .top_band
        .unwrap();
        assert!((full.to_hz - 20_000.0).abs() < 22.0, "{}", full.to_hz);
        assert_eq!(full.bias_db, [0.0; 3]);
    }

    #[test]
    fn a_band_dark_at_the_top_shows_in_the_top_third() {
        // The estimate falls from 0 dB at 8 kHz to -30 dB at 20 kHz, linearly in Hz: its
        // thirds lie about 5, 15 and 25 dB down.
        let reference = noise(44_100, 6);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(reference.len());
        let inverse = RealFftPlanner::<f32>::new().plan_fft_inverse(reference.len());
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut reference.clone(), &mut spectrum).unwrap();
        let bin_hz = 44_100.0 / reference.len() as f32;
        for (k, bin) in spectrum.iter_mut().enumerate() {
            let above_hz = (k as f32 * bin_hz - 8000.0).max(0.0);
            *bin *= (-30.0 * above_hz / 12_000.0 / 20.0 * std::f32::consts::LN_10).exp()
                / reference.len() as f32;
        }
        let mut dark = inverse.make_output_vec();
        inverse.process(&mut spectrum, &mut dark).unwrap();
        let top = evaluate(
            std::slice::from_ref(&reference),
            &[dark],
            44_100,
            Some(8000.0),
            None,
        )
        .unwrap()
        .top_band
        .unwrap();
        for (bias, expected) in top.bias_db.iter().zip([-5.0, -15.0, -25.0]) {
            assert!((bias - expected).abs() < 1.5, "{:?}", top.bias_db);
        }
    }

    #[test]
    fn si_sdr_ignores_scale() {
        let reference = noise(1000, 3);
        let louder: Vec<f32> = reference.iter().map(|x| 2.0 * x).collect();
        assert!(si_sdr_db(&reference, &louder) > 100.0);
    }
}
