//! Deterministic test signals.

use std::f32::consts::PI;

/// A small xorshift generator, so signals are the same on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[-1, 1)`.
    pub fn bipolar(&mut self) -> f32 {
        2.0 * self.uniform() - 1.0
    }
}

/// Pink-ish noise (Paul Kellet's economy filter) at about -20 dBFS RMS, reaching Nyquist.
pub fn pink_noise(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let (mut b0, mut b1, mut b2) = (0.0f32, 0.0f32, 0.0f32);
    (0..len)
        .map(|_| {
            let white = rng.bipolar();
            b0 = 0.99765 * b0 + white * 0.0990460;
            b1 = 0.96300 * b1 + white * 0.2965164;
            b2 = 0.57000 * b2 + white * 1.0526913;
            0.05 * (b0 + b1 + b2 + white * 0.1848)
        })
        .collect()
}

/// A music-like full-band signal: bright harmonic notes (harmonics up to Nyquist) with
/// decaying envelopes, a bass line, hi-hat noise bursts and a pink noise bed. Peaks stay below
/// 1.0.
pub fn music_like(sample_rate_hz: u32, seconds: f32, seed: u64) -> Vec<f32> {
    let sr = sample_rate_hz as f32;
    let len = (seconds * sr) as usize;
    let mut rng = Rng::new(seed);
    let mut out = pink_noise(len, seed ^ 0x5151);
    for sample in out.iter_mut() {
        *sample *= 0.5;
    }
    // Notes: every 0.25 s a new note of random pitch, a naive sawtooth (harmonics falling as
    // 1/h all the way to Nyquist), overlapping the next one.
    let note_len = (0.25 * sr) as usize;
    let mut start = 0;
    while start < len {
        let f0 = 110.0 * (2.0f32).powf(rng.uniform() * 3.0);
        let amplitude = 0.05 + 0.05 * rng.uniform();
        let end = (start + 2 * note_len).min(len);
        let mut phase = rng.uniform();
        for (i, sample) in out[start..end].iter_mut().enumerate() {
            let t = i as f32 / sr;
            let envelope = amplitude * (-6.0 * t).exp() * (1.0 - (-400.0 * t).exp());
            *sample += envelope * (2.0 * phase - 1.0);
            phase = (phase + f0 / sr).fract();
        }
        start += note_len;
    }
    // Bass: a sine an octave or two down, following the notes.
    let mut phase = 0.0f32;
    for (i, sample) in out.iter_mut().enumerate() {
        let bar = i / (4 * note_len);
        let f = [55.0, 65.4, 73.4, 49.0][bar % 4];
        phase += 2.0 * PI * f / sr;
        *sample += 0.2 * phase.sin();
    }
    // Hi-hats: differentiated noise bursts every eighth of a second.
    let hat_every = (0.125 * sr) as usize;
    let hat_len = (0.06 * sr) as usize;
    let mut hat = 0;
    while hat < len {
        let mut previous = 0.0;
        for i in 0..hat_len.min(len - hat) {
            let white = rng.bipolar();
            let t = i as f32 / sr;
            out[hat + i] += 0.15 * (white - previous) * (-60.0 * t).exp();
            previous = white;
        }
        hat += hat_every;
    }
    out
}

/// A stereo pair of music-like signals (different seeds per channel, partly shared).
pub fn music_like_stereo(sample_rate_hz: u32, seconds: f32, seed: u64) -> Vec<Vec<f32>> {
    let shared = music_like(sample_rate_hz, seconds, seed);
    let side = music_like(sample_rate_hz, seconds, seed + 1000);
    vec![
        shared
            .iter()
            .zip(&side)
            .map(|(m, s)| 0.8 * m + 0.2 * s)
            .collect(),
        shared
            .iter()
            .zip(&side)
            .map(|(m, s)| 0.8 * m - 0.2 * s)
            .collect(),
    ]
}
