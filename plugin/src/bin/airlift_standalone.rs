//! Airlift as a standalone application (JACK, ALSA or no audio), with its editor in a window.

fn main() {
    nice_plug::prelude::nice_export_standalone::<airlift::Airlift>();
}
