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

# Colours the editor draws with (plugin/src/editor/view.rs, slider.rs and egui's dark theme).
OUTPUT_BLUE = (90, 190, 255)
INPUT_GREY = (150, 150, 160)
INPUT_PEAK = (90, 90, 100)
OUTPUT_PEAK = (55, 115, 160)
BAND_FILL = (30, 78, 110)
CUTOFF_ORANGE = (255, 170, 60)
SLIDER_FILL = (0, 92, 128)
FOLLOWING = (150, 100, 35)
# The spectrum panel's background; the window's own lies to its right.
PANEL = (18, 20, 26)


def pixels_near(image, colour, tolerance=12):
    difference = np.abs(image[:, :, :3].astype(int) - np.array(colour)).max(axis=2)
    return difference <= tolerance


def load():
    assert SCREENSHOT.exists(), f"{SCREENSHOT} is missing: run `cargo xtask screenshot`"
    image = np.asarray(Image.open(SCREENSHOT).convert("RGB"))
    assert image.shape[:2] == (560, 900), image.shape
    return image


def spectrum_and_marker(image):
    """The spectrum panel's part of the picture (up to its right edge) and the column of the
    cutoff marker in it."""
    spectrum = image[40:385]
    panel_columns = pixels_near(spectrum, PANEL, 3).any(axis=0).nonzero()[0]
    assert len(panel_columns) > 0, "no spectrum panel"
    spectrum = spectrum[:, : panel_columns.max() + 1]
    height = spectrum.shape[0]
    orange = pixels_near(spectrum, CUTOFF_ORANGE, 20)
    marker_columns = (orange.sum(axis=0) > 0.7 * height).nonzero()[0]
    assert len(marker_columns) > 0, "no cutoff marker"
    return spectrum, int(marker_columns.mean())


def test_the_spectrum_shows_input_output_and_the_cutoff_with_its_value():
    image = load()
    spectrum, marker = spectrum_and_marker(image)
    width = spectrum.shape[1]
    # The input spectrum runs across the width (music below the cutoff).
    grey_columns = pixels_near(spectrum, INPUT_GREY, 25).any(axis=0).nonzero()[0]
    assert len(grey_columns) > 0.6 * width, len(grey_columns)
    assert 0.6 * width < marker < 0.95 * width, marker
    # The cutoff's value is written beside the marker: orange text near the top, off the line.
    orange = pixels_near(spectrum[:30], CUTOFF_ORANGE, 60)
    beside = np.concatenate([orange[:, marker - 90 : marker - 3], orange[:, marker + 4 :]], axis=1)
    assert beside.sum() > 40, beside.sum()
    # The output line shows above the marker. Below it the output parts from the input only
    # where Codec Repair fills the demo MP3's holes (tests/tests/codec_holes.rs checks that
    # lossless input gets nothing there).
    blue = pixels_near(spectrum, OUTPUT_BLUE, 30)
    above = blue[:, marker + 3 :]
    assert above.any(axis=0).mean() > 0.8, above.any(axis=0).mean()


def test_the_added_band_is_a_filled_area_above_the_cutoff():
    image = load()
    spectrum, marker = spectrum_and_marker(image)
    fill = pixels_near(spectrum, BAND_FILL, 10)
    above = fill[:, marker + 3 :]
    # An area: on average more than 15 filled pixels in each column above the marker, where
    # hairlines would give one or two.
    assert above.sum() > 15 * above.shape[1], (above.sum(), above.shape[1])
    # Below the marker only the filled holes of the demo MP3 (Codec Repair) may show: no area.
    below = fill[:, : marker - 40]
    assert below.sum() < 2 * below.shape[1], (below.sum(), below.shape[1])


def test_the_peak_holds_are_drawn_over_the_width():
    image = load()
    spectrum, marker = spectrum_and_marker(image)
    width = spectrum.shape[1]
    input_peak = pixels_near(spectrum, INPUT_PEAK, 12).any(axis=0).sum()
    assert input_peak > 0.5 * width, input_peak
    # The output's peak hold shows where it parts from the input's: above the cutoff, over the
    # generated band. Counted there, not over the whole width, so that it does not hang on where
    # the detector put the cutoff (the band above 11 kHz is a tenth of the width).
    output_peak = pixels_near(spectrum[:, marker + 3 :], OUTPUT_PEAK, 12).any(axis=0)
    assert output_peak.mean() > 0.25, (output_peak.sum(), len(output_peak))


def test_the_controls_are_there():
    image = load()
    controls = image[395:480]
    # Mix and Output Gain with their filled parts, and the cutoff slider following the
    # detection in auto mode, in its own colour.
    fill = pixels_near(controls, SLIDER_FILL, 10)
    rows = (fill.sum(axis=1) > 40).nonzero()[0]
    groups = np.split(rows, np.nonzero(np.diff(rows) > 3)[0] + 1)
    assert len(groups) == 2, [list(g[:1]) for g in groups]
    following = pixels_near(controls, FOLLOWING, 10)
    assert (following.sum(axis=1) > 40).sum() >= 8, following.sum()
    # Text of labels, values and the status line: light pixels in the lower part, brighter than
    # any slider fill (at most 150).
    text = image[395:560].max(axis=2) > 160
    assert text.sum() > 800, text.sum()
