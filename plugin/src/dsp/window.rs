//! Analysis and synthesis windows.

use std::f32::consts::PI;

/// A periodic Hann window of `len` samples. Periodic (not symmetric) so that its squares, shifted
/// by a hop of `len / 4`, sum to a constant, which the overlap-add reconstruction relies on.
pub fn hann_periodic(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f32 / len as f32).cos())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squared_hann_at_quarter_hop_sums_to_one_and_a_half() {
        let len = 256;
        let window = hann_periodic(len);
        for i in 0..len / 4 {
            let sum: f32 = (0..4).map(|k| window[i + k * len / 4].powi(2)).sum();
            assert!((sum - 1.5).abs() < 1e-5, "sum at {i} is {sum}");
        }
    }
}
