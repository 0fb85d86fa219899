//! Streaming whole signals through the engine the way a host would.

use airlift::engine::{Engine, EngineSettings};

/// Block sizes that change from call to call, including 1 and the 8192 maximum.
pub const VARYING_BLOCKS: [usize; 9] = [1, 7, 64, 333, 8192, 2, 512, 4095, 100];

/// Streams `input` (one vector per channel) through `engine` in blocks whose sizes cycle
/// through `block_sizes`, and returns the raw output (not latency-compensated).
pub fn stream(engine: &mut Engine, input: &[Vec<f32>], block_sizes: &[usize]) -> Vec<Vec<f32>> {
    let mut output: Vec<Vec<f32>> = input.to_vec();
    let len = input[0].len();
    let mut position = 0;
    let mut which = 0;
    while position < len {
        let n = block_sizes[which % block_sizes.len()].min(len - position);
        which += 1;
        let mut slices: Vec<&mut [f32]> = output
            .iter_mut()
            .map(|channel| &mut channel[position..position + n])
            .collect();
        engine.process(&mut slices);
        position += n;
    }
    output
}

/// Makes an engine and streams `input` through it with `block_sizes`.
pub fn render(
    sample_rate_hz: u32,
    input: &[Vec<f32>],
    settings: EngineSettings,
    block_sizes: &[usize],
) -> (Vec<Vec<f32>>, Engine) {
    let mut engine = Engine::new(sample_rate_hz as f32, input.len(), settings).unwrap();
    let output = stream(&mut engine, input, block_sizes);
    (output, engine)
}
