//! A small dense network (a multilayer perceptron) evaluated in plain Rust, without allocation:
//! for the engine's little learned judges and masks that run on the audio thread, where a call
//! into ONNX Runtime and a trip through the worker would cost more than the network itself.
//!
//! The training pipeline writes the layers as JSON (`weights` one row of inputs per output,
//! `bias` one per output); a ReLU follows every layer but the last, whose outputs are returned
//! as they are (logits or values).

use serde::Deserialize;

/// One dense layer as the training pipeline writes it.
#[derive(Debug, Deserialize)]
pub struct DenseLayer {
    /// Weights, one row of inputs per output.
    pub weights: Vec<Vec<f32>>,
    /// Bias per output.
    pub bias: Vec<f32>,
}

/// Why layers do not make a network from the expected inputs to the expected outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenseShapeError {
    /// The layer that does not fit, from 0 (the number of layers when the last one's outputs
    /// are not the expected outputs).
    pub layer: usize,
    /// The inputs it should take.
    pub expected_inputs: usize,
}

/// A dense network, flattened for evaluation without allocation.
#[derive(Debug)]
pub struct DenseNetwork {
    /// Per layer: (weights row-major `[outputs][inputs]`, biases, inputs).
    layers: Vec<(Vec<f32>, Vec<f32>, usize)>,
}

/// The two buffers a [`DenseNetwork`] evaluates in, sized by [`DenseNetwork::scratch`].
#[derive(Debug, Clone)]
pub struct DenseScratch([Vec<f32>; 2]);

impl DenseNetwork {
    /// A network from `layers` that takes `inputs` values and gives `outputs`, or which layer
    /// does not fit. Allocates.
    pub fn from_layers(
        layers: Vec<DenseLayer>,
        inputs: usize,
        outputs: usize,
    ) -> Result<Self, DenseShapeError> {
        let mut width = inputs;
        let mut flat = Vec::with_capacity(layers.len());
        for (index, layer) in layers.into_iter().enumerate() {
            if layer.weights.is_empty()
                || layer.bias.len() != layer.weights.len()
                || layer.weights.iter().any(|row| row.len() != width)
            {
                return Err(DenseShapeError {
                    layer: index,
                    expected_inputs: width,
                });
            }
            let next = layer.weights.len();
            flat.push((layer.weights.concat(), layer.bias, width));
            width = next;
        }
        if width != outputs || flat.is_empty() {
            return Err(DenseShapeError {
                layer: flat.len(),
                expected_inputs: width,
            });
        }
        Ok(Self { layers: flat })
    }

    /// Buffers to evaluate this network in. Allocates.
    pub fn scratch(&self) -> DenseScratch {
        let widest = self
            .layers
            .iter()
            .map(|(_, bias, inputs)| bias.len().max(*inputs))
            .max()
            .unwrap_or(0);
        DenseScratch([vec![0.0; widest], vec![0.0; widest]])
    }

    /// The network's outputs for `input`, in `scratch` (from [`Self::scratch`]). No allocation.
    pub fn evaluate<'a>(&self, input: &[f32], scratch: &'a mut DenseScratch) -> &'a [f32] {
        let [a, b] = &mut scratch.0;
        a[..input.len()].copy_from_slice(input);
        let (mut input, mut output) = (a, b);
        let last = self.layers.len() - 1;
        let mut width = 0;
        for (index, (weights, bias, inputs)) in self.layers.iter().enumerate() {
            for (o, (row, b)) in weights.chunks_exact(*inputs).zip(bias).enumerate() {
                let sum = b + dot(row, &input[..*inputs]);
                output[o] = if index < last { sum.max(0.0) } else { sum };
            }
            width = bias.len();
            std::mem::swap(&mut input, &mut output);
        }
        &input[..width]
    }
}

/// Lanes of the dot product's independent sums.
const LANES: usize = 8;

/// The dot product of `a` and `b` in [`LANES`] independent sums, which the compiler can keep in
/// one vector register (a single running sum is a chain of dependent additions it may not
/// reorder).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((lane, x), y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(weights: &[&[f32]], bias: &[f32]) -> DenseLayer {
        DenseLayer {
            weights: weights.iter().map(|row| row.to_vec()).collect(),
            bias: bias.to_vec(),
        }
    }

    /// A hidden ReLU clips the negative unit; the last layer is linear.
    #[test]
    fn relu_between_layers_and_a_linear_last() {
        let network = DenseNetwork::from_layers(
            vec![
                layer(&[&[1.0, 0.0], &[0.0, 1.0]], &[0.0, 0.0]),
                layer(&[&[1.0, 1.0]], &[-5.0]),
            ],
            2,
            1,
        )
        .unwrap();
        let mut scratch = network.scratch();
        assert_eq!(network.evaluate(&[3.0, -2.0], &mut scratch), &[-2.0]);
    }

    /// The lanes and the tail add up to the plain dot product.
    #[test]
    fn the_dot_product_counts_every_element() {
        let a: Vec<f32> = (0..21).map(|i| i as f32).collect();
        let b = vec![2.0; 21];
        assert_eq!(dot(&a, &b), 420.0);
    }

    /// Layers that do not chain are refused, naming the layer.
    #[test]
    fn shapes_that_do_not_chain_are_refused() {
        let wrong_inputs = DenseNetwork::from_layers(vec![layer(&[&[1.0]], &[0.0])], 2, 1);
        assert_eq!(
            wrong_inputs.unwrap_err(),
            DenseShapeError {
                layer: 0,
                expected_inputs: 2
            }
        );
        let wrong_outputs = DenseNetwork::from_layers(vec![layer(&[&[1.0, 1.0]], &[0.0])], 2, 3);
        assert_eq!(wrong_outputs.unwrap_err().layer, 1);
    }
}
