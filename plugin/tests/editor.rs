//! The editor's logic, headless with egui's test harness: moving a control changes the
//! parameter (inside a begin/end gesture, as hosts need for undo), a parameter changed
//! elsewhere shows in the control, typed values and arrow keys work, the cutoff slider follows
//! the detection in auto mode and taking it switches to manual, "Detect again" reaches the audio
//! thread, the status speaks to people (codec holes and hum included), a remembered worn
//! transfer's corner says so, every control has an accessible
//! name, and everything fits at 100 % and 200 % scale.

use std::sync::{Arc, Mutex};

use airlift::dsp::cutoff::Detection;
use airlift::dsp::stft::StftLayout;
use airlift::editor::spectrum::spectrum_channel;
use airlift::editor::view::{cutoff_view, draw, notice, status_line, EditorModel};
use airlift::engine::{DetectAgain, Engine, EngineSettings, RememberedBand, SharedStatus};
use airlift::params::{AirliftParams, ListenChoice, ModelChoice};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use nice_plug::prelude::*;

/// A host stand-in: applies parameter changes and records the gestures around them.
#[derive(Default)]
struct RecordingHost {
    events: Mutex<Vec<String>>,
}

impl GuiContextInner for RecordingHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        self.events
            .lock()
            .unwrap()
            .push(format!("begin {}", unsafe { param.name() }));
    }
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        unsafe { param._internal_set_normalized_value(normalized) };
        self.events
            .lock()
            .unwrap()
            .push(format!("set {}", unsafe { param.name() }));
    }
    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        self.events
            .lock()
            .unwrap()
            .push(format!("end {}", unsafe { param.name() }));
    }
    fn get_state(&self) -> PluginState {
        panic!("the editor does not read the state")
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}

struct Fixture {
    model: EditorModel,
    host: Arc<RecordingHost>,
}

fn fixture() -> Fixture {
    let (mut tap, reader) = spectrum_channel();
    let layout = StftLayout::for_sample_rate(48_000.0);
    tap.configure(&layout);
    let status = Arc::new(SharedStatus::default());
    status.publish(
        &Engine::new(48_000.0, 2, EngineSettings::default())
            .unwrap()
            .status(),
    );
    Fixture {
        model: EditorModel {
            params: Arc::new(AirliftParams::default()),
            status,
            notice: Arc::new(Mutex::new(
                "Spectral U-Net unavailable: ONNX Runtime not found. Using SBR.".into(),
            )),
            spectrum: Arc::new(Mutex::new(reader)),
            detect_again: Arc::new(DetectAgain::default()),
        },
        host: Arc::new(RecordingHost::default()),
    }
}

/// Publishes an engine status whose detector says `detection`, as the audio thread would.
fn publish_detection(fixture: &Fixture, detection: Detection) {
    let mut status = Engine::new(48_000.0, 2, EngineSettings::default())
        .unwrap()
        .status();
    status.detection = detection;
    status.applied_cutoff_hz = detection.cutoff_hz();
    fixture.model.status.publish(&status);
}

/// Presses and releases the primary button at `at`.
fn click_at(harness: &mut Harness, at: egui::Pos2) {
    harness.event(egui::Event::PointerMoved(at));
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Default::default(),
    });
    harness.run();
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Default::default(),
    });
    harness.run();
}

fn harness<'a>(fixture: &'a Fixture, pixels_per_point: f32) -> Harness<'a> {
    Harness::builder()
        .with_size(egui::vec2(900.0, 560.0))
        .with_pixels_per_point(pixels_per_point)
        .build_ui(move |ui| {
            let setter = ParamSetter::new(fixture.host.as_ref());
            draw(ui, &fixture.model, &setter);
        })
}

fn events(fixture: &Fixture) -> Vec<String> {
    std::mem::take(&mut *fixture.host.events.lock().unwrap())
}

#[test]
fn the_auto_toggle_and_the_model_menu_change_their_parameters_in_gestures() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    assert!(fixture.model.params.auto_cutoff.value());
    harness.get_by_label("Auto Cutoff").click();
    harness.run();
    assert!(!fixture.model.params.auto_cutoff.value());
    assert_eq!(
        events(&fixture),
        ["begin Auto Cutoff", "set Auto Cutoff", "end Auto Cutoff"]
    );

    harness
        .get_by_role_and_label(Role::ComboBox, "Model")
        .click();
    harness.run();
    harness.get_by_label("SBR").click();
    harness.run();
    assert_eq!(fixture.model.params.model.value(), ModelChoice::Sbr);
    assert_eq!(events(&fixture), ["begin Model", "set Model", "end Model"]);
}

#[test]
fn dragging_a_slider_changes_its_parameter() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    let rect = harness.get_by_role_and_label(Role::Slider, "Mix").rect();
    let at = egui::pos2(rect.left() + 0.25 * rect.width(), rect.center().y);
    click_at(&mut harness, at);
    let mix = fixture.model.params.mix.value();
    assert!((mix - 0.25).abs() < 0.02, "mix {mix}");
    let recorded = events(&fixture);
    assert_eq!(recorded.first().map(String::as_str), Some("begin Mix"));
    assert_eq!(recorded.last().map(String::as_str), Some("end Mix"));
}

#[test]
fn the_denoise_slider_and_listening_to_the_removed_noise_change_their_parameters() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    let rect = harness
        .get_by_role_and_label(Role::Slider, "Denoise")
        .rect();
    let at = egui::pos2(rect.left() + 0.5 * rect.width(), rect.center().y);
    click_at(&mut harness, at);
    let denoise = fixture.model.params.denoise.value();
    assert!((denoise - 0.5).abs() < 0.02, "denoise {denoise}");
    assert_eq!(
        fixture.model.params.engine_settings().denoise,
        denoise,
        "the engine is asked for what the slider shows"
    );
    let recorded = events(&fixture);
    assert_eq!(recorded.first().map(String::as_str), Some("begin Denoise"));
    assert_eq!(recorded.last().map(String::as_str), Some("end Denoise"));

    harness
        .get_by_role_and_label(Role::ComboBox, "Listen")
        .click();
    harness.run();
    harness.get_by_label("Removed noise only").click();
    harness.run();
    assert_eq!(fixture.model.params.listen.value(), ListenChoice::Removed);
    assert!(status_line(&fixture.model).contains("removed noise only"));
}

#[test]
fn arrow_keys_step_a_focused_slider() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    let before = fixture.model.params.output_gain_db.value();
    harness
        .get_by_role_and_label(Role::Slider, "Output Gain")
        .focus();
    harness.run();
    harness.key_press(egui::Key::ArrowRight);
    harness.run();
    let after = fixture.model.params.output_gain_db.value();
    assert!(after > before, "{before} -> {after}");
    assert_eq!(
        events(&fixture),
        ["begin Output Gain", "set Output Gain", "end Output Gain"]
    );
}

#[test]
fn a_parameter_changed_elsewhere_shows_in_the_controls() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    let setter = ParamSetter::new(fixture.host.as_ref());
    setter.set_parameter(&fixture.model.params.mix, 0.5);
    setter.set_parameter(&fixture.model.params.model, ModelChoice::Ddsp);
    setter.set_parameter(&fixture.model.params.auto_cutoff, false);
    harness.run();
    let mix = harness
        .get_by_role_and_label(Role::Slider, "Mix")
        .accesskit_node()
        .numeric_value()
        .unwrap();
    assert!((mix - 0.5).abs() < 1e-6, "{mix}");
    let model = harness.get_by_role_and_label(Role::ComboBox, "Model");
    assert_eq!(model.value().as_deref(), Some("DDSP"));
    assert_eq!(
        harness
            .get_by_label("Auto Cutoff")
            .accesskit_node()
            .toggled(),
        Some(egui::accesskit::Toggled::False)
    );
}

#[test]
fn a_typed_value_is_set_in_one_gesture() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "100%")
        .click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_role(Role::TextInput).type_text("40%");
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    let mix = fixture.model.params.mix.value();
    assert!((mix - 0.4).abs() < 1e-6, "mix {mix}");
    assert_eq!(events(&fixture), ["begin Mix", "set Mix", "end Mix"]);
}

#[test]
fn the_status_speaks_to_people_and_says_why_in_one_sentence() {
    let fixture = fixture();
    let line = status_line(&fixture.model);
    assert_eq!(line, "SBR · DSP · 43 ms latency");
    let why = notice(&fixture.model);
    assert_eq!(
        why,
        "Spectral U-Net unavailable: ONNX Runtime not found. Using SBR."
    );
    let mut harness = harness(&fixture, 1.0);
    assert!(harness.query_by_label(&line).is_some());
    assert!(harness.query_by_label(&why).is_some());

    // What changes what is heard is said too.
    let setter = ParamSetter::new(fixture.host.as_ref());
    setter.set_parameter(&fixture.model.params.bypass, true);
    setter.set_parameter(&fixture.model.params.listen, ListenChoice::Added);
    harness.run();
    assert_eq!(
        status_line(&fixture.model),
        "SBR · DSP · 43 ms latency · added band only · bypassed"
    );

    // A model that stops without a notice is still explained.
    fixture.model.notice.lock().unwrap().clear();
    let mut status = fixture.model.status.snapshot().unwrap();
    status.requested_model = airlift::engine::ModelKind::SpectralUnet;
    fixture.model.status.publish(&status);
    assert_eq!(
        notice(&fixture.model),
        "Spectral U-Net is not running. Using SBR."
    );
}

#[test]
fn a_model_fault_is_said_in_the_status_and_the_notice() {
    let fixture = fixture();
    fixture.model.notice.lock().unwrap().clear();
    let mut status = fixture.model.status.snapshot().unwrap();
    status.requested_model = airlift::engine::ModelKind::SpectralUnet;
    status.active_model = airlift::engine::ModelKind::SpectralUnet;
    status.provider = Some("CPU");
    status.dropouts = 94;
    status.model_stalled = true;
    fixture.model.status.publish(&status);
    assert_eq!(
        status_line(&fixture.model),
        "Spectral U-Net · CPU · 43 ms latency · 94 dropouts · model stalled"
    );
    assert_eq!(
        notice(&fixture.model),
        "The model is not keeping up. SBR fills in until it is back."
    );

    // An error on a frame is counted; a worker that died leaves SBR until a restart.
    status.model_stalled = false;
    status.model_errors = 1;
    status.model_stopped = true;
    status.active_model = airlift::engine::ModelKind::Sbr;
    status.provider = None;
    fixture.model.status.publish(&status);
    assert_eq!(
        status_line(&fixture.model),
        "SBR · DSP · 43 ms latency · 1 model error · model stopped"
    );
    assert_eq!(
        notice(&fixture.model),
        "Spectral U-Net stopped working. Using SBR until the plugin restarts."
    );
}

#[test]
fn codec_holes_show_with_the_band_limit_and_in_the_status_while_they_are_filled() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    let band_limit = Detection::BandLimit {
        cutoff_hz: 11_200.0,
    };
    publish_detection(&fixture, band_limit);
    harness.run();
    assert_eq!(
        cutoff_view(&fixture.model).caption,
        "auto: band limit detected"
    );
    assert!(!status_line(&fixture.model).contains("codec holes"));

    let mut status = fixture.model.status.snapshot().unwrap();
    status.holes_found = true;
    status.holes_filled = true;
    fixture.model.status.publish(&status);
    harness.run();
    assert_eq!(
        cutoff_view(&fixture.model).caption,
        "auto: band limit detected, codec holes below"
    );
    let line = status_line(&fixture.model);
    assert_eq!(line, "SBR · DSP · 43 ms latency · filling codec holes");
    assert!(harness.query_by_label(&line).is_some());

    // With Codec Repair off the holes are found but left.
    status.holes_filled = false;
    fixture.model.status.publish(&status);
    harness.run();
    let line = status_line(&fixture.model);
    assert_eq!(
        line,
        "SBR · DSP · 43 ms latency · codec holes left as they are"
    );
    assert!(harness.query_by_label(&line).is_some());
}

#[test]
fn a_remembered_band_limit_says_so_until_detection_confirms_it() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    // A reopened session: the engine starts from the band limit the saved state remembers.
    let mut engine = Engine::new(48_000.0, 2, EngineSettings::default()).unwrap();
    engine.remember(RememberedBand::band_limit(11_200.0, true));
    let mut silence = [vec![0.0f32; 2048], vec![0.0f32; 2048]];
    let mut channels: Vec<&mut [f32]> = silence.iter_mut().map(|c| &mut c[..]).collect();
    engine.process(&mut channels);
    fixture.model.status.publish(&engine.status());
    harness.run();
    let view = cutoff_view(&fixture.model);
    assert_eq!(view.marker_hz, Some(11_200.0));
    assert_eq!(
        view.caption,
        "auto: band limit remembered, codec holes below; listening…"
    );
    assert!(harness
        .query_by_label("auto · 11.2 kHz (remembered)")
        .is_some());

    // Once the detection settles, the value is its own.
    publish_detection(
        &fixture,
        Detection::BandLimit {
            cutoff_hz: 11_200.0,
        },
    );
    harness.run();
    assert!(harness.query_by_label("auto · 11.2 kHz").is_some());
    assert!(harness
        .query_by_label("auto · 11.2 kHz (remembered)")
        .is_none());
}

#[test]
fn a_worn_transfers_corner_shows_and_says_when_it_is_remembered() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    // A reopened session with Denoise on: the engine starts from the corner the saved state
    // remembers, while the edge search still listens.
    let settings = EngineSettings {
        denoise: 1.0,
        ..EngineSettings::default()
    };
    let mut engine = Engine::new(48_000.0, 2, settings).unwrap();
    engine.remember(RememberedBand::no_band_limit().with_worn_corner(Some(4_000.0)));
    let mut silence = [vec![0.0f32; 2048], vec![0.0f32; 2048]];
    let mut channels: Vec<&mut [f32]> = silence.iter_mut().map(|c| &mut c[..]).collect();
    engine.process(&mut channels);
    let mut status = engine.status();
    let cutoff_hz = status
        .worn_cutoff_hz
        .expect("the remembered corner sets the cutoff");
    fixture.model.status.publish(&status);
    harness.run();
    let view = cutoff_view(&fixture.model);
    assert_eq!(view.marker_hz, Some(cutoff_hz));
    assert_eq!(
        view.caption,
        "auto: worn transfer, corner remembered; listening… (Denoise)"
    );
    let following = format!("auto · worn {:.1} kHz", cutoff_hz / 1000.0);
    assert!(harness
        .query_by_label(&format!("{following} (remembered)"))
        .is_some());

    // Once the judge hears the same corner, it is its own.
    status.worn_corner_remembered = false;
    status.detection = Detection::NoBandLimit;
    fixture.model.status.publish(&status);
    harness.run();
    assert_eq!(
        cutoff_view(&fixture.model).caption,
        "auto: worn transfer, band from its corner (Denoise)"
    );
    assert!(harness.query_by_label(&following).is_some());
}

#[test]
fn found_hum_shows_in_the_status_while_denoise_is_on() {
    let fixture = fixture();
    let mut status = Engine::new(48_000.0, 2, EngineSettings::default())
        .unwrap()
        .status();
    fixture.model.status.publish(&status);
    let mut harness = harness(&fixture, 1.0);
    let rect = harness
        .get_by_role_and_label(Role::Slider, "Denoise")
        .rect();
    click_at(
        &mut harness,
        egui::pos2(rect.left() + 0.5 * rect.width(), rect.center().y),
    );
    assert!(fixture.model.params.denoise.value() > 0.0);
    assert!(!status_line(&fixture.model).contains("hum"), "none found");
    status.hum_hz = Some(60.0);
    fixture.model.status.publish(&status);
    harness.run();
    assert!(
        status_line(&fixture.model).contains("60 Hz hum removed"),
        "{}",
        status_line(&fixture.model)
    );
    assert!(harness
        .query_by_label_contains("60 Hz hum removed")
        .is_some());
    // Denoise off: nothing is removed, whatever was found before.
    ParamSetter::new(fixture.host.as_ref()).set_parameter(&fixture.model.params.denoise, 0.0);
    assert_eq!(fixture.model.params.denoise.value(), 0.0);
    assert!(!status_line(&fixture.model).contains("hum"));
}

#[test]
fn the_listen_menu_and_the_bypass_box_change_their_parameters_in_gestures() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    harness
        .get_by_role_and_label(Role::ComboBox, "Listen")
        .click();
    harness.run();
    harness.get_by_label("Added band only").click();
    harness.run();
    assert_eq!(fixture.model.params.listen.value(), ListenChoice::Added);
    assert_eq!(
        events(&fixture),
        ["begin Listen", "set Listen", "end Listen"]
    );

    harness
        .get_by_role_and_label(Role::CheckBox, "Bypass")
        .click();
    harness.run();
    assert!(fixture.model.params.bypass.value());
    assert_eq!(
        events(&fixture),
        ["begin Bypass", "set Bypass", "end Bypass"]
    );
}

#[test]
fn in_auto_mode_the_cutoff_slider_follows_the_detection_and_taking_it_goes_manual() {
    let fixture = fixture();
    let params = &fixture.model.params;
    let mut harness = harness(&fixture, 1.0);
    // Listening: the slider says so.
    assert!(harness.query_by_label("auto · listening…").is_some());

    publish_detection(
        &fixture,
        Detection::BandLimit {
            cutoff_hz: 10_590.0,
        },
    );
    harness.run();
    let view = cutoff_view(&fixture.model);
    assert_eq!(view.marker_hz, Some(10_590.0));
    let slider = harness.get_by_role_and_label(Role::Slider, "Cutoff");
    let shown = slider.accesskit_node().numeric_value().unwrap() as f32;
    assert!(
        (shown - params.cutoff_hz.preview_normalized(10_590.0)).abs() < 1e-6,
        "the slider shows {shown}"
    );
    assert!(harness.query_by_label("auto · 10.6 kHz").is_some());
    // The parameter itself keeps the manual value for when auto is switched off.
    assert_eq!(
        params.cutoff_hz.value(),
        params.cutoff_hz.default_plain_value()
    );

    // Taking the slider: manual from where it was put, in gestures.
    let rect = slider.rect();
    click_at(
        &mut harness,
        egui::pos2(rect.left() + 0.25 * rect.width(), rect.center().y),
    );
    assert!(!params.auto_cutoff.value());
    let expected = params.cutoff_hz.preview_plain(0.25);
    assert!(
        (params.cutoff_hz.value() / expected - 1.0).abs() < 0.02,
        "{} Hz, expected about {expected} Hz",
        params.cutoff_hz.value()
    );
    let recorded = events(&fixture);
    assert_eq!(recorded.first().map(String::as_str), Some("begin Cutoff"));
    assert_eq!(recorded.last().map(String::as_str), Some("end Cutoff"));
    assert!(recorded
        .windows(3)
        .any(|w| w == ["begin Auto Cutoff", "set Auto Cutoff", "end Auto Cutoff"]));
    assert_eq!(cutoff_view(&fixture.model).following, None);

    // No band limit: nothing is marked, and the slider says so.
    let setter = ParamSetter::new(fixture.host.as_ref());
    setter.set_parameter(&params.auto_cutoff, true);
    publish_detection(&fixture, Detection::NoBandLimit);
    harness.run();
    assert_eq!(cutoff_view(&fixture.model).marker_hz, None);
    assert!(harness.query_by_label("auto · no band limit").is_some());
}

#[test]
fn detect_again_asks_the_audio_thread_and_returns_to_auto() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    let mut seen = 0;
    harness.get_by_label("Detect again").click();
    harness.run();
    assert!(fixture.model.detect_again.take(&mut seen));
    assert!(!fixture.model.detect_again.take(&mut seen), "asked twice");
    assert!(events(&fixture).is_empty(), "auto was already on");

    let setter = ParamSetter::new(fixture.host.as_ref());
    setter.set_parameter(&fixture.model.params.auto_cutoff, false);
    events(&fixture);
    harness.run();
    harness.get_by_label("Detect again").click();
    harness.run();
    assert!(fixture.model.params.auto_cutoff.value());
    assert!(fixture.model.detect_again.take(&mut seen));
    assert_eq!(
        events(&fixture),
        ["begin Auto Cutoff", "set Auto Cutoff", "end Auto Cutoff"]
    );
}

#[test]
fn every_control_has_an_accessible_name_with_its_menus_open() {
    let fixture = fixture();
    let mut harness = harness(&fixture, 1.0);
    harness.run();
    assert_eq!(harness.unnamed_widgets(), Vec::<String>::new());
    for menu in ["Model", "Execution Provider", "Listen"] {
        harness.get_by_role_and_label(Role::ComboBox, menu).click();
        harness.run();
        assert_eq!(harness.unnamed_widgets(), Vec::<String>::new(), "{menu}");
        harness.key_press(egui::Key::Escape);
        harness.run();
    }
}

#[test]
fn every_control_fits_at_100_and_200_percent() {
    let fixture = fixture();
    for scale in [1.0, 2.0] {
        let mut harness = harness(&fixture, scale);
        harness.run();
        let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(900.0, 560.0));
        let controls = [
            (Role::Slider, "Cutoff"),
            (Role::CheckBox, "Auto Cutoff"),
            (Role::Slider, "Mix"),
            (Role::Slider, "Output Gain"),
            (Role::ComboBox, "Model"),
            (Role::ComboBox, "Execution Provider"),
            (Role::ComboBox, "Listen"),
            (Role::CheckBox, "Bypass"),
            (Role::Button, "Detect again"),
            (Role::Slider, "Denoise"),
            (Role::CheckBox, "Codec Repair"),
        ];
        for (role, label) in controls {
            let rect = harness.get_by_role_and_label(role, label).rect();
            assert!(
                window.contains_rect(rect),
                "{label} at {rect:?} is outside the window at {scale}x"
            );
        }
    }
}
