//! The editor's logic, headless with egui's test harness: moving a control changes the
//! parameter (inside a begin/end gesture, as hosts need for undo), a parameter changed
//! elsewhere shows in the control, typed values and arrow keys work, the status line says what
//! runs, and everything fits at 100 % and 200 % scale.

use std::sync::{Arc, Mutex};

use airlift::dsp::stft::StftLayout;
use airlift::editor::spectrum::spectrum_channel;
use airlift::editor::view::{draw, status_line, EditorModel};
use airlift::engine::{Engine, EngineSettings, SharedStatus};
use airlift::params::{AirliftParams, ModelChoice};
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
            status_message: Arc::new(Mutex::new(
                "the Spectral U-Net model could not be loaded; SBR runs instead".into(),
            )),
            spectrum: Arc::new(Mutex::new(reader)),
        },
        host: Arc::new(RecordingHost::default()),
    }
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
    let mix = fixture.model.params.mix.value();
    assert!((mix - 0.25).abs() < 0.02, "mix {mix}");
    let recorded = events(&fixture);
    assert_eq!(recorded.first().map(String::as_str), Some("begin Mix"));
    assert_eq!(recorded.last().map(String::as_str), Some("end Mix"));
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
fn the_status_line_says_what_runs_and_why() {
    let fixture = fixture();
    let line = status_line(&fixture.model);
    for part in [
        "backend DSP",
        "SBR runs instead",
        "latency 42.7 ms",
        "inference load n/a",
        "dropouts 0",
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    let harness = harness(&fixture, 1.0);
    assert!(harness.query_by_label_contains("latency 42.7 ms").is_some());
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
