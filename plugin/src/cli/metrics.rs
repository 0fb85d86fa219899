//! Quality metrics of a restoration against its full-band reference, as DESIGN.md defines
//! them: LSD and LSD-HF (log10 power, STFT of `2048 · sr / 44100` points, hop `sr / 100`, mean
//! over frames of the RMS over bins), SI-SDR, and the deviation of the low band.

use realfft::RealFftPlanner;

use crate::dsp::sbr::RAMP_OCTAVES;
use crate::dsp::window::hann_periodic;

/// Added to every bin's power before the logarithm, so silent bins compare as equal.
pub const POWER_FLOOR: f64 = 1e-10;

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
    fn si_sdr_ignores_scale() {
        let reference = noise(1000, 3);
        let louder: Vec<f32> = reference.iter().map(|x| 2.0 * x).collect();
        assert!(si_sdr_db(&reference, &louder) > 100.0);
    }
}
