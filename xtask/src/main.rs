//! `cargo xtask`: bundling, installing, testing and benchmarking Airlift.
//!
//! - `bundle <package> [--release] [--cuda] [cargo args]`: nice-plug's bundler (CLAP and VST3
//!   under `target/bundled/`), with ONNX Runtime placed beside them (the CUDA build with
//!   `--cuda`).
//! - `install`: bundles in release mode, installs into `~/.clap` and `~/.vst3`, and renders the
//!   demo (a recorded excerpt through lame at 128 kbps) with every model, printing the detected
//!   band limit and each model's figures against the original.
//! - `test`: the full test suite (Rust tests, the real bundle in a CLAP host and in pedalboard).
//! - `bench`: speed of the engine and of the command-line render on one core, then folder jobs
//!   and the inference worker's wake-up on every core.
//! - `soak [ARGS]`: `airlift soak` on the demo with the release CLI; `soak --load [--minutes M]`
//!   finds the largest count of U-Net instances (16 down to 2) that runs without a dropout.
//! - `fuzz [--files N] [--seed S] [--timeout-seconds T] [--jobs J]`: renders mutated copies of
//!   a recorded excerpt in every format the decoders read, and counts crashes, hangs, partial
//!   files and unclear errors (`target/fuzz/summary.json`).
//! - `train ddsp`: synthesizes the training music, trains the DDSP model, exports
//!   `models/ddsp.onnx` with its manifest and reference files, and measures it against SBR on
//!   the validation split (a Python venv in `target/train-venv`).
//! - `train unet`: the Spectral U-Net on the recorded-music corpus, exported to
//!   `models/unet.onnx` with its manifest and reference, and measured against SBR and DDSP.
//! - `train worn-corner`: the worn-transfer judge (the band-limit detector's small network that
//!   finds an old disc's corner) on the corpus, written to `models/worn_corner.json` with its
//!   reference.
//! - `train hiss-mask`: Denoise's hiss mask (the small network that tells a disc's hiss from the
//!   music) on the corpus, written to `models/hiss_mask.json` with its reference.
//! - `top-band`: the README's table of the top of the band (the level by thirds and the LSD from
//!   the cutoff to 20 kHz) for every model, on the excerpts and the corpus's validation split.
//! - `setup`: installs the Debian packages the build and the tests need.
//! - `screenshot`: opens the editor of the standalone application in a virtual X display
//!   (Xvfb), playing the demo clip, and saves a screenshot to `target/editor/editor.png`.

mod fuzz;
mod onnxruntime;
mod python;
mod soak;
mod system;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The plugin package and the name of its bundles.
const PACKAGE: &str = "airlift";

/// The demo that `install` renders: a committed recorded excerpt with a full band, through
/// lame at 128 kbps, the file people most often have.
const DEMO_MP3: &str = "assets/demo/armygeddon_128k.mp3";

/// The full-band original of [`DEMO_MP3`], one of the committed test excerpts.
const DEMO_ORIGINAL: &str = "tests/excerpts/vocals_armygeddon.flac";

/// Who made [`DEMO_ORIGINAL`], and its licence.
const DEMO_CREDIT: &str = "\"Armygeddon\" by El Senator and Muldjord, from Debian's \
                           fretsonfire-songs-muldjord, CC-BY-SA-3.0";
const BUNDLE_NAME: &str = "Airlift";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match command.as_str() {
        "bundle" => {
            let args: Vec<String> = args.collect();
            let cuda = args.iter().any(|a| a == "--cuda");
            let cargo_args: Vec<&str> = args
                .iter()
                .map(String::as_str)
                .filter(|a| *a != "--cuda")
                .collect();
            let Some((package, extra)) = cargo_args.split_first() else {
                bail!("usage: cargo xtask bundle <package> [--release] [--cuda]");
            };
            bundle_package(&root, package, extra, cuda)
        }
        "install" => install(&root),
        "test" => test(&root),
        "setup" => system::ensure_packages(),
        "screenshot" => screenshot(&root).map(|path| println!("{}", path.display())),
        "bench" => bench(&root),
        "soak" => soak::soak(&root, &args.collect::<Vec<_>>()),
        "fuzz" => fuzz::fuzz(&root, &args.collect::<Vec<_>>()),
        "corpus" => corpus(&root, &args.collect::<Vec<_>>()),
        "quality" => quality(&root, &args.collect::<Vec<_>>()),
        "top-band" => top_band(&root),
        "spectrograms" => spectrograms(&root),
        "train" => {
            let args: Vec<String> = args.collect();
            match args.split_first() {
                Some((model, extra)) if model == "ddsp" => train_ddsp(&root, extra),
                Some((model, extra)) if model == "unet" => train_unet(&root, extra),
                Some((model, extra)) if model == "worn-corner" => {
                    train_worn_corner(&root, extra)
                }
                Some((model, extra)) if model == "hiss-mask" => train_hiss_mask(&root, extra),
                _ => bail!(
                    "usage: cargo xtask train <ddsp | unet | worn-corner | hiss-mask> [pipeline options, e.g. --steps N]"
                ),
            }
        }
        _ => bail!(
            "usage: cargo xtask <bundle <package> [--release] [--cuda] | install | test | bench | soak [--load] [ARGS] | fuzz [--files N] [--seed S] [--timeout-seconds T] [--jobs J] | corpus | quality [--before BIN] | top-band | train <ddsp | unet | worn-corner | hiss-mask> | spectrograms | setup | screenshot>\n\
             unknown command '{command}'"
        ),
    }
}

/// The workspace root: the parent of this crate's folder.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_owned()
}

/// Runs a command, failing with its command line when it fails.
fn run(command: &mut Command) -> Result<()> {
    eprintln!("+ {command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// Runs a command and returns its standard output.
fn output(command: &mut Command) -> Result<String> {
    eprintln!("+ {command:?}");
    let out = command
        .output()
        .with_context(|| format!("could not start {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Bundles the plugin; `extra` goes to `cargo build`.
fn bundle(root: &Path, extra: &[&str]) -> Result<()> {
    bundle_package(root, PACKAGE, extra, false)
}

/// Bundles `package` with nice-plug's bundler and puts ONNX Runtime beside the bundles and the
/// CLI binaries, where the plugin looks for it.
fn bundle_package(root: &Path, package: &str, extra: &[&str], cuda: bool) -> Result<()> {
    let args = ["bundle", package]
        .into_iter()
        .chain(extra.iter().copied())
        .map(String::from);
    nice_plug_xtask::main_with_args("cargo xtask", args)?;
    if package == PACKAGE {
        let runtime = onnxruntime::fetch(root, cuda)?;
        let bundled = root.join("target/bundled");
        let vst3 = bundled.join(format!("{BUNDLE_NAME}.vst3"));
        onnxruntime::place(&runtime, &[bundled, onnxruntime::vst3_binary_dir(&vst3)])?;
    }
    Ok(())
}

/// Puts ONNX Runtime beside the CLI in `target/<profile>/`.
fn place_runtime_for_cli(root: &Path, profile: &str) -> Result<()> {
    let runtime = onnxruntime::fetch(root, false)?;
    onnxruntime::place(&runtime, &[root.join("target").join(profile)])
}

/// Copies a file or a folder tree.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        std::fs::copy(from, to).with_context(|| format!("copying {}", from.display()))?;
    }
    Ok(())
}

fn install(root: &Path) -> Result<()> {
    system::ensure_packages()?;
    bundle(root, &["--release"])?;
    let home = PathBuf::from(std::env::var("HOME").context("HOME is not set")?);
    let bundled = root.join("target/bundled");
    for (bundle, folder) in [("clap", ".clap"), ("vst3", ".vst3")] {
        let name = format!("{BUNDLE_NAME}.{bundle}");
        let destination = home.join(folder).join(&name);
        if destination.is_dir() {
            std::fs::remove_dir_all(&destination)?;
        }
        std::fs::create_dir_all(home.join(folder))?;
        copy_tree(&bundled.join(&name), &destination)?;
        println!("installed {}", destination.display());
    }
    // The .clap is a single file: its ONNX Runtime goes beside it (the .vst3 carries its own).
    let runtime = onnxruntime::fetch(root, false)?;
    onnxruntime::place(&runtime, &[home.join(".clap")])?;
    println!(
        "installed ONNX Runtime {} beside them",
        onnxruntime::VERSION
    );

    run(cargo().args(["build", "--release", "-p", PACKAGE, "--bin", "airlift"]))?;
    place_runtime_for_cli(root, "release")?;
    let cli = root.join("target/release/airlift");
    let input = root.join(DEMO_MP3);
    let original = root.join(DEMO_ORIGINAL);
    let out_dir = root.join("target/demo");
    std::fs::create_dir_all(&out_dir)?;
    println!(
        "\nDemo: {DEMO_MP3}, a 128 kbps MP3 (lame 3.100) of {DEMO_ORIGINAL}, recorded music \
         with a full band ({DEMO_CREDIT})"
    );
    let detected = output(Command::new(&cli).arg("detect").arg(&input))?;
    print!("{detected}");
    let cutoff_hz: Option<f32> = detected
        .trim()
        .strip_prefix("band limit: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|hz| hz.parse().ok());
    let cutoff_args: Vec<String> = cutoff_hz
        .map(|hz| vec!["--cutoff".into(), format!("{hz}")])
        .unwrap_or_default();
    // Each model renders with the CLI's defaults: the whole file is heard first, so the band
    // is there from the first sample (each render's report says so).
    let mut rows = vec![("MP3 at 128 kbps (the input)".to_string(), input.clone())];
    for (label, model, file) in [
        ("SBR", "sbr", "demo_airlift_sbr.wav"),
        ("DDSP", "ddsp", "demo_airlift_ddsp.wav"),
        ("Spectral U-Net (default)", "unet", "demo_airlift.wav"),
    ] {
        let restored = out_dir.join(file);
        println!("\n{label}:");
        run(Command::new(&cli)
            .arg("render")
            .arg(&input)
            .arg(&restored)
            .args(["--model", model, "--overwrite"]))?;
        rows.push((format!("Airlift, {label}"), restored));
    }
    println!(
        "\nAgainst the original (LSD-HF above {}; the level of the band from there to 20 kHz by \
         thirds, 0 dB being the original's):",
        cutoff_hz.map_or("the cutoff".into(), |hz| format!("{hz:.0} Hz"))
    );
    println!(
        "{:<34} {:>7} {:>10}   top band by thirds",
        "", "LSD-HF", "SI-SDR"
    );
    for (label, estimate) in &rows {
        let report = output(
            Command::new(&cli)
                .arg("eval")
                .arg(&original)
                .arg(estimate)
                .args(&cutoff_args),
        )?;
        println!("{label:<34} {}", demo_figures(&report));
    }
    println!(
        "\nrestored: {} (Spectral U-Net; DDSP and SBR beside it); the original: {}",
        out_dir.join("demo_airlift.wav").display(),
        original.display()
    );
    Ok(())
}

/// LSD-HF, SI-SDR and the level of the top of the band by thirds, read from `airlift eval`'s
/// report, as one row of the demo's table (the report as it is when it has not got them).
fn demo_figures(report: &str) -> String {
    let field = |name: &str| {
        report
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
    };
    let first_word = |text: &str| text.split_whitespace().next().unwrap_or("").to_string();
    let lsd_hf = field("LSD-HF:").map(first_word);
    let si_sdr = field("SI-SDR:").map(|text| text.to_string());
    let top = field("top band:").and_then(|text| {
        let levels = text.split("level ").nth(1)?;
        Some(levels.split(" dB by thirds").next()?.to_string())
    });
    match (lsd_hf, si_sdr, top) {
        (Some(lsd_hf), Some(si_sdr), Some(top)) => format!("{lsd_hf:>7} {si_sdr:>10}   {top} dB"),
        _ => report.replace('\n', "; "),
    }
}

fn test(root: &Path) -> Result<()> {
    system::ensure_packages()?;
    // A debug bundle with nice-plug's allocation checks: any allocation inside `process`
    // aborts the host, so the CLAP and VST3 tests below prove the audio thread never
    // allocates.
    bundle(root, &["--features", "assert_process_allocs"])?;
    run(cargo().args(["build", "-p", PACKAGE, "--bin", "airlift"]))?;
    place_runtime_for_cli(root, "debug")?;
    run(cargo().args(["test", "--workspace"]))?;
    let screenshot = screenshot(root)?;
    let venv = python::ensure_venv(root, "python-venv", python::TEST_REQUIREMENTS)?;
    let status = Command::new(venv.join("bin/python"))
        .args(["-m", "pytest", "-q", "tests/python"])
        .env(
            "AIRLIFT_VST3",
            root.join("target/bundled")
                .join(format!("{BUNDLE_NAME}.vst3")),
        )
        .env("AIRLIFT_CLI", root.join("target/debug/airlift"))
        .env("AIRLIFT_SCREENSHOT", &screenshot)
        .status()
        .context("could not start pytest")?;
    if !status.success() {
        bail!("the VST3 tests failed");
    }
    Ok(())
}

/// Builds the release CLI, puts ONNX Runtime beside it and returns its path.
fn release_cli(root: &Path) -> Result<PathBuf> {
    run(cargo().args(["build", "--release", "-p", PACKAGE, "--bin", "airlift"]))?;
    place_runtime_for_cli(root, "release")?;
    Ok(root.join("target/release/airlift"))
}

/// The user model folder to run the CLI with (`AIRLIFT_MODEL_DIR`): the one set in the
/// environment, or else an empty folder, so that the shipped models embedded in the CLI run.
fn user_model_dir(root: &Path) -> Result<PathBuf> {
    Ok(match std::env::var_os("AIRLIFT_MODEL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let empty = root.join("target/cli-no-user-models");
            std::fs::create_dir_all(&empty)?;
            empty
        }
    })
}

fn bench(root: &Path) -> Result<()> {
    let cli = release_cli(root)?;
    let models = user_model_dir(root)?;
    // The engine part on one core: the engine is single-threaded, and pinning keeps the
    // figure honest.
    let mut command = if Command::new("taskset").arg("-V").output().is_ok() {
        let mut command = Command::new("taskset");
        command.args(["-c", "0"]).arg(&cli);
        command
    } else {
        Command::new(&cli)
    };
    run(command.arg("bench").env("AIRLIFT_MODEL_DIR", &models))?;
    // The threads part (folder jobs, the worker's wake-up) on every core.
    run(Command::new(&cli)
        .args(["bench", "--part", "threads"])
        .env("AIRLIFT_MODEL_DIR", &models))
}

/// The DDSP training pipeline, end to end: the recorded-music corpus (built first when it is
/// missing), Debian's codecs, the venv, the release CLI (which measures the new model against
/// SBR), then `python -m airlift_train.training.ddsp_pipeline`. Extra arguments go to the
/// pipeline.
fn train_ddsp(root: &Path, extra: &[String]) -> Result<()> {
    train_on_corpus(
        root,
        "airlift_train.training.ddsp_pipeline",
        "target/ddsp",
        extra,
        "ddsp",
    )
}

/// The Spectral U-Net training pipeline, end to end: the recorded-music corpus (built first
/// when it is missing), Debian's codecs, the venv, the release CLI (which measures the new
/// model against SBR and DDSP), then `python -m airlift_train.training.unet_pipeline`. Extra
/// arguments go to the pipeline.
fn train_unet(root: &Path, extra: &[String]) -> Result<()> {
    train_on_corpus(
        root,
        "airlift_train.training.unet_pipeline",
        "target/unet",
        extra,
        "unet",
    )
}

/// The worn-transfer judge (the detector's small network that finds an old disc's corner),
/// end to end: the recorded-music corpus (built first when it is missing), the venv, then
/// `python -m airlift_train.training.worn_corner_train`, which writes
/// `models/worn_corner.json` and its reference. Extra arguments go to the pipeline.
fn train_worn_corner(root: &Path, extra: &[String]) -> Result<()> {
    train_on_corpus(
        root,
        "airlift_train.training.worn_corner_train",
        "target/worn_corner",
        extra,
        "worn_corner",
    )
}

/// The hiss mask (Denoise's small network that tells a disc's hiss from the music), end to
/// end: the recorded-music corpus (built first when it is missing), the venv, then `python -m
/// airlift_train.training.hiss_mask_train`, which writes `models/hiss_mask.json` and its
/// reference. Extra arguments go to the pipeline.
fn train_hiss_mask(root: &Path, extra: &[String]) -> Result<()> {
    train_on_corpus(
        root,
        "airlift_train.training.hiss_mask_train",
        "target/hiss_mask",
        extra,
        "hiss_mask",
    )
}

/// Builds the corpus when it is missing, then trains with `module`, its scratch and data
/// cache in `work` (relative to the root).
fn train_on_corpus(
    root: &Path,
    module: &str,
    work: &str,
    extra: &[String],
    name: &str,
) -> Result<()> {
    if !root.join("target/corpus/manifest.json").is_file() {
        corpus(root, &[])?;
    }
    let (work, corpus) = (root.join(work), root.join("target/corpus"));
    let args: [&dyn AsRef<std::ffi::OsStr>; 4] = [&"--work", &work, &"--corpus", &corpus];
    train_model(root, module, &args, extra, name)
}

/// Installs what training needs, builds the release CLI and runs the pipeline `module` with
/// `--out models --cli <the CLI>`, `args` and the user's `extra` arguments; `name` is the
/// model's file name in `models/`.
fn train_model(
    root: &Path,
    module: &str,
    args: &[&dyn AsRef<std::ffi::OsStr>],
    extra: &[String],
    name: &str,
) -> Result<()> {
    system::ensure(system::TRAINING_PACKAGES)?;
    let venv = python::ensure_venv(root, "train-venv", python::TRAIN_REQUIREMENTS)?;
    run(cargo().args(["build", "--release", "-p", PACKAGE, "--bin", "airlift"]))?;
    place_runtime_for_cli(root, "release")?;
    let status = Command::new(venv.join("bin/python"))
        .args(["-m", module, "--out"])
        .arg(root.join("models"))
        .args(args.iter().map(|a| a.as_ref()))
        .arg("--cli")
        .arg(root.join("target/release/airlift"))
        .args(extra)
        .current_dir(root.join("models"))
        .status()
        .context("could not start the training pipeline")?;
    if !status.success() {
        bail!("training the {name} model failed");
    }
    println!(
        "models/{name}.* (the model, its manifest and reference) are written; rebuild the plugin \
         to embed the new model"
    );
    Ok(())
}

/// Builds the recorded-music corpus: installs its Debian packages, decodes every piece at 44.1
/// and 48 kHz under `target/corpus` with a manifest, and rewrites the committed test excerpts
/// (`tests/excerpts/`, deterministic). Extra arguments go to the script.
fn corpus(root: &Path, extra: &[String]) -> Result<()> {
    system::ensure(system::CORPUS_PACKAGES)?;
    let venv = python::ensure_venv(root, "corpus-venv", python::CORPUS_REQUIREMENTS)?;
    let status = Command::new(venv.join("bin/python"))
        .args(["-m", "airlift_train.corpus.build", "--out"])
        .arg(root.join("target/corpus"))
        .arg("--excerpts")
        .arg(root.join("tests/excerpts"))
        .args(extra)
        .current_dir(root.join("models"))
        .status()
        .context("could not start the corpus builder")?;
    if !status.success() {
        bail!("building the corpus failed");
    }
    Ok(())
}

/// Draws `assets/spectrograms.png`, the README's picture: a committed drum excerpt as it was,
/// through lame at 128 kbps, and restored by SBR, DDSP and the Spectral U-Net with the release
/// CLI (`models/airlift_train/evaluation/spectrograms.py`). Run it again after every retraining.
fn spectrograms(root: &Path) -> Result<()> {
    system::ensure(&["lame"])?;
    let venv = python::ensure_venv(root, "corpus-venv", python::CORPUS_REQUIREMENTS)?;
    run(cargo().args(["build", "--release", "-p", PACKAGE, "--bin", "airlift"]))?;
    place_runtime_for_cli(root, "release")?;
    run(Command::new(venv.join("bin/python"))
        .args(["-m", "airlift_train.evaluation.spectrograms", "--cli"])
        .arg(root.join("target/release/airlift"))
        .arg("--excerpt")
        .arg(root.join("tests/excerpts/drums_amen.flac"))
        .arg("--out")
        .arg(root.join("assets/spectrograms.png"))
        .current_dir(root.join("models")))?;
    // The demo that `install` renders, with the U-Net as a first hearing hears it too.
    run(Command::new(venv.join("bin/python"))
        .args(["-m", "airlift_train.evaluation.spectrograms", "--cli"])
        .arg(root.join("target/release/airlift"))
        .arg("--excerpt")
        .arg(root.join(DEMO_ORIGINAL))
        .arg("--input")
        .arg(root.join(DEMO_MP3))
        .arg("--with-auto")
        .arg("--out")
        .arg(root.join("assets/demo.png"))
        .current_dir(root.join("models")))
}

/// Measures the README's quality tables on the committed excerpts with the release CLI
/// (`models/airlift_train/evaluation/excerpt_eval.py`); `--before BIN` adds a column for
/// another `airlift` binary, for before-and-after tables.
fn quality(root: &Path, extra: &[String]) -> Result<()> {
    system::ensure(&["lame"])?;
    let venv = python::ensure_venv(root, "corpus-venv", python::CORPUS_REQUIREMENTS)?;
    run(cargo().args(["build", "--release", "-p", PACKAGE, "--bin", "airlift"]))?;
    place_runtime_for_cli(root, "release")?;
    let mut command = Command::new(venv.join("bin/python"));
    command.args(["-m", "airlift_train.evaluation.excerpt_eval"]);
    if let [flag, before] = extra {
        if flag != "--before" {
            bail!("usage: cargo xtask quality [--before BIN]");
        }
        command.args(["--airlift", before, "--label", "before"]);
    } else if !extra.is_empty() {
        bail!("usage: cargo xtask quality [--before BIN]");
    }
    // Every binary measured, an older one included, runs its models on the runtime placed
    // beside the release CLI.
    let runtime = root
        .join("target/release")
        .join(format!("libonnxruntime.so.{}", onnxruntime::VERSION));
    command
        .arg("--airlift")
        .arg(root.join("target/release/airlift"))
        .args(["--label", "now"])
        .env("ORT_DYLIB_PATH", runtime)
        .current_dir(root.join("models"));
    let status = command
        .status()
        .context("could not start the measurement")?;
    if !status.success() {
        bail!("the quality measurement failed");
    }
    Ok(())
}

/// Measures the README's table of the top of the band with the release CLI
/// (`models/airlift_train/evaluation/top_band.py`): the committed excerpts, and the corpus's
/// validation split when `target/corpus` holds one. It reads corpus stretches with the training
/// package's corpus module, so it runs in the training venv.
fn top_band(root: &Path) -> Result<()> {
    system::ensure(&["lame"])?;
    let venv = python::ensure_venv(root, "train-venv", python::TRAIN_REQUIREMENTS)?;
    run(cargo().args(["build", "--release", "-p", PACKAGE, "--bin", "airlift"]))?;
    place_runtime_for_cli(root, "release")?;
    let mut command = Command::new(venv.join("bin/python"));
    command
        .args(["-m", "airlift_train.evaluation.top_band", "--airlift"])
        .arg(root.join("target/release/airlift"))
        .current_dir(root.join("models"));
    let corpus = root.join("target/corpus");
    if corpus.join("manifest.json").is_file() {
        command.arg("--corpus").arg(corpus);
    }
    let status = command
        .status()
        .context("could not start the measurement")?;
    if !status.success() {
        bail!("the top-of-the-band measurement failed");
    }
    Ok(())
}

/// Opens the standalone application's editor in Xvfb, playing the demo clip (band-limited, so
/// the generated band shows), and saves a screenshot of the editor. Returns its path.
fn screenshot(root: &Path) -> Result<PathBuf> {
    run(cargo().args([
        "build",
        "-p",
        PACKAGE,
        "--features",
        "standalone",
        "--bin",
        "airlift-standalone",
    ]))?;
    let out_dir = root.join("target/editor");
    std::fs::create_dir_all(&out_dir)?;
    let full = out_dir.join("screen.png");
    let editor = out_dir.join("editor.png");
    let _ = std::fs::remove_file(&full);
    let standalone = root.join("target/debug/airlift-standalone");
    let clip = root.join("assets/demo/mp3_64k.flac");
    let log = out_dir.join("standalone.log");
    // The window opens at the top left of the virtual screen; after a few seconds of the clip
    // the detector has decided and the spectrum is full.
    let script = format!(
        "{standalone:?} --demo {clip:?} --backend dummy --sample-rate 44100 --period-size 512 > {log:?} 2>&1 &\n\
         pid=$!\n\
         sleep 6\n\
         import -window root {full:?}\n\
         kill $pid\n"
    );
    run(Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1000x640x24", "sh", "-c", &script])
        .env("AIRLIFT_MODEL_DIR", out_dir.join("no-models")))
    .context("the editor screenshot needs Xvfb and ImageMagick (cargo xtask setup)")?;
    if !full.exists() {
        bail!("no screenshot was taken; see {}", log.display());
    }
    let (width, height) = editor_size();
    run(Command::new("convert")
        .arg(&full)
        .args(["-crop", &format!("{width}x{height}+0+0"), "+repage"])
        .arg(&editor))?;
    Ok(editor)
}

/// The editor's default size in pixels (at 100 %).
fn editor_size() -> (u32, u32) {
    (900, 560)
}
