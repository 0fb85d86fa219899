//! Analysis and synthesis windows.

use std::f32::consts::PI;

/// A periodic Hann window of `len` samples. Periodic (not symmetric) so that shifted copies at a
/// hop of `len / 4` sum to a constant, which the overlap-add reconstruction relies on.
pub fn hann_periodic(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f32 / len as f32).cos())
        .collect()
}

/// The square root of a periodic Hann window. Used both for analysis and synthesis, so the
/// product of the two is a Hann window and a 75 % overlap-add sums to exactly 2.
pub fn sqrt_hann_periodic(len: usize) -> Vec<f32> {
    hann_periodic(len).into_iter().map(f32::sqrt).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_at_quarter_hop_sums_to_two() {
        let len = 256;
        let window = hann_periodic(len);
        for i in 0..len / 4 {
            let sum: f32 = (0..4).map(|k| window[i + k * len / 4]).sum();
            assert!((sum - 2.0).abs() < 1e-5, "sum at {i} is {sum}");
        }
    }
}
