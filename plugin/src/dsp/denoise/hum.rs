//! Mains hum: a steady sinusoid at 50 or 60 Hz and its harmonics, found and subtracted only
//! where it is there.
//!
//! Hum is the one noise of an old transfer that is exactly periodic: its harmonics hold their
//! frequency, amplitude and phase for as long as the recording lasts, while music's partials
//! come and go and drift. So each harmonic is tracked by a lock-in: the samples times a
//! reference oscillator at the harmonic, averaged over [`LOCK_IN_SECONDS`] ([`HumCanceller`]).
//! The average is the harmonic's complex amplitude, and a slower average of it over
//! [`STEADY_SECONDS`] is the sinusoid subtracted, with no delay: it follows the hum's own
//! amplitude and phase (and the mains frequency's drift), as a notch a fraction of a hertz wide.
//!
//! **Only where it is found.** A harmonic counts as hum when its amplitude
//! - stands [`CONTRAST_DB`] over what the same lock-in finds [`NEIGHBOUR_HZ`] either side of it
//!   (music's and noise's level in that neighbourhood), and
//! - holds its phase: a slower average of its complex amplitude over [`STEADY_SECONDS`] keeps
//!   at least [`STEADINESS`] of the same average of its magnitude (a note a hertz away from
//!   the harmonic turns its phase a full circle a second, and averages out), and
//! - holds its level: within [`LEVEL_HOLD`] of that slower average of its magnitude (a
//!   partial of the music swells and decays with its note).
//!
//! Once hum is found, its harmonics that counted go on being subtracted under music that would
//! hide them from these tests, until the material changes (a reset): hum found where it lies
//! bare (a lead-in groove, a pause) goes on under the music, where the music's own partials
//! near a harmonic leak into its estimate (a lead-in and then an excerpt: 21 dB of the hum
//! removed in the lead-in, 11 dB under the music). Harmonics that start to count later join
//! them.
//!
//! Nothing is judged before [`STEADY_SECONDS`] have been heard. Hum is found when at least
//! [`MIN_HARMONICS`] harmonics of one mains frequency count; then those harmonics are
//! subtracted, scaled by the Denoise amount, and nothing else. Music without hum has no such
//! harmonics and is left as it is. Bounded work per sample (three lock-ins for each of
//! [`HARMONICS`] harmonics of two mains frequencies), no allocation.

/// The mains frequencies, in Hz.
pub const MAINS_HZ: [f64; 2] = [50.0, 60.0];

/// Harmonics tracked per mains frequency (the fundamental is the first).
pub const HARMONICS: usize = 8;

/// The lock-in's averaging time, in seconds: the notch is about its inverse wide.
pub const LOCK_IN_SECONDS: f64 = 1.0;

/// The slower average that tells a steady phase from a turning one, in seconds.
pub const STEADY_SECONDS: f64 = 2.0;

/// The share of the slower average of the magnitude that the slower average of the complex
/// amplitude keeps for a steady harmonic.
pub const STEADINESS: f64 = 0.7;

/// A harmonic's amplitude stays within this factor of its slower average: hum holds its level,
/// while a partial of the music swells and decays with its note.
pub const LEVEL_HOLD: f64 = 1.25;

/// Where the neighbourhood's level is read, either side of a harmonic, in Hz.
pub const NEIGHBOUR_HZ: f64 = 4.0;

/// How far a harmonic stands over its neighbourhood to count, in dB.
pub const CONTRAST_DB: f64 = 20.0;

/// Harmonics of one mains frequency that must count before hum is found.
pub const MIN_HARMONICS: usize = 3;

/// Samples between checks of which harmonics count (and renormalizations of the oscillators).
const CHECK_EVERY_SAMPLES: usize = 256;

/// A lock-in: a reference oscillator and the average of the signal times its conjugate.
#[derive(Clone, Copy, Debug, Default)]
struct LockIn {
    /// The oscillator, `(cos, sin)` of its phase.
    phasor: (f64, f64),
    /// Its rotation per sample.
    step: (f64, f64),
    /// The average of the samples times the conjugate oscillator (half the amplitude).
    average: (f64, f64),
}

impl LockIn {
    /// A lock-in at `hz` for `sample_rate_hz`.
    fn new(hz: f64, sample_rate_hz: f64) -> Self {
        let omega = std::f64::consts::TAU * hz / sample_rate_hz;
        Self {
            phasor: (1.0, 0.0),
            step: (omega.cos(), omega.sin()),
            average: (0.0, 0.0),
        }
    }

    /// Hears `sample` with averaging weight `weight`, and steps the oscillator.
    fn hear(&mut self, sample: f64, weight: f64) {
        let (c, s) = self.phasor;
        self.average.0 += weight * (sample * c - self.average.0);
        self.average.1 += weight * (-sample * s - self.average.1);
        self.phasor = (
            c * self.step.0 - s * self.step.1,
            c * self.step.1 + s * self.step.0,
        );
    }

    /// The sinusoid of complex amplitude `amplitude` (half the amplitude, against this
    /// oscillator), at the oscillator's present phase.
    fn sinusoid(&self, amplitude: (f64, f64)) -> f64 {
        let (c, s) = self.phasor;
        2.0 * (amplitude.0 * c - amplitude.1 * s)
    }

    /// The power of the average (a quarter of the amplitude squared).
    fn power(&self) -> f64 {
        self.average.0 * self.average.0 + self.average.1 * self.average.1
    }

    /// Brings the oscillator back to unit magnitude (rounding drifts it).
    fn renormalize(&mut self) {
        let norm = self.phasor.0.hypot(self.phasor.1);
        if norm > 0.0 {
            self.phasor = (self.phasor.0 / norm, self.phasor.1 / norm);
        }
    }
}

/// One harmonic: its lock-in, the lock-ins either side, and the slower average of its amplitude.
#[derive(Clone, Copy, Debug, Default)]
struct Harmonic {
    /// At the harmonic.
    centre: LockIn,
    /// [`NEIGHBOUR_HZ`] below and above.
    below: LockIn,
    above: LockIn,
    /// The slower average of `centre`'s complex amplitude: a steady harmonic's holds still, an
    /// off-frequency tone's turns and averages out.
    steady: (f64, f64),
    /// The same average of its magnitude.
    steady_magnitude: f64,
    /// Whether the harmonic counted at the last check.
    counts: bool,
    /// The slower average as it stood the last time the harmonic lay bare enough to pass the
    /// tests: where a second pass over the material starts from ([`HumCanceller::rewind`]).
    bare: (f64, f64),
    /// The complex amplitude subtracted: the slower average, divided by the weight it has had.
    subtracted: (f64, f64),
}

impl Harmonic {
    /// Its three lock-ins.
    fn lock_ins(&mut self) -> [&mut LockIn; 3] {
        [&mut self.centre, &mut self.below, &mut self.above]
    }
}

/// The hum canceller of one channel.
pub struct HumCanceller {
    /// Per mains frequency, its harmonics (empty above a fifth of the sample rate).
    families: [Vec<Harmonic>; 2],
    /// The family whose hum is found, if any.
    found: Option<usize>,
    /// The lock-in's averaging weight per sample.
    weight: f64,
    /// The slower average's weight per check.
    steady_weight: f64,
    /// Samples heard since the last check.
    since_check: usize,
    /// Checks left before the averages have heard enough to judge ([`STEADY_SECONDS`]).
    warm_up_checks: usize,
    /// Checks in [`STEADY_SECONDS`].
    steady_checks: usize,
    /// What the lock-ins' averages still lack of their weight, having started from zero:
    /// `(1 - weight)^samples`; they are divided by one less this.
    lock_in_unheard: f64,
    /// The same for the slower averages, per check.
    steady_unheard: f64,
}

impl HumCanceller {
    /// A canceller at `sample_rate_hz`. Allocates.
    pub fn new(sample_rate_hz: f32) -> Self {
        let rate = f64::from(sample_rate_hz);
        let family = |mains_hz: f64| -> Vec<Harmonic> {
            (1..=HARMONICS)
                .map(|k| k as f64 * mains_hz)
                .filter(|hz| hz + NEIGHBOUR_HZ < rate / 5.0)
                .map(|hz| Harmonic {
                    centre: LockIn::new(hz, rate),
                    below: LockIn::new(hz - NEIGHBOUR_HZ, rate),
                    above: LockIn::new(hz + NEIGHBOUR_HZ, rate),
                    ..Harmonic::default()
                })
                .collect()
        };
        let steady_checks = (STEADY_SECONDS * rate / CHECK_EVERY_SAMPLES as f64).ceil() as usize;
        Self {
            families: [family(MAINS_HZ[0]), family(MAINS_HZ[1])],
            found: None,
            weight: 1.0 / (LOCK_IN_SECONDS * rate),
            steady_weight: CHECK_EVERY_SAMPLES as f64 / (STEADY_SECONDS * rate),
            since_check: 0,
            warm_up_checks: steady_checks,
            steady_checks,
            lock_in_unheard: 1.0,
            steady_unheard: 1.0,
        }
    }

    /// Forgets everything heard.
    pub fn reset(&mut self) {
        self.rewind();
        for harmonic in self.families.iter_mut().flatten() {
            for lock_in in harmonic.lock_ins() {
                lock_in.average = (0.0, 0.0);
            }
            harmonic.steady = (0.0, 0.0);
            harmonic.steady_magnitude = 0.0;
            harmonic.counts = false;
            harmonic.bare = (0.0, 0.0);
            harmonic.subtracted = (0.0, 0.0);
        }
        self.found = None;
        self.since_check = 0;
        self.warm_up_checks = self.steady_checks;
        self.lock_in_unheard = 1.0;
        self.steady_unheard = 1.0;
    }

    /// Goes back to the start of the material while keeping what was heard over it (the CLI's
    /// look-ahead): the oscillators restart at the phase they had at the first sample, so that
    /// the hum found over the whole material is subtracted from its first sample on.
    pub fn rewind(&mut self) {
        for harmonic in self.families.iter_mut().flatten() {
            for lock_in in harmonic.lock_ins() {
                lock_in.phasor = (1.0, 0.0);
            }
            // Start from the hum as it was measured bare, not as the music at the end left it.
            harmonic.centre.average = harmonic.bare;
            harmonic.steady = harmonic.bare;
            harmonic.steady_magnitude = harmonic.bare.0.hypot(harmonic.bare.1);
            harmonic.subtracted = harmonic.bare;
        }
        self.lock_in_unheard = 0.0;
        self.steady_unheard = 0.0;
        self.since_check = 0;
    }

    /// The mains frequency of the hum found, in Hz, if any.
    pub fn found_hz(&self) -> Option<f64> {
        self.found.map(|family| MAINS_HZ[family])
    }

    /// At `amount` above 0, hears the `count` samples of `ring` ending at `newest_end` (a ring
    /// buffer) and subtracts `amount` times the hum found from them; at 0 it does nothing (and
    /// costs nothing), so hum is looked for from when Denoise is turned on. Returns whether any
    /// sample changed. Bounded work, no allocation.
    pub fn cancel(
        &mut self,
        amount: f32,
        ring: &mut [f32],
        newest_end: usize,
        count: usize,
    ) -> bool {
        if amount <= 0.0 {
            return false;
        }
        let ring_len = ring.len();
        let start = (newest_end + ring_len - count) % ring_len;
        let amount = f64::from(amount.clamp(0.0, 1.0));
        let mut changed = false;
        for i in 0..count {
            let index = (start + i) % ring_len;
            let sample = f64::from(ring[index]);
            if let Some(found) = self.found {
                // The hum as heard up to the sample before: no delay, no look at this one.
                let hum: f64 = self.families[found]
                    .iter()
                    .filter(|harmonic| harmonic.counts)
                    .map(|harmonic| harmonic.centre.sinusoid(harmonic.subtracted))
                    .sum();
                ring[index] = (sample - amount * hum) as f32;
                changed = true;
            }
            self.lock_in_unheard *= 1.0 - self.weight;
            let weight = self.weight;
            for harmonic in self.families.iter_mut().flatten() {
                for lock_in in harmonic.lock_ins() {
                    lock_in.hear(sample, weight);
                }
            }
            self.since_check += 1;
            if self.since_check == CHECK_EVERY_SAMPLES {
                self.since_check = 0;
                self.check();
            }
        }
        changed
    }

    /// Updates which harmonics count and which family's hum is found.
    fn check(&mut self) {
        let contrast = 10f64.powf(CONTRAST_DB / 10.0);
        self.warm_up_checks = self.warm_up_checks.saturating_sub(1);
        let judging = self.warm_up_checks == 0;
        self.steady_unheard *= 1.0 - self.steady_weight;
        // Averages that started from zero, divided by the weight they have had.
        let lock_in_gain = 1.0 / (1.0 - self.lock_in_unheard).max(f64::MIN_POSITIVE);
        let steady_gain = 1.0 / (1.0 - self.steady_unheard);
        let mut best: Option<(usize, f64)> = None;
        for (index, family) in self.families.iter_mut().enumerate() {
            let mut counting = 0;
            let mut power = 0.0;
            for harmonic in family.iter_mut() {
                for lock_in in harmonic.lock_ins() {
                    lock_in.renormalize();
                }
                let (ar, ai) = harmonic.centre.average;
                let (ar, ai) = (lock_in_gain * ar, lock_in_gain * ai);
                let magnitude = ar.hypot(ai);
                harmonic.steady.0 += self.steady_weight * (ar - harmonic.steady.0);
                harmonic.steady.1 += self.steady_weight * (ai - harmonic.steady.1);
                harmonic.steady_magnitude +=
                    self.steady_weight * (magnitude - harmonic.steady_magnitude);
                let centre = magnitude * magnitude;
                let neighbours = lock_in_gain
                    * lock_in_gain
                    * 0.5
                    * (harmonic.below.power() + harmonic.above.power());
                let steady = harmonic.steady.0.hypot(harmonic.steady.1);
                let level_ratio =
                    magnitude / (steady_gain * harmonic.steady_magnitude).max(f64::MIN_POSITIVE);
                let found = centre > contrast * neighbours
                    && steady >= STEADINESS * harmonic.steady_magnitude
                    && (1.0 / LEVEL_HOLD..=LEVEL_HOLD).contains(&level_ratio)
                    && centre > 0.0;
                // Hum found where it lay bare (a lead-in groove, a pause) goes on under the
                // music, which then leaks into its lock-in and hides it from these tests: a
                // harmonic of the hum found is held until the material changes (a reset).
                let held = harmonic.counts && self.found == Some(index);
                harmonic.counts = judging && (found || held);
                harmonic.subtracted = (
                    steady_gain * harmonic.steady.0,
                    steady_gain * harmonic.steady.1,
                );
                if judging && found {
                    harmonic.bare = harmonic.subtracted;
                }
                if harmonic.counts {
                    counting += 1;
                    power += centre;
                }
            }
            let holding = self.found == Some(index) && counting > 0;
            if (counting >= MIN_HARMONICS || holding) && best.is_none_or(|(_, p)| power > p) {
                best = Some((index, power));
            }
        }
        self.found = best.map(|(index, _)| index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Noise (a linear congruential generator, uniform) at `level`.
    fn noise(len: usize, level: f32, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * level
            })
            .collect()
    }

    /// 50 Hz hum with harmonics 2, 3 and 5 over noise: found, and from the third second on the
    /// hum's power falls by more than 20 dB.
    #[test]
    fn hum_over_noise_is_found_and_subtracted() {
        let rate = 48_000.0f32;
        let len = 8 * rate as usize;
        let hum: Vec<f32> = (0..len)
            .map(|n| {
                let t = n as f32 / rate;
                [1.0f32, 2.0, 3.0, 5.0]
                    .iter()
                    .map(|k| 0.02 / k * (std::f32::consts::TAU * 50.0 * k * t + k).sin())
                    .sum()
            })
            .collect();
        let background = noise(len, 0.05, 7);
        let mut ring: Vec<f32> = hum.iter().zip(&background).map(|(h, b)| h + b).collect();
        let mut canceller = HumCanceller::new(rate);
        for end in (512..=len).step_by(512) {
            canceller.cancel(1.0, &mut ring, end, 512);
        }
        assert_eq!(canceller.found_hz(), Some(50.0));
        let tail = 4 * rate as usize..len;
        let left: f64 = tail
            .clone()
            .map(|n| f64::from(ring[n] - background[n]).powi(2))
            .sum();
        let before: f64 = tail.map(|n| f64::from(hum[n]).powi(2)).sum();
        let reduction_db = 10.0 * (before / left).log10();
        assert!(reduction_db > 20.0, "the hum fell by {reduction_db:.1} dB");
    }

    /// A bass line around 50 and 60 Hz (G1, A1, F1, G#1, B1, a second each, with their second
    /// and third harmonics) over noise: no hum is found and nothing changes.
    #[test]
    fn music_without_hum_is_left_alone() {
        let rate = 48_000.0f32;
        let len = 8 * rate as usize;
        let notes_hz = [49.0f32, 55.0, 43.65, 51.91, 61.74];
        let mut phase = 0.0f32;
        let original: Vec<f32> = noise(len, 0.05, 3)
            .iter()
            .enumerate()
            .map(|(n, b)| {
                let hz = notes_hz[(n / rate as usize) % notes_hz.len()];
                phase += std::f32::consts::TAU * hz / rate;
                b + 0.1 * phase.sin() + 0.05 * (2.0 * phase).sin() + 0.03 * (3.0 * phase).sin()
            })
            .collect();
        let mut ring = original.clone();
        let mut canceller = HumCanceller::new(rate);
        for end in (512..=len).step_by(512) {
            assert!(!canceller.cancel(1.0, &mut ring, end, 512));
        }
        assert_eq!(canceller.found_hz(), None);
        assert_eq!(ring, original);
    }
}
