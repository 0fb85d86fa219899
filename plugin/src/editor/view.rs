//! What the editor draws: the spectrum with the cutoff and the generated band, the controls,
//! and the status line. Plain functions of the shared state, so tests drive them headless.

use std::sync::{Arc, Mutex};

use egui::{self, Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2};
use nice_plug::prelude::{Enum, EnumParam, Param, ParamSetter};

use super::slider::param_slider;
use super::spectrum::{SpectrumFrame, SpectrumReader, DISPLAY_LOW_HZ, DISPLAY_POINTS};
use crate::dsp::cutoff::Detection;
use crate::engine::SharedStatus;
use crate::params::AirliftParams;

/// Range of the spectrum's level axis in dB.
const LEVEL_RANGE_DB: (f32, f32) = (-110.0, 0.0);

/// Height of the control and status area below the spectrum, in points.
const CONTROLS_HEIGHT: f32 = 150.0;

/// Colour of the input spectrum.
const INPUT_COLOUR: Color32 = Color32::from_rgb(150, 150, 160);

/// Colour of the output spectrum and of the generated band.
const OUTPUT_COLOUR: Color32 = Color32::from_rgb(90, 190, 255);

/// Colour of the cutoff marker.
const CUTOFF_COLOUR: Color32 = Color32::from_rgb(255, 170, 60);

/// Everything the editor shows, shared with the plugin.
pub struct EditorModel {
    /// The parameters.
    pub params: Arc<AirliftParams>,
    /// The engine's published status.
    pub status: Arc<SharedStatus>,
    /// Why a model is not running, or which one runs, in words.
    pub status_message: Arc<Mutex<String>>,
    /// The live spectra.
    pub spectrum: Arc<Mutex<SpectrumReader>>,
}

/// Draws the whole editor into `ui`.
pub fn draw(ui: &mut egui::Ui, model: &EditorModel, setter: &ParamSetter) {
    ui.spacing_mut().item_spacing = Vec2::new(8.0, 6.0);
    ui.horizontal(|ui| {
        ui.heading("Airlift");
        ui.label("restores the missing high band");
    });
    let spectrum_height = (ui.available_height() - CONTROLS_HEIGHT).max(120.0);
    let (rect, _) = ui.allocate_exact_size(
        Vec2::new(ui.available_width(), spectrum_height),
        Sense::hover(),
    );
    if let Ok(mut reader) = model.spectrum.lock() {
        let frame = reader.latest().clone();
        draw_spectrum(ui, rect, &frame, model);
    }
    ui.add_space(4.0);
    controls(ui, model, setter);
    ui.separator();
    ui.label(egui::RichText::new(status_line(model)).monospace());
}

/// The cutoff to mark on the spectrum, and how it was chosen.
fn cutoff_marker(model: &EditorModel) -> (Option<f32>, String) {
    let snapshot = model.status.snapshot();
    if !model.params.auto_cutoff.value() {
        let hz = model.params.cutoff_hz.value();
        return (Some(hz), format!("cutoff {} (manual)", format_hz(hz)));
    }
    match snapshot.map(|s| s.detection) {
        Some(Detection::BandLimit { cutoff_hz }) => (
            Some(cutoff_hz),
            format!("detected {}", format_hz(cutoff_hz)),
        ),
        Some(Detection::NoBandLimit) => (None, "auto: no band limit".into()),
        _ => (None, "auto: listening…".into()),
    }
}

fn format_hz(hz: f32) -> String {
    if hz >= 1000.0 {
        format!("{:.2} kHz", hz / 1000.0)
    } else {
        format!("{hz:.0} Hz")
    }
}

/// The spectrum: input in grey, output in blue, the generated band above the cutoff filled,
/// the cutoff marker in orange, on a logarithmic frequency axis and a dB axis.
fn draw_spectrum(ui: &egui::Ui, rect: Rect, frame: &SpectrumFrame, model: &EditorModel) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, Color32::from_rgb(18, 20, 26));
    let top_hz = frame.top_hz;
    let x_of = |hz: f32| {
        let t = (hz / DISPLAY_LOW_HZ).ln() / (top_hz / DISPLAY_LOW_HZ).ln();
        rect.left() + t.clamp(0.0, 1.0) * rect.width()
    };
    let (low_db, high_db) = LEVEL_RANGE_DB;
    let y_of = |db: f32| {
        let t = ((db - low_db) / (high_db - low_db)).clamp(0.0, 1.0);
        rect.bottom() - t * rect.height()
    };
    let grid = Stroke::new(1.0, Color32::from_gray(45));
    let label_font = FontId::proportional(11.0);
    for hz in [
        50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0,
    ] {
        if hz < top_hz {
            let x = x_of(hz);
            painter.line_segment(
                [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
                grid,
            );
            let text = if hz >= 1000.0 {
                format!("{}k", hz / 1000.0)
            } else {
                format!("{hz}")
            };
            painter.text(
                Pos2::new(x + 2.0, rect.bottom() - 2.0),
                Align2::LEFT_BOTTOM,
                text,
                label_font.clone(),
                Color32::GRAY,
            );
        }
    }
    let mut db = high_db;
    while db > low_db {
        let y = y_of(db);
        painter.line_segment(
            [Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
            grid,
        );
        painter.text(
            Pos2::new(rect.left() + 2.0, y + 1.0),
            Align2::LEFT_TOP,
            format!("{db:.0} dB"),
            label_font.clone(),
            Color32::GRAY,
        );
        db -= 20.0;
    }

    let (cutoff, caption) = cutoff_marker(model);
    if frame.frames > 0 {
        let points = |levels: &[f32; DISPLAY_POINTS]| -> Vec<Pos2> {
            (0..DISPLAY_POINTS)
                .map(|i| Pos2::new(x_of(frame.point_hz(i)), y_of(levels[i])))
                .collect()
        };
        // The generated band: between input and output, above the cutoff's ramp.
        let band_from = cutoff.unwrap_or(f32::INFINITY) * (-1.0f32 / 12.0).exp2();
        let fill = Stroke::new(2.0, OUTPUT_COLOUR.gamma_multiply(0.35));
        for i in 0..DISPLAY_POINTS {
            let hz = frame.point_hz(i);
            if hz >= band_from && frame.output_db[i] > frame.input_db[i] + 0.5 {
                let x = x_of(hz);
                painter.line_segment(
                    [
                        Pos2::new(x, y_of(frame.input_db[i])),
                        Pos2::new(x, y_of(frame.output_db[i])),
                    ],
                    fill,
                );
            }
        }
        // Output under input: below the cutoff they are the same (the low band is untouched), so
        // the blue shows only where the band was generated.
        let output_line =
            egui::Shape::line(points(&frame.output_db), Stroke::new(1.5, OUTPUT_COLOUR));
        painter.add(output_line);
        let input_line = egui::Shape::line(points(&frame.input_db), Stroke::new(1.5, INPUT_COLOUR));
        painter.add(input_line);
    } else {
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            "waiting for audio",
            FontId::proportional(14.0),
            Color32::GRAY,
        );
    }
    if let Some(hz) = cutoff.filter(|hz| *hz < top_hz) {
        let x = x_of(hz);
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(2.0, CUTOFF_COLOUR),
        );
    }
    painter.text(
        Pos2::new(rect.right() - 6.0, rect.top() + 6.0),
        Align2::RIGHT_TOP,
        caption,
        FontId::proportional(13.0),
        CUTOFF_COLOUR,
    );
    painter.text(
        Pos2::new(rect.right() - 6.0, rect.top() + 24.0),
        Align2::RIGHT_TOP,
        "input — grey   output — blue   generated band — shaded",
        FontId::proportional(11.0),
        Color32::GRAY,
    );
}

/// Width of the parameter sliders, in points.
const SLIDER_WIDTH: f32 = 180.0;

/// A combo box bound to an enum parameter, with a gesture around each change.
fn enum_combo<T: Enum + PartialEq + Copy + Send + Sync + 'static>(
    ui: &mut egui::Ui,
    id: &str,
    param: &EnumParam<T>,
    setter: &ParamSetter,
    label: egui::Id,
) {
    let current = param.value();
    let names = T::variants();
    egui::ComboBox::from_id_salt(id)
        .selected_text(names[current.to_index()])
        .show_ui(ui, |ui| {
            for (index, name) in names.iter().enumerate() {
                let variant = T::from_index(index);
                if ui.selectable_label(variant == current, *name).clicked() && variant != current {
                    setter.begin_set_parameter(param);
                    setter.set_parameter(param, variant);
                    setter.end_set_parameter(param);
                }
            }
        })
        .response
        .labelled_by(label);
}

/// The parameter controls.
fn controls(ui: &mut egui::Ui, model: &EditorModel, setter: &ParamSetter) {
    let params = &model.params;
    egui::Grid::new("controls")
        .num_columns(4)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            ui.label(params.cutoff_hz.name());
            ui.horizontal(|ui| {
                param_slider(ui, &params.cutoff_hz, setter, SLIDER_WIDTH);
                let mut auto = params.auto_cutoff.value();
                if ui.checkbox(&mut auto, params.auto_cutoff.name()).changed() {
                    setter.begin_set_parameter(&params.auto_cutoff);
                    setter.set_parameter(&params.auto_cutoff, auto);
                    setter.end_set_parameter(&params.auto_cutoff);
                }
            });
            let label = ui.label(params.model.name()).id;
            enum_combo(ui, "model", &params.model, setter, label);
            ui.end_row();

            ui.label(params.mix.name());
            param_slider(ui, &params.mix, setter, SLIDER_WIDTH);
            let label = ui.label(params.provider.name()).id;
            enum_combo(ui, "provider", &params.provider, setter, label);
            ui.end_row();

            ui.label(params.output_gain_db.name());
            param_slider(ui, &params.output_gain_db, setter, SLIDER_WIDTH);
            ui.end_row();
        });
}

/// The status line: backend and provider, model (or why not), latency, inference load and
/// dropouts.
pub fn status_line(model: &EditorModel) -> String {
    let message = model
        .status_message
        .lock()
        .map(|m| m.clone())
        .unwrap_or_default();
    let Some(status) = model.status.snapshot() else {
        return if message.is_empty() {
            "not active".into()
        } else {
            format!("not running: {message}")
        };
    };
    let backend = match status.provider {
        Some(provider) => format!("ONNX Runtime ({provider})"),
        None => "DSP".into(),
    };
    let model_text = match status.provider {
        Some(_) => message,
        None if message.is_empty() => status.active_model.display_name().to_string(),
        None => message,
    };
    let load = status
        .inference_load
        .map_or("n/a".to_string(), |load| format!("{:.1} %", load * 100.0));
    format!(
        "backend {backend} | model {model_text} | latency {:.1} ms | inference load {load} | dropouts {}",
        status.latency_ms(),
        status.dropouts
    )
}
