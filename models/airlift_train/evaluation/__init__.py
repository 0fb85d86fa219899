"""Evaluation and figures: the validation table written into the manifests (`validation`),
the quality tables on the committed excerpts (`excerpt_eval`), detection on held-out music
(`detect_heldout`), the oracle bound on reading a gentle filter's corner (`slope_ceiling`),
the comparison of the U-Net's phase sources (`phase_compare`) and the README's spectrograms
(`spectrograms`)."""
