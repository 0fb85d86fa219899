//! Repeatable pseudo-random phases: where a generated bin has no phase of its own to take, it
//! gets one from a fixed xorshift sequence, so that an offline render gives the same samples
//! on every run.

use realfft::num_complex::Complex;

/// The next angle in radians, uniform over a turn, from the xorshift32 state `seed` (which
/// must not be zero).
pub fn next_angle(seed: &mut u32) -> f32 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    *seed as f32 / u32::MAX as f32 * std::f32::consts::TAU
}

/// The next unit phasor from `seed`.
pub fn next_phasor(seed: &mut u32) -> Complex<f32> {
    let angle = next_angle(seed);
    Complex::new(angle.cos(), angle.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_repeats_and_covers_the_turn() {
        let (mut a, mut b) = (0x9E37_79B9, 0x9E37_79B9);
        let angles: Vec<f32> = (0..1000).map(|_| next_angle(&mut a)).collect();
        assert!(angles.iter().all(|&x| x == next_angle(&mut b)));
        assert!(angles
            .iter()
            .all(|x| (0.0..=std::f32::consts::TAU).contains(x)));
        let mean = angles.iter().sum::<f32>() / angles.len() as f32;
        assert!((mean - std::f32::consts::PI).abs() < 0.2, "mean {mean}");
    }
}
