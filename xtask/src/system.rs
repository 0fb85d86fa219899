//! The Debian packages Airlift's build and tests need, installed when missing.

use std::process::Command;

use anyhow::{Context, Result};

use crate::run;

/// Build: X11, OpenGL, ALSA and JACK headers for the editor and the standalone application.
/// Tests: lame (MP3 band limits), python3-venv (pedalboard), Xvfb, ImageMagick and Mesa (the
/// editor in a real window, and its screenshot).
pub const PACKAGES: &[&str] = &[
    "pkg-config",
    "libx11-dev",
    "libx11-xcb-dev",
    "libxcb1-dev",
    "libxcb-dri2-0-dev",
    "libxcb-icccm4-dev",
    "libxcursor-dev",
    "libxrandr-dev",
    "libgl1-mesa-dev",
    "libgl1-mesa-dri",
    "libasound2-dev",
    "libjack-jackd2-dev",
    "lame",
    "python3-venv",
    "xvfb",
    "xauth",
    "imagemagick",
];

/// Decoder fuzzing (`cargo xtask fuzz`): sox cuts the seed files, lame, vorbis-tools and
/// ffmpeg encode the MP3, Ogg and AAC ones.
pub const FUZZ_PACKAGES: &[&str] = &["sox", "lame", "vorbis-tools", "ffmpeg"];

/// Training data: fluidsynth and the General MIDI soundfont render the generated music; lame
/// makes the MP3 band limits, and vorbis-tools the Vorbis ones.
pub const TRAINING_PACKAGES: &[&str] = &[
    "fluidsynth",
    "fluid-soundfont-gm",
    "lame",
    "vorbis-tools",
    "python3-venv",
];

/// The recorded-music corpus (`models/airlift_train/corpus/build.py` lists where each keeps its
/// music; `unknown-horizons` and `ardentryst` are whole games, installed for their soundtracks),
/// python3-venv for its script. About 4 GB of downloads and 7 GB installed, most of it 0 A.D.'s.
/// Never a wesnoth, supertux, supertuxkart or hedgewars package: those are reserved for an
/// independent evaluation.
pub const CORPUS_PACKAGES: &[&str] = &[
    "warzone2100-music",
    "nexuiz-music",
    "ufoai-music",
    "hyperrogue-music",
    "singularity-music",
    "planetblupi-music-ogg",
    "sonic-pi-samples",
    "hydrogen-drumkits",
    "0ad-data",
    "naev-data",
    "widelands-data",
    "freedroidrpg-data",
    "redeclipse-data",
    "megaglest-data",
    "unknown-horizons",
    "ardentryst",
    "openclonk-data",
    "xmoto-data",
    "freeorion-data",
    "neverball-common",
    "extremetuxracer-data",
    "lincity-ng-data",
    "warmux-data",
    "fretsonfire-songs-muldjord",
    "fretsonfire-songs-sectoid",
    "hydrogen-drumkits-effects",
    "hydrogen-data",
    "lmms-common",
    "drascula-music",
    "colobot-common-sounds",
    "flare-game",
    "scorched3d-data",
    "starfighter-data",
    "lordsawar-data",
    "pushover-data",
    "trackballs-data",
    "torcs-data",
    "caveexpress-data",
    "zaz-data",
    "frozen-bubble-data",
    "pathological",
    "tuxmath-data",
    "freeciv-data",
    "gunroar-data",
    "mu-cade-data",
    "titanion-data",
    "torus-trooper-data",
    "parsec47-data",
    "rrootage-data",
    "noiz2sa-data",
    "tumiki-fighters-data",
    "python3-venv",
];

/// Installs the packages of [`PACKAGES`] that are missing.
pub fn ensure_packages() -> Result<()> {
    ensure(PACKAGES)
}

/// Installs the packages of `packages` that are missing, with apt-get (as root, or through
/// `sudo -n`).
pub fn ensure(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", package])
                .output()
                .is_ok_and(|out| {
                    String::from_utf8_lossy(&out.stdout).contains("install ok installed")
                })
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    let apt_get = |args: &[&str]| {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run(&mut apt_get(&["update", "-q"]))
        .and_then(|()| {
            run(apt_get(&["install", "-y", "-q", "--no-install-recommends"]).args(&missing))
        })
        .with_context(|| format!("installing {missing:?} with apt-get"))
}
