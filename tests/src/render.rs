//! Streaming whole signals through the engine the way a host would.

use airlift::engine::{Engine, EngineSettings};

use crate::filters::band_energy;

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

/// Streams `input` through `engine` in 512-sample blocks and returns the output aligned with
/// the input (latency removed, tail flushed).
pub fn render_aligned(engine: &mut Engine, input: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let latency = engine.latency_samples() as usize;
    let padded: Vec<Vec<f32>> = input
        .iter()
        .map(|c| {
            c.iter()
                .copied()
                .chain(std::iter::repeat_n(0.0, latency))
                .collect()
        })
        .collect();
    stream(engine, &padded, &[512])
        .into_iter()
        .map(|c| c[latency..].to_vec())
        .collect()
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

/// What a generator did to a band-limited signal, in dB: how far the output's band below the
/// ramp (up to `ramp_start_hz`) lies from the delayed input's, and the energy of the output
/// between `cutoff_hz` and 20 kHz against the full-band `original`'s. `output` is already
/// aligned with `delayed` (the latency removed).
pub fn low_and_generated_band_db(
    output: &[f32],
    delayed: &[f32],
    original: &[f32],
    rate: u32,
    ramp_start_hz: f32,
    cutoff_hz: f32,
) -> (f64, f64) {
    let difference: Vec<f32> = output.iter().zip(delayed).map(|(y, x)| y - x).collect();
    let low_db = 10.0
        * (band_energy(&difference, rate, 0.0, ramp_start_hz)
            / band_energy(delayed, rate, 0.0, ramp_start_hz))
        .log10();
    let generated_db = 10.0
        * (band_energy(output, rate, cutoff_hz, 20_000.0)
            / band_energy(&original[..output.len()], rate, cutoff_hz, 20_000.0))
        .log10();
    (low_db, generated_db)
}

/// Lowest level of a generated band against the original's, in dB, for [`assert_band_filled`]:
/// models trained on recorded music, whose high band is quiet, fill a synthetic signal's band
/// 5 to 17 dB under its original; a generator that adds nothing lies 40 dB or more under it.
pub const GENERATED_BAND_MIN_DB: f64 = -20.0;

/// Checks a generator's render of a brick-walled `original` (`output` aligned with `delayed`,
/// the latency removed): below the ramp a semitone under `cutoff_hz` the output is the
/// delayed input within -65 dB, and between the cutoff and 20 kHz there is a band at a
/// plausible level (from [`GENERATED_BAND_MIN_DB`] to +6 dB against the original; how close it
/// comes is the validation figures' business, not this signal's). Returns both figures in dB.
pub fn assert_band_filled(
    output: &[f32],
    delayed: &[f32],
    original: &[f32],
    rate: u32,
    cutoff_hz: f32,
) -> (f64, f64) {
    let ramp_start_hz = cutoff_hz * (-1.0f32 / 12.0).exp2();
    let (error_db, generated_db) =
        low_and_generated_band_db(output, delayed, original, rate, ramp_start_hz, cutoff_hz);
    assert!(
        error_db < -65.0,
        "{rate} Hz, cutoff {cutoff_hz}: low band changed by {error_db:.1} dB"
    );
    assert!(
        (GENERATED_BAND_MIN_DB..6.0).contains(&generated_db),
        "{rate} Hz, cutoff {cutoff_hz}: generated band at {generated_db:.1} dB"
    );
    (error_db, generated_db)
}

/// Streams stereo `input` through `engine` in blocks of 333 samples, each `process` call
/// inside `assert_no_alloc` (the test binary must install `AllocDisabler` as its global
/// allocator), and returns the output.
pub fn process_without_allocating(engine: &mut Engine, input: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let mut output = input.to_vec();
    for start in (0..input[0].len()).step_by(333) {
        let end = (start + 333).min(input[0].len());
        let (left, right) = output.split_at_mut(1);
        let mut block = [&mut left[0][start..end], &mut right[0][start..end]];
        nice_assert_no_alloc::assert_no_alloc(|| engine.process(&mut block));
    }
    output
}

/// Streams stereo `input` through `engine` in blocks of [`VARYING_BLOCKS`], handing it
/// `settings_at(second)` before each block, and asserts that setting, processing and reading
/// the status never allocate. Returns the raw output.
pub fn stream_without_allocating(
    engine: &mut Engine,
    input: &[Vec<f32>],
    sample_rate_hz: u32,
    settings_at: impl Fn(usize) -> EngineSettings,
) -> Vec<Vec<f32>> {
    let mut output = input.to_vec();
    let mut position = 0;
    let mut block = 0;
    while position < input[0].len() {
        let n = VARYING_BLOCKS[block % VARYING_BLOCKS.len()].min(input[0].len() - position);
        let settings = settings_at(position / sample_rate_hz as usize);
        let (left, right) = output.split_at_mut(1);
        let mut slices = [
            &mut left[0][position..position + n],
            &mut right[0][position..position + n],
        ];
        nice_assert_no_alloc::assert_no_alloc(|| {
            engine.set_settings(settings);
            engine.process(&mut slices);
            let _ = engine.status();
        });
        position += n;
        block += 1;
    }
    output
}

/// `input` delayed by `latency` samples, as long as it.
pub fn delayed(input: &[Vec<f32>], latency: usize) -> Vec<Vec<f32>> {
    input
        .iter()
        .map(|c| {
            std::iter::repeat_n(0.0, latency)
                .chain(c.iter().copied())
                .take(c.len())
                .collect()
        })
        .collect()
}
