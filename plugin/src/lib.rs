//! Airlift: restores the missing high band of band-limited music.
//!
//! This file holds only the plugin glue (nice-plug's `Plugin`, `ClapPlugin`, `Vst3Plugin`) and
//! the exports; the work happens in the host-agnostic [`engine`].

pub mod dsp;
pub mod editor;
pub mod engine;
pub mod inference;
pub mod model_kind;
pub mod params;

pub mod audio_file;
pub mod cli;
pub mod demo;

use std::sync::{Arc, Mutex};

use nice_plug::prelude::*;

use editor::spectrum::{spectrum_channel, SpectrumReader, SpectrumTap};
use editor::view::EditorModel;
use engine::{DetectAgain, Engine, ModelKind, ProcessingMode, RememberedBand, SharedStatus};
use inference::model::{ProviderChoice, SessionSettings};
use inference::worker::WorkerOptions;
use nice_plug_egui::EguiEditorState;
use params::AirliftParams;

/// The plugin instance.
pub struct Airlift {
    /// Parameters shared with the host and the editor.
    params: Arc<AirliftParams>,
    /// The engine, made in `activate`; `None` before, and when the configuration is
    /// unsupported (then audio passes through unchanged).
    engine: Option<Engine>,
    /// What the engine is doing, published for the editor.
    status: Arc<SharedStatus>,
    /// One short sentence for the editor when something falls back ("U-Net unavailable: ONNX
    /// Runtime not found. Using SBR."), empty otherwise; the details go to the log. Written in
    /// `activate` only, never on the audio thread.
    notice: Arc<Mutex<String>>,
    /// The model and provider the engine was built for.
    engine_choice: (ModelKind, ProviderChoice),
    /// Whether a restart has been asked for since the last activation.
    restart_requested: bool,
    /// The editor's size and whether it is open (an atomic the audio thread may read).
    editor_state: Arc<EguiEditorState>,
    /// The audio thread's end of the live spectra.
    spectrum_tap: SpectrumTap,
    /// The editor's end of the live spectra (locked on the GUI thread only).
    spectrum_reader: Arc<Mutex<SpectrumReader>>,
    /// The editor's "Detect again" requests.
    detect_again: Arc<DetectAgain>,
    /// The last "Detect again" request the audio thread acted on.
    detect_again_seen: u32,
    /// The remembered band as the engine last took it from, or wrote it to, the saved state:
    /// a different value there is a state the host loaded.
    remembered_seen: RememberedBand,
    /// The standalone application's demo input, when it was asked for one.
    demo: Option<demo::DemoPlayer>,
}

impl Default for Airlift {
    fn default() -> Self {
        let (spectrum_tap, spectrum_reader) = spectrum_channel();
        Self {
            params: Arc::new(AirliftParams::default()),
            engine: None,
            status: Arc::new(SharedStatus::default()),
            notice: Arc::new(Mutex::new(String::new())),
            engine_choice: (ModelKind::Sbr, ProviderChoice::Auto),
            restart_requested: false,
            editor_state: editor::default_state(),
            spectrum_tap,
            spectrum_reader: Arc::new(Mutex::new(spectrum_reader)),
            detect_again: Arc::new(DetectAgain::default()),
            detect_again_seen: 0,
            remembered_seen: RememberedBand::default(),
            demo: demo::DemoPlayer::from_clip(),
        }
    }
}

impl Plugin for Airlift {
    const NAME: &'static str = "Airlift";
    const VENDOR: &'static str = "Airlift";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = nice_plug_egui::EguiEditor<editor::AirliftEditor>;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.editor_state.clone(),
            EditorModel {
                params: self.params.clone(),
                status: self.status.clone(),
                notice: self.notice.clone(),
                spectrum: self.spectrum_reader.clone(),
                detect_again: self.detect_again.clone(),
            },
        )
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = layout
            .main_output_channels
            .map_or(0, |channels| channels.get() as usize);
        let settings = self.params.engine_settings();
        let provider: ProviderChoice = self.params.provider.value().into();
        if self.restart_requested {
            nice_log!(
                "Airlift: switching from {} to {} ({provider:?})",
                self.engine_choice.0.display_name(),
                settings.model.display_name()
            );
        }
        self.engine_choice = (settings.model, provider);
        self.restart_requested = false;
        // Drop the old engine (and join its worker) here, off the audio thread.
        self.engine = None;
        let mode = if buffer_config.process_mode == ProcessMode::Offline {
            ProcessingMode::Offline
        } else {
            ProcessingMode::Realtime
        };
        let rate = buffer_config.sample_rate;
        let mut notice = String::new();
        let worker = if settings.model == ModelKind::Sbr || engine::check_sample_rate(rate).is_err()
        {
            None
        } else {
            let layout = dsp::stft::StftLayout::for_sample_rate(rate);
            let session = SessionSettings {
                provider,
                ..SessionSettings::default()
            };
            match inference::start_model(
                settings.model,
                layout,
                channels,
                session,
                WorkerOptions::default(),
            ) {
                Ok(link) => {
                    let mode_name = match mode {
                        ProcessingMode::Offline => "offline: waits for every frame",
                        ProcessingMode::Realtime => "real time",
                    };
                    nice_log!("Airlift: {}, {mode_name}", link.summary());
                    if let Some(note) = &link.provider_note {
                        nice_warn!("Airlift: {note}");
                        notice = "CUDA unavailable: running on the CPU.".into();
                    }
                    Some((settings.model, link))
                }
                Err(error) => {
                    nice_warn!("Airlift: {error}; SBR runs instead");
                    notice = error.sentence(settings.model);
                    None
                }
            }
        };
        match Engine::with_worker(rate, channels, settings, worker, mode) {
            Ok(mut engine) => {
                // A reopened session, or an offline bounce, starts from what was detected.
                self.remembered_seen = self.params.remembered_band.load();
                engine.remember(self.remembered_seen);
                context.set_latency_samples(engine.latency_samples());
                self.status.publish(&engine.status());
                self.spectrum_tap.configure(&engine.layout());
                self.engine = Some(engine);
            }
            Err(error) => {
                // Still load and pass audio: a DAW session must not break on an odd rate.
                nice_error!("Airlift: {error}; audio passes through unchanged");
                notice = format!("Not running: {error}. Audio passes through unchanged.");
                context.set_latency_samples(0);
                self.status.publish_stopped();
            }
        }
        if let Ok(mut shown) = self.notice.lock() {
            *shown = notice;
        }
        true
    }

    fn deactivate(&mut self) {
        // Stops and joins the inference worker off the audio thread.
        self.engine = None;
    }

    fn reset(&mut self) {
        if let Some(engine) = &mut self.engine {
            // The material is the same after a transport jump: its band starts at once.
            engine.reset();
            self.remembered_seen = self.params.remembered_band.load();
            engine.remember(self.remembered_seen);
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let settings = self.params.engine_settings();
        if let Some(demo) = &mut self.demo {
            demo.fill(buffer.as_slice());
        }
        match &mut self.engine {
            Some(engine) => {
                engine.set_settings(settings);
                let saved = self.params.remembered_band.load();
                if saved != self.remembered_seen {
                    // The host loaded a state while the plugin runs.
                    engine.remember(saved);
                    self.remembered_seen = saved;
                }
                if self.detect_again.take(&mut self.detect_again_seen) {
                    engine.detect_again();
                }
                // The spectra are computed only while the editor shows them.
                engine.set_display_enabled(self.editor_state.is_open());
                engine.process(buffer.as_slice());
                if let Some((input, output)) = engine.take_display() {
                    self.spectrum_tap.publish(input, output);
                }
                self.status.publish(&engine.status());
                let now = engine.remembered();
                // Only over the value last seen: a state loaded meanwhile is taken next block.
                if now != self.remembered_seen
                    && self
                        .params
                        .remembered_band
                        .compare_exchange(self.remembered_seen, now)
                        .is_ok()
                {
                    self.remembered_seen = now;
                }
                let choice: (ModelKind, ProviderChoice) =
                    (settings.model, self.params.provider.value().into());
                if choice != self.engine_choice && !self.restart_requested {
                    // A model or provider change means a new session and a new latency: the
                    // host restarts the plugin and `activate` builds them.
                    self.restart_requested = true;
                    context.request_restart();
                }
            }
            None => {
                for channel in buffer.as_slice() {
                    dsp::sanitize::mute_corrupt(channel);
                }
            }
        }
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Airlift {
    const CLAP_ID: &'static str = "dev.airlift.airlift";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Restores the missing high frequencies of band-limited music");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Mastering,
        ClapFeature::Restoration,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for Airlift {
    const VST3_CLASS_ID: [u8; 16] = *b"AirliftBwExtend1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Restoration,
        Vst3SubCategory::Mastering,
    ];
}

nice_export_clap!(Airlift);
nice_export_vst3!(Airlift);
