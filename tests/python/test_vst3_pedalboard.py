"""The real Airlift.vst3 in a third-party host: Spotify's pedalboard (PyPI).

pedalboard loads the Linux VST3 bundle headless and compensates the latency the plugin reports,
so its offline render must match `airlift render` of the same input sample for sample (within
1e-5). Parameters are set by name, state is saved and restored, and NaN/Inf input is contained.
A state saved after detection remembers the band limit, and a plugin that loads it starts
restored: on the committed excerpts, its opening is as close to the original as the rest.

Run by `cargo xtask test`, which builds the bundle (with nice-plug's allocation checks) and the
CLI first and passes their paths in AIRLIFT_VST3 and AIRLIFT_CLI.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pedalboard
import pytest
import soundfile

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "models/fixtures"
# No user models unless a test asks for the fixture: the default model choice falls back to SBR
# whatever this machine has installed. The plugin reads this when it is activated.
NO_MODELS = Path(os.environ.get("TMPDIR", "/tmp")) / f"airlift-no-models-{os.getpid()}"
NO_MODELS.mkdir(parents=True, exist_ok=True)
os.environ["AIRLIFT_MODEL_DIR"] = str(NO_MODELS)
VST3 = Path(os.environ.get("AIRLIFT_VST3", ROOT / "target/bundled/Airlift.vst3"))
CLI = Path(os.environ.get("AIRLIFT_CLI", ROOT / "target/debug/airlift"))
DEMO = ROOT / "assets/demo/mp3_64k.flac"
TOLERANCE = 1e-5
EXCERPTS = ROOT / "tests/excerpts"
# As tests/src/opening.rs: LSD-HF over the first half second at most 1.25 times the rest's.
OPENING_SECONDS = 0.5
MAX_OPENING_RATIO = 1.25


@pytest.fixture(scope="module")
def demo():
    """The first 6 s of the demo clip, as (channels, samples) float32, and its rate."""
    audio, rate = soundfile.read(DEMO, dtype="float32", always_2d=True)
    return np.ascontiguousarray(audio[: 6 * rate].T), rate


def load_plugin():
    assert VST3.exists(), f"{VST3} is missing: run `cargo xtask test`"
    return pedalboard.load_plugin(str(VST3))


def cli_render(audio, rate, tmp_path, *args, env=None):
    """Renders `audio` with the airlift CLI and returns the output as (channels, samples)."""
    source = tmp_path / "in.wav"
    target = tmp_path / "out.wav"
    soundfile.write(source, audio.T, rate, subtype="FLOAT")
    subprocess.run([str(CLI), "render", str(source), str(target), *args], check=True, env=env)
    rendered, rendered_rate = soundfile.read(target, dtype="float32", always_2d=True)
    assert rendered_rate == rate
    return rendered.T


def plugin_render(plugin, audio, rate, buffer_size=1024):
    return plugin.process(audio, rate, buffer_size=buffer_size, reset=True)


def use_model(plugin, choice, rate):
    """Sets the Model parameter to `choice` and restarts the plugin so that it takes effect:
    a model change changes the latency, so it waits for the host's restart, which pedalboard
    does when the sample rate changes."""
    plugin.model = choice
    other_rate = 48_000 if rate != 48_000 else 44_100
    plugin.process(np.zeros((2, 4800), dtype=np.float32), other_rate)


def test_reports_its_latency_and_parameters():
    plugin = load_plugin()
    assert set(plugin.parameters) == {
        "cutoff_hz", "auto_cutoff", "model", "mix", "output_gain_db", "execution_provider",
        "listen", "bypass", "codec_repair", "denoise",
    }
    assert plugin.codec_repair
    assert plugin.denoise == 0
    # The default model, the Spectral U-Net: one window, its look-ahead hop, two hops of slack.
    assert plugin.model == "Spectral U-Net"
    assert plugin.reported_latency_samples == 2048 + 3 * 512


def test_bypass_gives_the_input_exactly_at_the_same_position(demo):
    audio, rate = demo
    plugin = load_plugin()
    use_model(plugin, "SBR", rate)
    plugin.bypass = True
    output = plugin_render(plugin, audio, rate)
    # The plugin still reports its latency, and pedalboard compensates it: the input comes out
    # sample for sample where it went in.
    assert plugin.reported_latency_samples == 2048
    np.testing.assert_array_equal(output, audio)


def test_input_plus_the_added_band_is_the_output(demo):
    audio, rate = demo
    plugin = load_plugin()
    use_model(plugin, "SBR", rate)
    # Once played, the plugin remembers the clip's band limit: both renders start from it.
    plugin_render(plugin, audio, rate)
    output = plugin_render(plugin, audio, rate)
    plugin.listen = "Added band only"
    added = plugin_render(plugin, audio, rate)
    assert np.max(np.abs(added)) > 1e-3
    np.testing.assert_allclose(audio + added, output, atol=TOLERANCE)


@pytest.mark.parametrize("buffer_size", [1024, 333])
def test_offline_render_matches_the_cli_with_auto_cutoff(demo, tmp_path, buffer_size):
    audio, rate = demo
    plugin = load_plugin()
    use_model(plugin, "SBR", rate)
    output = plugin_render(plugin, audio, rate, buffer_size)
    expected = cli_render(audio, rate, tmp_path, "--auto", "--model", "sbr")
    assert output.shape == audio.shape == expected.shape
    assert np.max(np.abs(output - expected)) < TOLERANCE
    # And the band above the detected limit was really generated.
    assert np.max(np.abs(output - audio)) > 1e-3


def test_mono_render_matches_the_cli(demo, tmp_path):
    audio, rate = demo
    mono = np.ascontiguousarray(audio[:1])
    plugin = load_plugin()
    use_model(plugin, "SBR", rate)
    plugin.auto_cutoff = False
    plugin.cutoff_hz = 9000
    output = plugin_render(plugin, mono, rate)
    assert output.shape == mono.shape
    expected = cli_render(mono, rate, tmp_path, "--cutoff", str(plugin.cutoff_hz), "--model", "sbr")
    assert np.max(np.abs(output - expected)) < TOLERANCE


def test_parameters_set_by_name_match_the_cli(demo, tmp_path):
    audio, rate = demo
    plugin = load_plugin()
    plugin.auto_cutoff = False
    plugin.cutoff_hz = 8000
    plugin.mix = 50
    plugin.output_gain_db = -3.0
    plugin.denoise = 50
    use_model(plugin, "SBR", rate)
    cutoff_hz = plugin.cutoff_hz
    assert abs(cutoff_hz - 8000) < 30
    assert plugin.mix == 50
    assert plugin.denoise == 50
    output = plugin_render(plugin, audio, rate)
    expected = cli_render(
        audio, rate, tmp_path,
        "--cutoff", str(cutoff_hz), "--mix", "0.5", "--gain-db", "-3", "--model", "sbr",
        "--denoise", "0.5",
    )
    assert np.max(np.abs(output - expected)) < TOLERANCE


def deliver_parameter_changes(plugin):
    """Runs one short block. An active VST3 plugin receives parameter changes with the next
    process call (nice-plug ignores setParamNormalized while processing, as the spec allows), so
    a host must process before the changes can be in a saved state; a DAW always is."""
    plugin.process(np.zeros((2, 256), dtype=np.float32), 48_000, reset=False)


def test_state_is_saved_and_restored():
    plugin = load_plugin()
    plugin.auto_cutoff = False
    plugin.cutoff_hz = 6000
    plugin.mix = 25
    plugin.model = "DDSP"
    plugin.output_gain_db = 2.0
    deliver_parameter_changes(plugin)
    saved = plugin.raw_state
    expected = {name: getattr(plugin, name) for name in plugin.parameters}

    plugin.auto_cutoff = True
    plugin.mix = 100
    plugin.model = "SBR"
    deliver_parameter_changes(plugin)
    assert plugin.model == "SBR"
    plugin.raw_state = saved
    assert {name: getattr(plugin, name) for name in plugin.parameters} == expected

    fresh = load_plugin()
    fresh.raw_state = saved
    assert {name: getattr(fresh, name) for name in fresh.parameters} == expected


def test_non_finite_input_never_reaches_the_output(demo):
    audio, rate = demo
    corrupt = audio.copy()
    corrupt[0, 50_000:50_030] = np.nan
    corrupt[1, 60_000:60_010] = np.inf
    corrupt[0, 70_000] = -np.inf
    corrupt[1, 80_000] = 1e30
    plugin = load_plugin()
    output = plugin_render(plugin, corrupt, rate)
    assert np.all(np.isfinite(output))
    assert np.max(np.abs(output)) < 2.0


def run_in_host(script, **env):
    """Runs `script` in a fresh Python process that has loaded the plugin as `plugin`, with
    `env` added to its environment, and returns that process's stderr, where the plugin logs
    (nice-plug's default log target)."""
    prelude = (
        "import numpy as np, pedalboard\n"
        f"plugin = pedalboard.load_plugin({str(VST3)!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + script],
        capture_output=True, text=True, check=True, env={**os.environ, **env},
    )
    return done.stderr


# A model or provider change takes effect when the host restarts the plugin (it changes the
# latency); pedalboard re-activates it when the sample rate changes, which these scripts use.
REACTIVATE = (
    "plugin.process(np.zeros((2, 4800), dtype=np.float32), 48000)\n"
    "plugin.process(np.zeros((2, 4410), dtype=np.float32), 44100)\n"
)


def test_a_broken_model_file_runs_sbr_and_the_log_says_why(tmp_path):
    broken = tmp_path / "broken-models"
    broken.mkdir()
    shutil.copy(FIXTURES / "tenfold_magnitude.json", broken / "tenfold_magnitude.json")
    (broken / "tenfold_magnitude.onnx").write_bytes(b"this is not a model")
    log = run_in_host("plugin.model = 'Spectral U-Net'\n" + REACTIVATE,
                      AIRLIFT_MODEL_DIR=str(broken))
    assert "ONNX Runtime:" in log
    assert "SBR runs instead" in log


def test_the_embedded_unet_model_renders_like_the_cli(demo, tmp_path, monkeypatch):
    """The Spectral U-Net compiled into the plugin, with no user models: the default model."""
    audio, rate = demo
    empty = tmp_path / "no-user-models"
    empty.mkdir()
    monkeypatch.setenv("AIRLIFT_MODEL_DIR", str(empty))
    assert load_plugin().model == "Spectral U-Net"
    assert_model_renders_like_the_cli(audio, rate, tmp_path, empty, "Spectral U-Net", "unet")


def test_an_unsupported_sample_rate_passes_audio_and_the_log_says_why():
    log = run_in_host(
        "x = np.random.default_rng(1).uniform(-0.5, 0.5, (2, 32000)).astype(np.float32)\n"
        "x[0, 100] = np.nan\n"
        "y = plugin.process(x, 32000)\n"
        "expected = np.nan_to_num(x, nan=0.0)\n"
        "assert plugin.reported_latency_samples == 0\n"
        "assert np.array_equal(y, expected), np.max(np.abs(y - expected))\n"
    )
    assert "unsupported sample rate 32000 Hz" in log
    assert "audio passes through unchanged" in log


def assert_model_renders_like_the_cli(audio, rate, tmp_path, model_dir, choice, cli_name):
    """Pedalboard renders offline, so the plugin waits for every model frame: its render with
    the model `choice` (found via `model_dir`) equals the CLI's `--model cli_name`, keeps the
    reported latency of a model with one look-ahead frame, and differs from SBR."""
    plugin = load_plugin()
    use_model(plugin, choice, rate)
    plugin.auto_cutoff = False
    plugin.cutoff_hz = 8000
    output = plugin_render(plugin, audio, rate)
    assert plugin.reported_latency_samples == 2048 + 3 * 512
    expected = cli_render(
        audio, rate, tmp_path, "--cutoff", str(plugin.cutoff_hz), "--model", cli_name,
        env={**os.environ, "AIRLIFT_MODEL_DIR": str(model_dir)},
    )
    assert np.max(np.abs(output - expected)) < TOLERANCE
    sbr = cli_render(audio, rate, tmp_path, "--cutoff", str(plugin.cutoff_hz), "--model", "sbr")
    assert np.max(np.abs(output - sbr)) > 1e-3


def test_the_fixture_model_renders_like_the_cli(demo, tmp_path, monkeypatch):
    """ONNX Runtime beside the VST3 binary, the fixture from the user model folder."""
    audio, rate = demo
    monkeypatch.setenv("AIRLIFT_MODEL_DIR", str(FIXTURES))
    assert_model_renders_like_the_cli(audio, rate, tmp_path, FIXTURES, "Spectral U-Net", "unet")


def test_the_embedded_ddsp_model_renders_like_the_cli(demo, tmp_path, monkeypatch):
    """The DDSP model compiled into the plugin, with no user models."""
    audio, rate = demo
    empty = tmp_path / "no-user-models"
    empty.mkdir()
    monkeypatch.setenv("AIRLIFT_MODEL_DIR", str(empty))
    assert_model_renders_like_the_cli(audio, rate, tmp_path, empty, "DDSP", "ddsp")


def test_without_onnx_runtime_the_plugin_runs_sbr_and_the_log_says_why():
    log = run_in_host(
        "plugin.model = 'Spectral U-Net'\n"
        "plugin.process(np.zeros((2, 48000), dtype=np.float32), 48000)\n"
        "assert plugin.reported_latency_samples == 2048\n",
        ORT_DYLIB_PATH="/nonexistent/libonnxruntime.so.1.31.1",
        AIRLIFT_MODEL_DIR=str(FIXTURES),
    )
    assert "ONNX Runtime not found" in log
    assert "SBR runs instead" in log


def test_asking_for_cuda_without_it_runs_on_the_cpu_and_says_so():
    log = run_in_host("plugin.execution_provider = 'CUDA'\n" + REACTIVATE, AIRLIFT_MODEL_DIR=str(FIXTURES))
    assert "CUDA unavailable" in log
    assert "running on the CPU" in log


# JUCE's own base64 alphabet, in which pedalboard's VST3 state carries the plugin's state.
JUCE_BASE64 = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"


def plugin_state(raw_state):
    """The plugin's own state (nice-plug's JSON) inside pedalboard's `raw_state`: "VC2!", the
    length of an XML document (4 bytes, little-endian), and the document, whose IComponent
    element holds the state as "size.chars" in JUCE's base64 (six bits a character, least
    significant first)."""
    assert raw_state[:4] == b"VC2!"
    length = int.from_bytes(raw_state[4:8], "little")
    document = ElementTree.fromstring(raw_state[8 : 8 + length].decode().rstrip("\0"))
    size, _, chars = document.find("IComponent").text.partition(".")
    bits = 0
    for k, char in enumerate(chars):
        bits |= JUCE_BASE64.index(char) << (6 * k)
    size = int(size)
    return json.loads((bits & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))


def remembered_band(raw_state):
    """The band a saved state remembers (nice-plug keeps it as a JSON string among the state's
    fields), or None for a state without it."""
    field = plugin_state(raw_state)["fields"].get("remembered_band")
    return None if field is None else json.loads(field)


def lame_round_trip(audio, rate, kbps, work):
    """`audio` through lame at `kbps` (CBR, at its own rate) and back, as tests/src/filters.rs."""
    source, encoded, decoded = work / "in.wav", work / "enc.mp3", work / "dec.wav"
    soundfile.write(source, audio.T, rate, subtype="PCM_16")
    subprocess.run(["lame", "--quiet", "-b", str(kbps), "--cbr", "--resample",
                    str(rate / 1000), str(source), str(encoded)], check=True)
    subprocess.run(["lame", "--quiet", "--decode", str(encoded), str(decoded)], check=True)
    out, _ = soundfile.read(decoded, dtype="float32", always_2d=True)
    out = out.T[:, : audio.shape[1]]
    return np.ascontiguousarray(np.pad(out, ((0, 0), (0, audio.shape[1] - out.shape[1]))))


def butterworth_magnitude(audio, rate, cutoff_hz, order):
    """`audio` through the magnitude response of a digital Butterworth low-pass (bilinear, with
    pre-warping, as tests/src/filters.rs), applied with zero phase over the whole excerpt."""
    spectrum = np.fft.rfft(audio.astype(np.float64), axis=1)
    hz = np.fft.rfftfreq(audio.shape[1], 1 / rate)
    warped = np.tan(np.pi * np.minimum(hz, 0.499 * rate) / rate) / np.tan(np.pi * cutoff_hz / rate)
    gain = 1 / np.sqrt(1 + warped ** (2 * order))
    return np.fft.irfft(spectrum * gain, n=audio.shape[1], axis=1).astype(np.float32)


def lsd_hf(reference, estimate, rate, cutoff_hz, band_edge_hz, work):
    """LSD-HF of `estimate` against `reference` above `cutoff_hz`, by `airlift eval`."""
    ref, est = work / "ref.wav", work / "est.wav"
    soundfile.write(ref, reference.T, rate, subtype="FLOAT")
    soundfile.write(est, estimate.T, rate, subtype="FLOAT")
    done = subprocess.run([str(CLI), "eval", str(ref), str(est), "--cutoff", str(cutoff_hz),
                           "--band-edge", str(band_edge_hz), "--json"],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["lsd_hf"]


@pytest.mark.parametrize("band_limit", ["lame 64 kbps", "lame 128 kbps", "Butterworth 8 at 8 kHz"])
def test_a_session_saved_after_detection_starts_restored(band_limit, tmp_path, monkeypatch):
    """The default model (the Spectral U-Net, compiled in) on every committed excerpt: played
    once, saved, then loaded into a fresh plugin and played from the top. Its opening is judged
    against its rest, as the CLI's look-ahead is."""
    monkeypatch.setenv("AIRLIFT_MODEL_DIR", str(NO_MODELS))
    totals = {"opening": 0.0, "rest": 0.0, "first": 0.0}
    measured = 0
    for entry in json.loads((EXCERPTS / "excerpts.json").read_text()):
        clean, rate = soundfile.read(EXCERPTS / entry["file"], dtype="float32", always_2d=True)
        clean = np.ascontiguousarray(clean.T)
        if band_limit.startswith("lame"):
            limited = lame_round_trip(clean, rate, int(band_limit.split()[1]), tmp_path)
        else:
            limited = butterworth_magnitude(clean, rate, 8000, 8)
        first = load_plugin()
        assert first.model == "Spectral U-Net"
        first_output = plugin_render(first, limited, rate)
        saved = first.raw_state
        band = remembered_band(saved)
        assert band["settled"], entry["file"]
        cutoff_hz = band["band_limit_hz"]
        if cutoff_hz == 0 or cutoff_hz >= 0.9 * entry["band_edge_hz"]:
            continue
        reopened = load_plugin()
        reopened.raw_state = saved
        assert remembered_band(reopened.raw_state) == band
        output = plugin_render(reopened, limited, rate)
        split = int(OPENING_SECONDS * rate)
        edge = entry["band_edge_hz"]
        parts = {
            "opening": (clean[:, :split], output[:, :split]),
            "rest": (clean[:, split:], output[:, split:]),
            "first": (clean[:, :split], first_output[:, :split]),
        }
        for name, (reference, estimate) in parts.items():
            totals[name] += lsd_hf(reference, estimate, rate, cutoff_hz, edge, tmp_path)
        measured += 1
    assert measured >= 15, f"{band_limit}: only {measured} excerpts band-limited"
    print(f"{band_limit}: {measured} excerpts, mean LSD-HF "
          + ", ".join(f"{name} {total / measured:.3f}" for name, total in totals.items()))
    assert totals["opening"] <= MAX_OPENING_RATIO * totals["rest"], totals
    if band_limit != "lame 128 kbps":
        # The first time, detection listens through the opening: what remembering buys.
        assert totals["first"] > MAX_OPENING_RATIO * totals["rest"], totals
