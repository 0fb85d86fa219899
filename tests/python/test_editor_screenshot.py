"""The editor in a real window: `cargo xtask screenshot` opens the standalone application under
Xvfb, playing the band-limited demo clip, and saves the editor's picture; this checks that the
picture shows the controls and a live spectrum with the generated band.

Run by `cargo xtask test`, which takes the screenshot first and passes its path in
AIRLIFT_SCREENSHOT.
"""

import os
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = Path(os.environ.get("AIRLIFT_SCREENSHOT", ROOT / "target/editor/editor.png"))

# Colours the editor draws with (plugin/src/editor/view.rs and egui's dark theme).
OUTPUT_BLUE = (90, 190, 255)
INPUT_GREY = (150, 150, 160)
CUTOFF_ORANGE = (255, 170, 60)
SLIDER_FILL = (0, 92, 128)


def pixels_near(image, colour, tolerance=12):
    difference = np.abs(image[:, :, :3].astype(int) - np.array(colour)).max(axis=2)
    return difference <= tolerance


def load():
    assert SCREENSHOT.exists(), f"{SCREENSHOT} is missing: run `cargo xtask screenshot`"
    image = np.asarray(Image.open(SCREENSHOT).convert("RGB"))
    assert image.shape[:2] == (560, 900), image.shape
    return image


def test_the_spectrum_shows_input_output_and_the_cutoff():
    image = load()
    spectrum = image[40:400]
    height, width = spectrum.shape[:2]
    # The input spectrum runs across the width (music below the cutoff).
    grey_columns = pixels_near(spectrum, INPUT_GREY, 25).any(axis=0).nonzero()[0]
    assert len(grey_columns) > 0.6 * width, len(grey_columns)
    # The cutoff marker: a vertical orange line over most of the height.
    orange = pixels_near(spectrum, CUTOFF_ORANGE, 20)
    marker_columns = (orange.sum(axis=0) > 0.7 * height).nonzero()[0]
    assert len(marker_columns) > 0, "no cutoff marker"
    marker = int(marker_columns.mean())
    assert 0.6 * width < marker < 0.95 * width, marker
    # The generated band: blue output above the marker, none of it below.
    blue = pixels_near(spectrum, OUTPUT_BLUE, 30)
    above = blue[:, marker + 3 :]
    # At least one and a half blue pixels per column above the marker on average (the band is
    # shaded and its top is drawn), wherever the detected edge puts the marker.
    assert above.sum() > 1.5 * above.shape[1], (above.sum(), above.shape[1])
    assert blue[:, : marker - 40].sum() < 0.05 * blue[:, marker + 3 :].sum()


def test_the_controls_are_there():
    image = load()
    controls = image[400:490]
    fill = pixels_near(controls, SLIDER_FILL, 10)
    # Three sliders with their filled parts.
    rows = (fill.sum(axis=1) > 40).nonzero()[0]
    groups = np.split(rows, np.nonzero(np.diff(rows) > 3)[0] + 1)
    assert len(groups) == 3, [list(g[:1]) for g in groups]
    # Text of labels, values and the status line: light grey pixels (egui's dark theme draws
    # text at about 140) in the lower part, more than the slider fills (at most 128) account for.
    text = image[400:560].max(axis=2) > 130
    assert text.sum() > 2000, text.sum()
