//! Clicks and crackle: impulsive outliers found against an autoregressive model of the music,
//! and the samples under them interpolated from the model (Vaseghi and Rayner; Godsill and
//! Rayner's book is the reference).
//!
//! Every hop, on the newest frame of one channel ([`ClickRepair::repair`]; the engine calls it
//! between frames, a quarter of a hop after a frame for a first channel and three quarters for
//! a second, so that its work and the frame's do not land in one block):
//! - **The model.** An all-pole predictor of order [`AR_ORDER`] is fitted to the frame
//!   (autocorrelation of the Hann-windowed frame, Levinson–Durbin). Music is predictable from
//!   its last milliseconds; a click is not.
//! - **Detection.** The prediction error is compared with its robust scale (the median of its
//!   magnitude over the frame, over 0.6745). A run of errors over [`THRESHOLD_AT_FULL`] scales
//!   at Denoise 100 % ([`THRESHOLD_AT_LEAST`] just above 0 %), each within [`AR_ORDER`] samples
//!   of the last, is one click. A run longer than [`MAX_CLICK_SECONDS`] is a transient of the
//!   music (a drum's attack), not a click, and is left alone; so is a run whose
//!   [`ISOLATION_SECONDS`] before or after hold a prediction error of more than
//!   [`ISOLATION_SCALES`] scales on average: a click is an isolated impulse, while a note's
//!   onset goes on being unpredictable. Measured on the first ten committed excerpts (as they
//!   are, and worn as in `models/airlift_train/corpus/wear.py`): at 8 scales without the
//!   isolation test, 18.3 false clicks a second on clean music and 51.2 found on worn; at 12
//!   scales with it, 1.6 and 33.2.
//! - **Interpolation.** The samples under the click are replaced by those that make the
//!   prediction error smallest over the click and the [`AR_ORDER`] samples either side: the
//!   normal equations are a banded Toeplitz system, solved by Cholesky.
//!
//! The scan trails the newest sample by [`ClickRepair::reserve_samples`], so that every click it
//! finds has its context after it. At most [`MAX_CLICKS_PER_HOP`] clicks are repaired per hop:
//! the work is bounded. Every buffer is sized at construction.

/// Order of the all-pole model.
pub const AR_ORDER: usize = 24;

/// The longest click repaired, in seconds; a longer outlier is the music's own transient.
pub const MAX_CLICK_SECONDS: f32 = 0.001;

/// The stretch either side of a click whose prediction error must stay low, in seconds.
pub const ISOLATION_SECONDS: f32 = 0.003;

/// The most samples of that stretch at any rate.
pub const MAX_ISOLATION_SAMPLES: usize = 256;

/// The mean prediction error either side of a click must stay under this many robust scales.
pub const ISOLATION_SCALES: f32 = 1.5;

/// The longest click repaired at any rate, in samples (bounds the work at high rates).
pub const MAX_CLICK_SAMPLES: usize = 160;

/// Clicks repaired at most per hop and channel.
pub const MAX_CLICKS_PER_HOP: usize = 6;

/// Detection threshold, in robust scales of the prediction error, at Denoise 100 %.
pub const THRESHOLD_AT_FULL: f32 = 12.0;

/// Detection threshold just above Denoise 0 %: only the loudest clicks.
pub const THRESHOLD_AT_LEAST: f32 = 20.0;

/// Samples repaired either side of a detected run (a click's edges lie under the threshold).
const EDGE_SAMPLES: usize = 2;

/// The click repair of one channel.
pub struct ClickRepair {
    /// The frame being scanned, oldest first (a copy of the channel's newest samples).
    frame: Vec<f32>,
    /// The prediction error of `frame`, per sample (zero for the first [`AR_ORDER`]).
    error: Vec<f32>,
    /// Magnitudes of the error, for the median.
    magnitudes: Vec<f32>,
    /// The prediction-error filter, `a[0] = 1`.
    filter: Vec<f64>,
    /// Autocorrelation of the frame, lags 0 to [`AR_ORDER`].
    autocorrelation: Vec<f64>,
    /// Levinson–Durbin's previous coefficients.
    previous: Vec<f64>,
    /// Autocorrelation of the filter, lags 0 to [`AR_ORDER`].
    filter_autocorrelation: Vec<f64>,
    /// The interpolation's normal matrix, `max_click²`, then its Cholesky factor.
    matrix: Vec<f64>,
    /// The interpolation's right-hand side, then its solution.
    rhs: Vec<f64>,
    /// The prediction error of the known samples over a click and its context.
    known_error: Vec<f64>,
    /// The analysis window (Hann) of the fit.
    window: Vec<f32>,
    /// The windowed frame, for the autocorrelation.
    windowed: Vec<f64>,
    /// The prediction error being summed, per sample.
    error_sums: Vec<f64>,
    /// The frame's samples in double precision, for the prediction error.
    frame_wide: Vec<f64>,
    /// The longest click repaired here, in samples.
    max_click: usize,
    /// The stretch either side of a click that must be predictable, in samples.
    isolation: usize,
    /// The samples the scan trails the newest sample by.
    reserve: usize,
    /// Clicks repaired since the reset.
    repaired: u64,
}

impl ClickRepair {
    /// A repair for frames of `frame_len` samples at `sample_rate_hz`, scanning `hop` samples a
    /// call.
    pub fn new(frame_len: usize, hop: usize, sample_rate_hz: f32) -> Self {
        let max_click = ((MAX_CLICK_SECONDS * sample_rate_hz) as usize).min(MAX_CLICK_SAMPLES);
        let isolation = ((ISOLATION_SECONDS * sample_rate_hz) as usize).min(MAX_ISOLATION_SAMPLES);
        let reserve = max_click + 2 * AR_ORDER + 2 * EDGE_SAMPLES + isolation;
        debug_assert!(frame_len >= hop + reserve + 2 * AR_ORDER);
        let window = (0..frame_len)
            .map(|i| {
                let phase = std::f32::consts::TAU * i as f32 / frame_len as f32;
                0.5 - 0.5 * phase.cos()
            })
            .collect();
        let context = max_click + 2 * EDGE_SAMPLES + 2 * AR_ORDER;
        Self {
            frame: vec![0.0; frame_len],
            error: vec![0.0; frame_len],
            magnitudes: vec![0.0; frame_len],
            filter: vec![0.0; AR_ORDER + 1],
            autocorrelation: vec![0.0; AR_ORDER + 1],
            previous: vec![0.0; AR_ORDER + 1],
            filter_autocorrelation: vec![0.0; AR_ORDER + 1],
            matrix: vec![0.0; (max_click + 2 * EDGE_SAMPLES).pow(2)],
            rhs: vec![0.0; max_click + 2 * EDGE_SAMPLES],
            known_error: vec![0.0; context],
            window,
            windowed: vec![0.0; frame_len],
            error_sums: vec![0.0; frame_len],
            frame_wide: vec![0.0; frame_len],
            max_click,
            isolation,
            reserve,
            repaired: 0,
        }
    }

    /// The samples between the newest sample and the end of the scanned stretch.
    pub fn reserve_samples(&self) -> usize {
        self.reserve
    }

    /// Clicks repaired since the last reset.
    pub fn clicks_repaired(&self) -> u64 {
        self.repaired
    }

    /// Forgets the count.
    pub fn reset(&mut self) {
        self.repaired = 0;
    }

    /// Scans the `hop` samples that end [`ClickRepair::reserve_samples`] before the newest
    /// sample of `ring` and repairs the clicks in them, at `amount` (0 to 1; 0 repairs
    /// nothing). `ring` holds a channel's samples circularly; `newest_end` is the slot after
    /// the newest one. Returns the clicks repaired.
    pub fn repair(
        &mut self,
        amount: f32,
        ring: &mut [f32],
        newest_end: usize,
        hop: usize,
    ) -> usize {
        if amount <= 0.0 {
            return 0;
        }
        let len = self.frame.len();
        let ring_len = ring.len();
        let start = (newest_end + ring_len - len) % ring_len;
        for (i, sample) in self.frame.iter_mut().enumerate() {
            *sample = ring[(start + i) % ring_len];
        }
        if !self.fit() {
            return 0;
        }
        self.compute_error(AR_ORDER, len);
        for (magnitude, error) in self.magnitudes.iter_mut().zip(&self.error[AR_ORDER..]) {
            *magnitude = error.abs();
        }
        let count = len - AR_ORDER;
        let middle = count / 2;
        let (_, median, _) =
            self.magnitudes[..count].select_nth_unstable_by(middle, f32::total_cmp);
        let scale = *median / 0.6745;
        if scale <= f32::MIN_POSITIVE {
            return 0;
        }
        let amount = amount.min(1.0);
        let threshold =
            scale * (THRESHOLD_AT_LEAST + (THRESHOLD_AT_FULL - THRESHOLD_AT_LEAST) * amount);
        let scan_end = len - self.reserve;
        let mut n = scan_end - hop;
        let mut clicks = 0;
        while n < scan_end && clicks < MAX_CLICKS_PER_HOP {
            if self.error[n].abs() <= threshold {
                n += 1;
                continue;
            }
            let first = n;
            let mut last = n;
            let mut m = n + 1;
            while m < len - AR_ORDER && m <= last + AR_ORDER {
                if self.error[m].abs() > threshold {
                    last = m;
                }
                m += 1;
            }
            if last - first + 1 > self.max_click || !self.isolated(first, last, scale) {
                // The music's own transient: skip past it.
                n = last + 1;
                continue;
            }
            let from = first.saturating_sub(EDGE_SAMPLES).max(2 * AR_ORDER);
            let to = (last + EDGE_SAMPLES).min(len - AR_ORDER - 1);
            self.interpolate(from, to);
            self.compute_error(from, (to + AR_ORDER + 1).min(len));
            for i in from..=to {
                ring[(start + i) % ring_len] = self.frame[i];
            }
            clicks += 1;
            n = to + 1;
        }
        self.repaired += clicks as u64;
        clicks
    }

    /// Whether the run `first..=last` stands alone: the mean prediction error over the
    /// isolation stretch before it, and after the model's memory of it, stays under
    /// [`ISOLATION_SCALES`] times `scale`.
    fn isolated(&self, first: usize, last: usize, scale: f32) -> bool {
        let limit = ISOLATION_SCALES * scale * self.isolation as f32;
        let before_start = first.saturating_sub(self.isolation).max(AR_ORDER);
        let after_start = (last + AR_ORDER + 1).min(self.error.len());
        let after_end = (after_start + self.isolation).min(self.error.len());
        let sum = |range: std::ops::Range<usize>| -> f32 {
            self.error[range].iter().map(|e| e.abs()).sum()
        };
        sum(before_start..first) < limit && sum(after_start..after_end) < limit
    }

    /// Fits the prediction-error filter to the windowed frame. `false` for a silent frame.
    fn fit(&mut self) -> bool {
        for ((windowed, sample), weight) in
            self.windowed.iter_mut().zip(&self.frame).zip(&self.window)
        {
            *windowed = f64::from(sample * weight);
        }
        // Sample by sample, every lag at once: each lag's sum still runs in sample order, and
        // its 25 sums are independent work for the processor.
        self.autocorrelation.fill(0.0);
        for (i, &newest) in self.windowed.iter().enumerate() {
            let lags = i.min(AR_ORDER);
            for (sum, &older) in self.autocorrelation[..=lags]
                .iter_mut()
                .zip(self.windowed[i - lags..=i].iter().rev())
            {
                *sum += newest * older;
            }
        }
        let energy = self.autocorrelation[0];
        if energy <= 1e-18 {
            return false;
        }
        // A little white noise on the diagonal keeps the model stable on near-pure tones.
        self.autocorrelation[0] *= 1.0 + 1e-6;
        self.filter.fill(0.0);
        self.filter[0] = 1.0;
        let mut error = self.autocorrelation[0];
        for order in 1..=AR_ORDER {
            let mut acc = self.autocorrelation[order];
            for k in 1..order {
                acc += self.filter[k] * self.autocorrelation[order - k];
            }
            let reflection = -acc / error;
            self.previous[..order].copy_from_slice(&self.filter[..order]);
            for k in 1..order {
                self.filter[k] = self.previous[k] + reflection * self.previous[order - k];
            }
            self.filter[order] = reflection;
            error *= 1.0 - reflection * reflection;
            if error <= 0.0 {
                return false;
            }
        }
        for lag in 0..=AR_ORDER {
            self.filter_autocorrelation[lag] = (lag..=AR_ORDER)
                .map(|m| self.filter[m] * self.filter[m - lag])
                .sum();
        }
        true
    }

    /// The prediction error of samples `from..to`.
    fn compute_error(&mut self, from: usize, to: usize) {
        let from = from.max(AR_ORDER);
        if from >= to {
            return;
        }
        // Coefficient by coefficient over all the samples: each sample's sum still runs in
        // coefficient order, and the samples are independent work for the processor.
        let start = from - AR_ORDER;
        for (wide, sample) in self.frame_wide[start..to]
            .iter_mut()
            .zip(&self.frame[start..to])
        {
            *wide = f64::from(*sample);
        }
        let sums = &mut self.error_sums[from..to];
        sums.fill(0.0);
        for (k, a) in self.filter.iter().enumerate() {
            for (sum, sample) in sums.iter_mut().zip(&self.frame_wide[from - k..to - k]) {
                *sum += a * sample;
            }
        }
        for (error, sum) in self.error[from..to].iter_mut().zip(sums.iter()) {
            *error = *sum as f32;
        }
    }

    /// Replaces `frame[from..=to]` by the least-squares interpolation of the model.
    fn interpolate(&mut self, from: usize, to: usize) {
        let unknown = to - from + 1;
        // The prediction error of the known samples alone, for n in from..=to + AR_ORDER.
        for (offset, known) in self.known_error[..unknown + AR_ORDER]
            .iter_mut()
            .enumerate()
        {
            let n = from + offset;
            let mut sum = 0.0f64;
            for (k, a) in self.filter.iter().enumerate() {
                let j = n - k;
                if j < from || j > to {
                    sum += a * f64::from(self.frame[j]);
                }
            }
            *known = sum;
        }
        for i in 0..unknown {
            self.rhs[i] = -(0..=AR_ORDER)
                .map(|m| self.filter[m] * self.known_error[i + m])
                .sum::<f64>();
            for j in 0..unknown {
                let lag = i.abs_diff(j);
                self.matrix[i * unknown + j] = if lag <= AR_ORDER {
                    self.filter_autocorrelation[lag]
                } else {
                    0.0
                };
            }
            // Regularized a little: a click at the edge of what the model knows stays bounded.
            self.matrix[i * unknown + i] += 1e-9 * self.filter_autocorrelation[0];
        }
        if !cholesky_solve(
            &mut self.matrix[..unknown * unknown],
            &mut self.rhs[..unknown],
        ) {
            return;
        }
        for (i, value) in self.rhs[..unknown].iter().enumerate() {
            self.frame[from + i] = *value as f32;
        }
    }
}

/// Solves `matrix · x = rhs` for a symmetric positive-definite `matrix` (`n × n`, row-major,
/// overwritten by its factor), leaving `x` in `rhs`. `false` if the matrix is not positive
/// definite.
fn cholesky_solve(matrix: &mut [f64], rhs: &mut [f64]) -> bool {
    let n = rhs.len();
    for j in 0..n {
        let mut diagonal = matrix[j * n + j];
        for k in 0..j {
            diagonal -= matrix[j * n + k] * matrix[j * n + k];
        }
        if diagonal <= 0.0 {
            return false;
        }
        let diagonal = diagonal.sqrt();
        matrix[j * n + j] = diagonal;
        for i in j + 1..n {
            let mut value = matrix[i * n + j];
            for k in 0..j {
                value -= matrix[i * n + k] * matrix[j * n + k];
            }
            matrix[i * n + j] = value / diagonal;
        }
    }
    for i in 0..n {
        let mut value = rhs[i];
        for k in 0..i {
            value -= matrix[i * n + k] * rhs[k];
        }
        rhs[i] = value / matrix[i * n + i];
    }
    for i in (0..n).rev() {
        let mut value = rhs[i];
        for k in i + 1..n {
            value -= matrix[k * n + i] * rhs[k];
        }
        rhs[i] = value / matrix[i * n + i];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sum of tones over a little noise: music the model predicts well, with a floor.
    fn tones(len: usize, rate: f32) -> Vec<f32> {
        let mut state = 0x2468_ace1u32;
        (0..len)
            .map(|i| {
                let t = i as f32 / rate;
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.004;
                0.3 * (std::f32::consts::TAU * 220.0 * t).sin()
                    + 0.2 * (std::f32::consts::TAU * 331.0 * t).sin()
                    + 0.1 * (std::f32::consts::TAU * 1490.0 * t).sin()
                    + noise
            })
            .collect()
    }

    /// A click in the scanned stretch is found and the samples under it come back within a
    /// hundredth of the music's.
    #[test]
    fn a_click_is_found_and_interpolated_from_the_music_around_it() {
        let rate = 48_000.0;
        let (frame, hop) = (2048, 512);
        let mut repair = ClickRepair::new(frame, hop, rate);
        let clean = tones(frame, rate);
        let mut ring = clean.clone();
        let at = frame - repair.reserve_samples() - hop / 2;
        for (i, sample) in ring[at..at + 12].iter_mut().enumerate() {
            *sample += if i % 2 == 0 { 0.8 } else { -0.6 };
        }
        assert_eq!(repair.repair(1.0, &mut ring, 0, hop), 1);
        let worst = ring
            .iter()
            .zip(&clean)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 0.01, "the repaired samples are {worst} off");
    }

    /// Music without clicks comes out untouched, and amount 0 never repairs.
    #[test]
    fn music_without_clicks_and_amount_zero_are_left_alone() {
        let rate = 44_100.0;
        let (frame, hop) = (2048, 512);
        let mut repair = ClickRepair::new(frame, hop, rate);
        let clean = tones(frame, rate);
        let mut ring = clean.clone();
        assert_eq!(repair.repair(1.0, &mut ring, 0, hop), 0);
        assert_eq!(ring, clean);
        let at = frame - repair.reserve_samples() - hop / 2;
        ring[at] += 0.9;
        let clicked = ring.clone();
        assert_eq!(repair.repair(0.0, &mut ring, 0, hop), 0);
        assert_eq!(ring, clicked);
    }
}
