//! Input sanitizing: corrupt samples never reach the STFT, the detector or the output.

/// The largest input magnitude that is still treated as audio: +60 dBFS. Real signals, even hot
/// floating-point mixes, stay far below it; anything above is a corrupt value and would overflow
/// the power spectrum.
pub const MAX_INPUT_MAGNITUDE: f32 = 1000.0;

/// Returns the sample unchanged when it is finite and within [`MAX_INPUT_MAGNITUDE`], and `None`
/// when it is NaN, infinite or huge, so that the caller can mute it and count it.
#[inline]
pub fn checked_sample(sample: f32) -> Option<f32> {
    if sample.is_finite() && sample.abs() <= MAX_INPUT_MAGNITUDE {
        Some(sample)
    } else {
        None
    }
}

/// Replaces every corrupt sample of `samples` with silence, in place. Used where audio passes
/// through without the engine, so that corrupt values still never reach the output.
pub fn mute_corrupt(samples: &mut [f32]) {
    for sample in samples {
        *sample = checked_sample(*sample).unwrap_or(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_values_are_rejected() {
        assert_eq!(checked_sample(0.5), Some(0.5));
        assert_eq!(
            checked_sample(-MAX_INPUT_MAGNITUDE),
            Some(-MAX_INPUT_MAGNITUDE)
        );
        assert_eq!(checked_sample(f32::NAN), None);
        assert_eq!(checked_sample(f32::INFINITY), None);
        assert_eq!(checked_sample(f32::NEG_INFINITY), None);
        assert_eq!(checked_sample(1.0e30), None);
    }
}
