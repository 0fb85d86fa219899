//! Per-sample parameter smoothing that is independent of the host's block size.

/// A linear ramp toward a target value over a fixed number of samples. It lands exactly on the
/// target (unlike a one-pole filter), so a mix of 0 really gives the dry signal, and it advances
/// one step per sample, so the result does not depend on how the host splits its blocks.
#[derive(Debug, Clone)]
pub struct LinearSmoother {
    /// The value of the most recent sample.
    current: f32,
    /// The value the ramp ends on.
    target: f32,
    /// Increment per sample while ramping.
    step: f32,
    /// Samples left in the current ramp; 0 when settled.
    steps_left: u32,
    /// Length of a full ramp in samples.
    ramp_samples: u32,
}

impl LinearSmoother {
    /// A smoother that starts settled on `value` and ramps over `ramp_samples` samples.
    pub fn new(value: f32, ramp_samples: u32) -> Self {
        Self {
            current: value,
            target: value,
            step: 0.0,
            steps_left: 0,
            ramp_samples: ramp_samples.max(1),
        }
    }

    /// Starts a ramp toward `target` unless it is already the target.
    pub fn set_target(&mut self, target: f32) {
        if target != self.target {
            self.target = target;
            self.steps_left = self.ramp_samples;
            self.step = (target - self.current) / self.ramp_samples as f32;
        }
    }

    /// Jumps to `value` with no ramp, for resets.
    pub fn reset(&mut self, value: f32) {
        self.current = value;
        self.target = value;
        self.steps_left = 0;
    }

    /// Whether the smoother has reached its target.
    pub fn is_settled(&self) -> bool {
        self.steps_left == 0
    }

    /// The value the smoother is heading to.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// Advances one sample and returns the new value.
    #[inline]
    pub fn next_value(&mut self) -> f32 {
        if self.steps_left > 0 {
            self.steps_left -= 1;
            self.current = if self.steps_left == 0 {
                self.target
            } else {
                self.current + self.step
            };
        }
        self.current
    }

    /// Fills `out` with the next `out.len()` values.
    pub fn fill(&mut self, out: &mut [f32]) {
        for value in out.iter_mut() {
            *value = self.next_value();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lands_exactly_on_target() {
        let mut smoother = LinearSmoother::new(1.0, 10);
        smoother.set_target(0.0);
        let mut values = [0.0; 12];
        smoother.fill(&mut values);
        assert_eq!(values[9], 0.0);
        assert_eq!(values[11], 0.0);
        assert!(values[0] < 1.0 && values[0] > 0.8);
        assert!(smoother.is_settled());
    }
}
