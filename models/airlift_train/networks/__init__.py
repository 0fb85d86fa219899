"""The networks and their export: the DDSP bandwidth extender (`ddsp`) and the
harmonic-plus-noise synthesizer it drives (`synth`), the Spectral U-Net (`unet`), and the
export of a streaming step to ONNX with its parity check and reference files (`export`)."""
