//! The band limits the detector must recognise (brick-wall, Butterworth, Chebyshev I, elliptic
//! and MP3 through lame), an old disc's worn transfer (for Denoise and the worn-transfer
//! judge), and the band-energy measurement the tests judge outputs by.

use std::path::Path;
use std::process::Command;

use realfft::RealFftPlanner;

use crate::signals::pink_noise;

/// Scales every frequency of `signal` by `gain(hz)`, with one FFT over the whole signal: an
/// ideal zero-phase filter.
pub fn filter_whole_signal(
    signal: &[f32],
    sample_rate_hz: u32,
    gain: impl Fn(f32) -> f32,
) -> Vec<f32> {
    let len = signal.len();
    let mut planner = RealFftPlanner::<f32>::new();
    let forward = planner.plan_fft_forward(len);
    let inverse = planner.plan_fft_inverse(len);
    let mut input = signal.to_vec();
    let mut spectrum = forward.make_output_vec();
    forward.process(&mut input, &mut spectrum).unwrap();
    let bin_hz = sample_rate_hz as f32 / len as f32;
    for (k, bin) in spectrum.iter_mut().enumerate() {
        *bin *= gain(k as f32 * bin_hz);
    }
    let mut output = inverse.make_output_vec();
    inverse.process(&mut spectrum, &mut output).unwrap();
    output.iter().map(|x| x / len as f32).collect()
}

/// Removes everything above `cutoff_hz` with one FFT over the whole signal: an ideal
/// brick-wall low-pass.
pub fn brick_wall(signal: &[f32], sample_rate_hz: u32, cutoff_hz: f32) -> Vec<f32> {
    filter_whole_signal(signal, sample_rate_hz, |hz| {
        if hz > cutoff_hz {
            0.0
        } else {
            1.0
        }
    })
}

/// A Butterworth low-pass of `order` (1 or more) at `cutoff_hz` (-3 dB), by the bilinear
/// transform with pre-warping, as a cascade of second-order sections (plus one first-order
/// section for odd orders), computed in f64.
pub fn butterworth(signal: &[f32], sample_rate_hz: u32, cutoff_hz: f32, order: usize) -> Vec<f32> {
    let fs = sample_rate_hz as f64;
    let w0 = 2.0 * std::f64::consts::PI * cutoff_hz as f64 / fs;
    let mut out: Vec<f64> = signal.iter().map(|&x| x as f64).collect();
    for k in 0..order / 2 {
        let theta = std::f64::consts::PI * (2 * k + 1) as f64 / (2 * order) as f64;
        let q = 1.0 / (2.0 * theta.cos());
        let alpha = w0.sin() / (2.0 * q);
        let cos = w0.cos();
        let a0 = 1.0 + alpha;
        let b = [
            (1.0 - cos) / 2.0 / a0,
            (1.0 - cos) / a0,
            (1.0 - cos) / 2.0 / a0,
        ];
        let a = [-2.0 * cos / a0, (1.0 - alpha) / a0];
        biquad(&mut out, b, a);
    }
    if order % 2 == 1 {
        let k = (w0 / 2.0).tan();
        let b0 = k / (1.0 + k);
        let a1 = (k - 1.0) / (k + 1.0);
        let (mut x1, mut y1) = (0.0, 0.0);
        for sample in out.iter_mut() {
            let x = *sample;
            let y = b0 * x + b0 * x1 - a1 * y1;
            x1 = x;
            y1 = y;
            *sample = y;
        }
    }
    out.into_iter().map(|x| x as f32).collect()
}

/// A Chebyshev type I low-pass of even `order` with `ripple_db` of pass-band ripple, whose
/// pass band ends at `edge_hz`, by the bilinear transform with pre-warping, as a cascade of
/// second-order sections computed in f64.
pub fn chebyshev1(
    signal: &[f32],
    sample_rate_hz: u32,
    edge_hz: f32,
    order: usize,
    ripple_db: f64,
) -> Vec<f32> {
    assert!(order.is_multiple_of(2) && order > 0, "an even order");
    let fs = sample_rate_hz as f64;
    let k = 2.0 * fs;
    let warped = k * (std::f64::consts::PI * edge_hz as f64 / fs).tan();
    let epsilon = (10f64.powf(ripple_db / 10.0) - 1.0).sqrt();
    let v = (1.0 / epsilon).asinh() / order as f64;
    let mut out: Vec<f64> = signal.iter().map(|&x| x as f64).collect();
    for pair in 0..order / 2 {
        let theta = std::f64::consts::PI * (2 * pair + 1) as f64 / (2 * order) as f64;
        let (re, im) = (
            -v.sinh() * theta.sin() * warped,
            v.cosh() * theta.cos() * warped,
        );
        // The analog section |p|² / (s² - 2 Re(p) s + |p|²), through s = k (1 - z⁻¹) / (1 + z⁻¹).
        let (a1s, a0s) = (-2.0 * re, re * re + im * im);
        let a0 = k * k + a1s * k + a0s;
        let b = [a0s / a0, 2.0 * a0s / a0, a0s / a0];
        let a = [2.0 * (a0s - k * k) / a0, (k * k - a1s * k + a0s) / a0];
        biquad(&mut out, b, a);
    }
    out.into_iter().map(|x| x as f32).collect()
}

/// The elliptic low-pass of `tests/filters/elliptic.json` (order 6, 0.5 dB of pass-band ripple,
/// a 60 dB stopband, designed by SciPy: `tests/filters/elliptic.py` writes it) whose pass band
/// ends at `edge_hz`, as a cascade of second-order sections computed in f64. Panics when the
/// file holds no filter for this rate and edge.
pub fn elliptic(signal: &[f32], sample_rate_hz: u32, edge_hz: f32) -> Vec<f32> {
    let path = crate::workspace_root().join("tests/filters/elliptic.json");
    let text = std::fs::read_to_string(&path).expect("tests/filters/elliptic.json");
    let designs: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let design = designs["filters"]
        .as_array()
        .expect("filters")
        .iter()
        .find(|f| {
            f["sample_rate_hz"].as_u64() == Some(sample_rate_hz as u64)
                && f["edge_hz"].as_f64() == Some(edge_hz as f64)
        })
        .unwrap_or_else(|| {
            panic!("no elliptic filter at {sample_rate_hz} Hz for {edge_hz} Hz: run elliptic.py")
        });
    let mut out: Vec<f64> = signal.iter().map(|&x| x as f64).collect();
    for section in design["sections"].as_array().expect("sections") {
        let c: Vec<f64> = section
            .as_array()
            .expect("a section")
            .iter()
            .map(|v| v.as_f64().expect("a coefficient"))
            .collect();
        assert!(c.len() == 6 && c[3] == 1.0, "b0 b1 b2 1 a1 a2");
        biquad(&mut out, [c[0], c[1], c[2]], [c[4], c[5]]);
    }
    out.into_iter().map(|x| x as f32).collect()
}

/// Runs one second-order section `b / (1 + a[0] z⁻¹ + a[1] z⁻²)` over `samples` in place.
fn biquad(samples: &mut [f64], b: [f64; 3], a: [f64; 2]) {
    let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
    for sample in samples.iter_mut() {
        let x = *sample;
        let y = b[0] * x + b[1] * x1 + b[2] * x2 - a[0] * y1 - a[1] * y2;
        x2 = x1;
        x1 = x;
        y2 = y1;
        y1 = y;
        *sample = y;
    }
}

/// A signal after an MP3 round trip through Debian's `lame`, and the low-pass band lame
/// reported for it.
pub struct Mp3RoundTrip {
    /// The decoded channels, aligned with the input and of the same length.
    pub decoded: Vec<Vec<f32>>,
    /// lame's low-pass transition band `(start, end)` in Hz.
    pub transition_hz: (f32, f32),
}

/// Encodes `channels` (mono or stereo) with lame at `kbps` (CBR, keeping the sample rate) and
/// decodes them. Stereo matters: lame gives mono far more bandwidth at the same bit rate.
/// Panics with a clear message when lame is not installed: CI installs it.
pub fn mp3_round_trip(
    channels: &[Vec<f32>],
    sample_rate_hz: u32,
    kbps: u32,
    work_dir: &Path,
) -> Mp3RoundTrip {
    std::fs::create_dir_all(work_dir).unwrap();
    let wav = work_dir.join(format!("in_{kbps}_{sample_rate_hz}.wav"));
    let mp3 = work_dir.join(format!("enc_{kbps}_{sample_rate_hz}.mp3"));
    let decoded_wav = work_dir.join(format!("dec_{kbps}_{sample_rate_hz}.wav"));
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: sample_rate_hz,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&wav, spec).unwrap();
    let len = channels[0].len();
    for i in 0..len {
        for channel in channels {
            let x = channel[i].clamp(-1.0, 1.0);
            writer.write_sample((x * 32767.0).round() as i16).unwrap();
        }
    }
    writer.finalize().unwrap();
    let resample = format!("{}", sample_rate_hz as f32 / 1000.0);
    let encode = Command::new("lame")
        .args(["-b", &kbps.to_string(), "--cbr", "--resample", &resample])
        .arg(&wav)
        .arg(&mp3)
        .output()
        .expect("`lame` must be installed (apt-get install lame); .ci/run installs it");
    assert!(
        encode.status.success(),
        "lame failed: {}",
        String::from_utf8_lossy(&encode.stderr)
    );
    let log = String::from_utf8_lossy(&encode.stderr);
    let transition_hz = parse_transition_band(&log)
        .unwrap_or_else(|| panic!("lame did not report its low-pass:\n{log}"));
    let decode = Command::new("lame")
        .args(["--quiet", "--decode"])
        .arg(&mp3)
        .arg(&decoded_wav)
        .output()
        .expect("lame --decode");
    assert!(decode.status.success());
    let mut reader = hound::WavReader::open(&decoded_wav).unwrap();
    let interleaved: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    let decoded = (0..channels.len())
        .map(|c| {
            let mut channel: Vec<f32> = interleaved
                .iter()
                .skip(c)
                .step_by(channels.len())
                .copied()
                .collect();
            channel.resize(len, 0.0);
            channel
        })
        .collect();
    Mp3RoundTrip {
        decoded,
        transition_hz,
    }
}

/// Parses "transition band: 10847 Hz - 11381 Hz" from lame's log.
fn parse_transition_band(log: &str) -> Option<(f32, f32)> {
    let rest = &log[log.find("transition band:")? + "transition band:".len()..];
    let mut numbers = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<f32>().ok());
    Some((numbers.next()??, numbers.next()??))
}

/// Energy of `signal`'s bins from `from_hz` up to (not including) `to_hz`, Hann-windowed over
/// its whole length so that its ends do not leak.
pub fn band_energy(signal: &[f32], sample_rate_hz: u32, from_hz: f32, to_hz: f32) -> f64 {
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(signal.len());
    let window = airlift::dsp::window::hann_periodic(signal.len());
    let mut input: Vec<f32> = signal.iter().zip(&window).map(|(x, w)| x * w).collect();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).unwrap();
    let bin_hz = sample_rate_hz as f32 / signal.len() as f32;
    spectrum
        .iter()
        .enumerate()
        .filter(|(k, _)| (from_hz..to_hz).contains(&(*k as f32 * bin_hz)))
        .map(|(_, c)| c.norm_sqr() as f64)
        .sum()
}

/// The root mean square of `signal`, accumulated in `f64`.
pub fn rms(signal: &[f32]) -> f32 {
    (signal.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / signal.len() as f64).sqrt() as f32
}

/// `clean` made into a worn transfer's sound: each channel through a Butterworth of order 4 at
/// `corner_hz`, under pink hiss 24 dB below the filtered music, band-limited at 9 kHz by the
/// playback chain (a Butterworth of order 2), whose level drifts by a quarter
/// (a disc's surface, twice a second), with crackle (a two-sample impulse of three times the
/// hiss's RMS every 25 ms) and clicks (eight samples at ten times it, 15 a second). The drift
/// and the crackle make the noise move like music, as on a real disc, so the detector does not
/// find the band above the corner missing.
pub fn worn_transfer(clean: &[Vec<f32>], rate: u32, corner_hz: f32) -> Vec<Vec<f32>> {
    clean
        .iter()
        .enumerate()
        .map(|(c, channel)| {
            let filtered = butterworth(channel, rate, corner_hz, 4);
            let hiss = butterworth(&pink_noise(filtered.len(), 26 + c as u64), rate, 9_000.0, 2);
            let hiss_rms = rms(&hiss);
            let scale = rms(&filtered) / hiss_rms * 10f32.powf(-24.0 / 20.0);
            let (crackle_every, click_every) = (rate as usize / 40, rate as usize / 15);
            filtered
                .iter()
                .zip(&hiss)
                .enumerate()
                .map(|(i, (music, hiss))| {
                    let t = i as f32 / rate as f32;
                    let drift = 1.0 + 0.25 * (std::f32::consts::TAU * 0.5 * t).sin();
                    let crackle = match (i % crackle_every, i % click_every) {
                        (_, k @ 0..8) => {
                            10.0 * (1.0 - k as f32 / 8.0) * if k % 2 == 0 { 1.0 } else { -1.0 }
                        }
                        (0, _) => 3.0,
                        (1, _) => -3.0,
                        _ => 0.0,
                    };
                    music + scale * (drift * hiss + crackle * hiss_rms)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::excerpts::FILTER_CUTOFFS_HZ;

    /// The gain in dB of `filter` on a sine at `hz`, after its start-up transient.
    fn sine_gain_db(sample_rate_hz: u32, hz: f32, filter: impl Fn(&[f32]) -> Vec<f32>) -> f64 {
        let len = sample_rate_hz as usize / 2;
        let step = std::f64::consts::TAU * hz as f64 / sample_rate_hz as f64;
        let sine: Vec<f32> = (0..len).map(|i| (step * i as f64).sin() as f32).collect();
        let out = filter(&sine);
        let power = |x: &[f32]| {
            x[len / 2..]
                .iter()
                .map(|&v| (v as f64).powi(2))
                .sum::<f64>()
        };
        10.0 * (power(&out) / power(&sine)).log10()
    }

    #[test]
    fn the_elliptic_low_passes_keep_their_pass_band_and_hold_their_stopband_down() {
        for rate in [44_100, 48_000] {
            for edge_hz in FILTER_CUTOFFS_HZ {
                let filter = |x: &[f32]| elliptic(x, rate, edge_hz);
                for fraction in [0.5, 0.9, 0.99] {
                    let gain = sine_gain_db(rate, edge_hz * fraction, filter);
                    assert!(
                        (-0.55..=0.05).contains(&gain),
                        "{rate} Hz, edge {edge_hz} Hz: {gain:.2} dB at {fraction} of the edge"
                    );
                }
                // A 6th-order design with 0.5 dB of ripple reaches its 60 dB stopband within
                // half an octave of the edge (less near Nyquist, where the bilinear transform
                // narrows the transition).
                let stop_hz = (edge_hz * 1.45).min(0.95 * rate as f32 / 2.0);
                let gain = sine_gain_db(rate, stop_hz, filter);
                assert!(
                    gain <= -59.0,
                    "{rate} Hz, edge {edge_hz} Hz: {gain:.1} dB at {stop_hz:.0} Hz"
                );
            }
        }
    }
}
