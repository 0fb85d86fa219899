//! A parameter slider whose every change sits inside a host gesture (begin, set, end), so host
//! undo and automation recording see whole edits. Mouse: press or drag sets the value, double
//! click resets it. Keyboard: Tab focuses it, the arrow keys step it (Shift for finer steps),
//! clicking the value text lets you type one (Enter sets it, Escape cancels). Accessibility
//! tools (and the tests) see its name and normalized value.

use egui::{Color32, Key, Response, Sense, Stroke, StrokeKind, TextEdit, Ui, Vec2};
use nice_plug::prelude::{Param, ParamSetter};

/// Adds a slider for `param`, `width` points wide, followed by its value.
pub fn param_slider<P: Param>(
    ui: &mut Ui,
    param: &P,
    setter: &ParamSetter,
    width: f32,
) -> Response {
    let id = ui.make_persistent_id(("param-slider", param.name()));
    ui.horizontal(|ui| {
        let height = ui.spacing().interact_size.y * 0.8;
        let (rect, response) =
            ui.allocate_exact_size(Vec2::new(width, height), Sense::click_and_drag());
        let gesture_id = id.with("gesture");
        let in_gesture = ui.data(|data| data.get_temp::<bool>(gesture_id).unwrap_or(false));

        if response.is_pointer_button_down_on() {
            if !in_gesture {
                setter.begin_set_parameter(param);
                ui.data_mut(|data| data.insert_temp(gesture_id, true));
            }
            if let Some(position) = response.interact_pointer_pos() {
                let normalized = ((position.x - rect.left()) / rect.width()).clamp(0.0, 1.0);
                set_normalized(param, setter, normalized);
            }
            response.request_focus();
        } else if in_gesture {
            setter.end_set_parameter(param);
            ui.data_mut(|data| data.insert_temp(gesture_id, false));
        }
        if response.double_clicked() {
            setter.begin_set_parameter(param);
            setter.set_parameter(param, param.default_plain_value());
            setter.end_set_parameter(param);
        }
        if response.has_focus() {
            step_with_keys(ui, &response, param, setter);
        }

        let normalized = param.unmodulated_normalized_value();
        let visuals = ui.style().interact(&response);
        let painter = ui.painter();
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let mut filled = rect;
        filled.set_width(rect.width() * normalized);
        painter.rect_filled(filled, 2.0, ui.visuals().selection.bg_fill);
        let border = if response.has_focus() {
            Stroke::new(2.0, Color32::from_rgb(255, 170, 60))
        } else {
            visuals.bg_stroke
        };
        painter.rect_stroke(rect, 2.0, border, StrokeKind::Middle);
        response.widget_info(|| egui::WidgetInfo::slider(true, normalized as f64, param.name()));

        value_entry(ui, id, param, setter, response.id);
        response
    })
    .inner
}

/// Sets a normalized value (snapped to the parameter's steps) if it changes the value.
fn set_normalized<P: Param>(param: &P, setter: &ParamSetter, normalized: f32) {
    let value = param.preview_plain(normalized);
    if value != param.unmodulated_plain_value() {
        setter.set_parameter(param, value);
    }
}

/// Arrow keys step a focused slider; the slider keeps them from moving the focus.
fn step_with_keys<P: Param>(ui: &Ui, response: &Response, param: &P, setter: &ParamSetter) {
    ui.memory_mut(|memory| {
        memory.set_focus_lock_filter(
            response.id,
            egui::EventFilter {
                horizontal_arrows: true,
                vertical_arrows: true,
                ..Default::default()
            },
        )
    });
    let (up, down, finer) = ui.input(|input| {
        (
            input.key_pressed(Key::ArrowRight) || input.key_pressed(Key::ArrowUp),
            input.key_pressed(Key::ArrowLeft) || input.key_pressed(Key::ArrowDown),
            input.modifiers.shift,
        )
    });
    if up || down {
        let from = param.unmodulated_normalized_value();
        let next = if up {
            param.next_normalized_step(from, finer)
        } else {
            param.previous_normalized_step(from, finer)
        };
        setter.begin_set_parameter(param);
        set_normalized(param, setter, next);
        setter.end_set_parameter(param);
    }
}

/// The value text; clicking it opens a text field for typing a value.
fn value_entry<P: Param>(
    ui: &mut Ui,
    id: egui::Id,
    param: &P,
    setter: &ParamSetter,
    slider: egui::Id,
) {
    let text_id = id.with("text");
    let editing: Option<String> = ui.data(|data| data.get_temp(text_id));
    match editing {
        Some(mut text) => {
            let edit = ui
                .add(
                    TextEdit::singleline(&mut text)
                        .id(id.with("edit"))
                        .desired_width(80.0),
                )
                .labelled_by(slider);
            edit.request_focus();
            if ui.input(|input| input.key_pressed(Key::Escape)) {
                ui.data_mut(|data| data.remove::<String>(text_id));
            } else if ui.input(|input| input.key_pressed(Key::Enter)) {
                if let Some(normalized) = param.string_to_normalized_value(&text) {
                    setter.begin_set_parameter(param);
                    set_normalized(param, setter, normalized);
                    setter.end_set_parameter(param);
                }
                ui.data_mut(|data| data.remove::<String>(text_id));
            } else {
                ui.data_mut(|data| data.insert_temp(text_id, text));
            }
        }
        None => {
            let value = param.to_string();
            let label = ui
                .add(egui::Button::new(value.clone()).frame(false))
                .on_hover_text("click to type a value");
            if label.clicked() {
                ui.data_mut(|data| data.insert_temp(text_id, value));
            }
        }
    }
}
