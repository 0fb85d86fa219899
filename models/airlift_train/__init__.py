"""Airlift's training package: synthesized music, band-limit degradations, the DDSP
harmonic-plus-noise bandwidth extender and the Spectral U-Net, their export to ONNX and their
checks. Four subpackages:

- `corpus`: the recorded-music corpus (`corpus.build`), the band limits and codec chains that
  degrade it, the training examples cut from it, and generated General MIDI music;
- `networks`: the DDSP model and its synthesizer, the Spectral U-Net, and the ONNX export;
- `training`: the training loops of both models and their end-to-end pipelines;
- `evaluation`: the validation table, the measurements on the committed excerpts and held-out
  music, and the README's figures.

Run it through `cargo xtask train ddsp` (or `unet`), which makes the virtual environment and
calls `python -m airlift_train.training.ddsp_pipeline` (or `unet_pipeline`).
"""
