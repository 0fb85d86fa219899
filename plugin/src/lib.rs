//! Airlift: restores the missing high band of band-limited music.
//!
//! This file holds only the plugin glue (nice-plug's `Plugin`, `ClapPlugin`, `Vst3Plugin`) and
//! the exports; the work happens in the host-agnostic [`engine`].

pub mod audio_file;
pub mod dsp;
pub mod engine;
pub mod metrics;
pub mod params;

use std::sync::Arc;

use nice_plug::prelude::*;

use engine::{Engine, ModelKind, SharedStatus};
use params::AirliftParams;

/// Work the audio thread hands to a background thread, so that it never logs itself.
#[derive(Debug, Clone, Copy)]
pub enum AirliftTask {
    /// The requested model changed; log which one runs and why.
    ReportModel {
        /// The model the parameter asks for.
        requested: ModelKind,
        /// The model that generates the high band.
        active: ModelKind,
    },
}

/// The plugin instance.
pub struct Airlift {
    /// Parameters shared with the host and the editor.
    params: Arc<AirliftParams>,
    /// The engine, made in `activate`; `None` before, and when the configuration is
    /// unsupported (then audio passes through unchanged).
    engine: Option<Engine>,
    /// What the engine is doing, published for the editor.
    status: Arc<SharedStatus>,
    /// The requested model last reported to the log.
    reported_model: Option<ModelKind>,
}

impl Default for Airlift {
    fn default() -> Self {
        Self {
            params: Arc::new(AirliftParams::default()),
            engine: None,
            status: Arc::new(SharedStatus::default()),
            reported_model: None,
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
    type BackgroundTask = AirliftTask;
    type Editor = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn task_executor(&mut self) -> TaskExecutor<Self> {
        Box::new(|task| match task {
            AirliftTask::ReportModel { requested, active } if requested == active => {
                nice_log!("Airlift: model {} is running", active.display_name());
            }
            AirliftTask::ReportModel { requested, active } => {
                nice_warn!(
                    "Airlift: the {} model is not available yet; {} runs instead",
                    requested.display_name(),
                    active.display_name()
                );
            }
        })
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
        match Engine::new(
            buffer_config.sample_rate,
            channels,
            self.params.engine_settings(),
        ) {
            Ok(engine) => {
                context.set_latency_samples(engine.latency_samples());
                self.status.publish(&engine.status());
                self.engine = Some(engine);
            }
            Err(error) => {
                // Still load and pass audio: a DAW session must not break on an odd rate.
                nice_error!("Airlift: {error}; audio passes through unchanged");
                context.set_latency_samples(0);
                self.status.publish_stopped();
                self.engine = None;
            }
        }
        self.reported_model = None;
        true
    }

    fn reset(&mut self) {
        if let Some(engine) = &mut self.engine {
            engine.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let settings = self.params.engine_settings();
        match &mut self.engine {
            Some(engine) => {
                engine.set_settings(settings);
                engine.process(buffer.as_slice());
                let status = engine.status();
                self.status.publish(&status);
                if self.reported_model != Some(status.requested_model) {
                    self.reported_model = Some(status.requested_model);
                    context.execute_background(AirliftTask::ReportModel {
                        requested: status.requested_model,
                        active: status.active_model,
                    });
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
