"""Airlift's training package: synthesized music, band-limit degradations, the DDSP
harmonic-plus-noise bandwidth extender, its export to ONNX and its checks.

Run it through `cargo xtask train ddsp`, which makes the virtual environment and calls
`python -m airlift_train.pipeline`.
"""
