//! A parameter slider whose every change sits inside a host gesture (begin, set, end), so host
//! undo and automation recording see whole edits. Mouse: press or drag sets the value, double
//! click resets it. Keyboard: Tab focuses it, the arrow keys step it (Shift for finer steps),
//! clicking the value text lets you type one (Enter sets it, Escape cancels). Accessibility
//! tools (and the tests) see its name and normalized value.
//!
//! A slider can follow a value its parameter does not hold (the detected cutoff in auto mode):
//! it then shows that value in the following colour, and any edit sets the parameter from
//! there and marks the response changed, so the caller can leave the automatic mode.

use egui::{Color32, Key, Response, Sense, Stroke, StrokeKind, TextEdit, Ui, Vec2};
use nice_plug::prelude::{Param, ParamSetter};

/// Colour of a slider that follows a value its parameter does not hold.
pub const FOLLOWING_COLOUR: Color32 = Color32::from_rgb(150, 100, 35);

/// What a slider shows while something other than its parameter sets the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Following {
    /// The position shown, normalized like the parameter.
    pub normalized: f32,
    /// The value text shown, for example "auto · 10.6 kHz".
    pub text: String,
}

/// Adds a slider for `param`, `width` points wide, followed by its value, or by what it
/// follows. The response is marked changed when the user set the parameter.
pub fn param_slider<P: Param>(
    ui: &mut Ui,
    param: &P,
    setter: &ParamSetter,
    width: f32,
    following: Option<&Following>,
) -> Response {
    let id = ui.make_persistent_id(("param-slider", param.name()));
    ui.horizontal(|ui| {
        let height = ui.spacing().interact_size.y * 0.8;
        let (rect, mut response) =
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
                if set_normalized(param, setter, normalized) || following.is_some() {
                    response.mark_changed();
                }
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
            response.mark_changed();
        }
        let normalized = following.map_or(param.unmodulated_normalized_value(), |f| f.normalized);
        if response.has_focus() && step_with_keys(ui, &response, param, setter, normalized) {
            response.mark_changed();
        }

        let visuals = ui.style().interact(&response);
        let painter = ui.painter();
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let mut filled = rect;
        filled.set_width(rect.width() * normalized);
        let fill = match following {
            Some(_) => FOLLOWING_COLOUR,
            None => ui.visuals().selection.bg_fill,
        };
        painter.rect_filled(filled, 2.0, fill);
        let border = if response.has_focus() {
            Stroke::new(2.0, Color32::from_rgb(255, 170, 60))
        } else {
            visuals.bg_stroke
        };
        painter.rect_stroke(rect, 2.0, border, StrokeKind::Middle);
        response.widget_info(|| egui::WidgetInfo::slider(true, normalized as f64, param.name()));

        if value_entry(ui, id, param, setter, response.id, following) {
            response.mark_changed();
        }
        response
    })
    .inner
}

/// Sets a normalized value (snapped to the parameter's steps) if it changes the value, and
/// says whether it did.
fn set_normalized<P: Param>(param: &P, setter: &ParamSetter, normalized: f32) -> bool {
    let value = param.preview_plain(normalized);
    let changes = value != param.unmodulated_plain_value();
    if changes {
        setter.set_parameter(param, value);
    }
    changes
}

/// Arrow keys step a focused slider from the position `from` it shows; the slider keeps them
/// from moving the focus. Says whether a key stepped it.
fn step_with_keys<P: Param>(
    ui: &Ui,
    response: &Response,
    param: &P,
    setter: &ParamSetter,
    from: f32,
) -> bool {
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
        let next = if up {
            param.next_normalized_step(from, finer)
        } else {
            param.previous_normalized_step(from, finer)
        };
        setter.begin_set_parameter(param);
        set_normalized(param, setter, next);
        setter.end_set_parameter(param);
    }
    up || down
}

/// The value text (or what the slider follows); clicking it opens a text field for typing a
/// value. Says whether a typed value was set.
fn value_entry<P: Param>(
    ui: &mut Ui,
    id: egui::Id,
    param: &P,
    setter: &ParamSetter,
    slider: egui::Id,
    following: Option<&Following>,
) -> bool {
    let mut entered = false;
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
                    entered = true;
                }
                ui.data_mut(|data| data.remove::<String>(text_id));
            } else {
                ui.data_mut(|data| data.insert_temp(text_id, text));
            }
        }
        None => {
            let (shown, typed) = match following {
                Some(following) => (
                    following.text.clone(),
                    param.normalized_value_to_string(following.normalized, true),
                ),
                None => (param.to_string(), param.to_string()),
            };
            let label = ui
                .add(egui::Button::new(shown).frame(false))
                .on_hover_text("click to type a value");
            if label.clicked() {
                ui.data_mut(|data| data.insert_temp(text_id, typed));
            }
        }
    }
    entered
}
