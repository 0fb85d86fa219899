//! The hiss mask (`plugin/src/dsp/denoise/mask.rs`) against its Python original
//! (`models/airlift_train/networks/hiss_mask.py`): the features that the hiss reducer's floor
//! gives on a committed excerpt, frame by frame, and the network's gains on them and on
//! validation feature vectors, as the training pipeline wrote them to
//! `models/hiss_mask.reference.json`.

use airlift::dsp::denoise::mask::HissMaskModel;
use airlift::dsp::denoise::HissReducer;
use airlift::dsp::stft::{StftLayout, StftPlans};
use airlift_tests::excerpts::excerpts_dir;
use airlift_tests::models::{floats, pipeline_reference, reference_vectors};
use realfft::num_complex::Complex;

/// The reference the training pipeline wrote.
fn reference() -> serde_json::Value {
    pipeline_reference("hiss_mask.reference.json")
}

/// The largest difference between two vectors.
fn worst_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn the_network_gives_the_gains_pytorch_gave() {
    let model = HissMaskModel::shared().expect("the embedded hiss_mask.json loads");
    for (i, (features, expected)) in reference_vectors(&reference(), "gains").iter().enumerate() {
        let got = model.gains(features);
        let worst = worst_difference(&got, expected);
        assert!(worst < 1e-4, "vector {i}: gains differ by up to {worst}");
    }
}

#[test]
fn the_reducers_floor_gives_the_features_python_computes() {
    let reference = reference();
    let file = reference["excerpt"].as_str().expect("excerpt");
    let seconds = reference["seconds"].as_f64().expect("seconds") as f32;
    let audio = airlift::audio_file::read_audio(&excerpts_dir().join(file)).expect("the excerpt");
    let rate = audio.sample_rate_hz as f32;
    let layout = StftLayout::for_sample_rate(rate);
    let plans = StftPlans::new(layout);
    let mut scratch = plans.make_scratch();
    let mut spectrum = plans.make_spectrum();
    let mut turned = plans.make_spectrum();
    let mut removed = vec![Complex::new(0.0, 0.0); layout.num_bins()];
    let mut reducer = HissReducer::new(&layout);
    let model = HissMaskModel::shared().expect("the embedded hiss_mask.json loads");
    let frames = reference["frames"].as_array().expect("frames");
    let channel = &audio.channels[0];
    let samples = (seconds * rate) as usize;
    // The frames Python takes: every hop from the first sample, while a whole window fits.
    let (mut start, mut frame, mut checked) = (0, 0, 0);
    while start + layout.fft_size <= samples {
        for ((t, x), w) in scratch
            .time
            .iter_mut()
            .zip(&channel[start..])
            .zip(&plans.analysis_window)
        {
            *t = x * w;
        }
        plans
            .forward(&mut scratch, &mut spectrum)
            .expect("sizes fixed");
        turned.copy_from_slice(&spectrum);
        // As the engine: the frame is turned down against the floor heard before it, then the
        // floor hears it.
        reducer.apply(1.0, layout.num_bins(), &mut turned, &mut removed);
        if let Some(expected) = frames.iter().find(|f| f["frame"].as_u64() == Some(frame)) {
            let features = reducer.mask_features();
            let worst = worst_difference(features, &floats(&expected["features"]));
            // A hundredth of a feature unit is 0.2 dB.
            assert!(
                worst < 0.01,
                "frame {frame}: features differ by up to {worst} (20 dB)"
            );
            let gains = model.gains(features);
            let worst = worst_difference(&gains, &floats(&expected["gains"]));
            assert!(worst < 0.01, "frame {frame}: gains differ by up to {worst}");
            checked += 1;
        }
        reducer.track(&spectrum);
        start += layout.hop_size;
        frame += 1;
    }
    assert_eq!(checked, frames.len(), "every reference frame was reached");
}
