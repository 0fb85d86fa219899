//! What the editor draws: the spectrum with the cutoff and the generated band, the controls,
//! and the status. Plain functions of the shared state, so tests drive them headless.

use std::sync::{Arc, Mutex};

use egui::{self, Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2};
use nice_plug::prelude::{BoolParam, Enum, EnumParam, Param, ParamSetter};

use super::slider::{param_slider, Following};
use super::spectrum::{SpectrumFrame, SpectrumReader, DISPLAY_LOW_HZ, DISPLAY_POINTS};
use crate::dsp::cutoff::Detection;
use crate::engine::{DetectAgain, SharedStatus};
use crate::params::{AirliftParams, ListenChoice};

/// Range of the spectrum's level axis in dB.
const LEVEL_RANGE_DB: (f32, f32) = (-110.0, 0.0);

/// Height of the control and status area below the spectrum, in points.
const CONTROLS_HEIGHT: f32 = 160.0;

/// Colour of the input spectrum.
pub const INPUT_COLOUR: Color32 = Color32::from_rgb(150, 150, 160);

/// Colour of the input's peak hold.
pub const INPUT_PEAK_COLOUR: Color32 = Color32::from_rgb(90, 90, 100);

/// Colour of the output spectrum.
pub const OUTPUT_COLOUR: Color32 = Color32::from_rgb(90, 190, 255);

/// Colour of the output's peak hold.
pub const OUTPUT_PEAK_COLOUR: Color32 = Color32::from_rgb(55, 115, 160);

/// Colour of the area the generated band adds, between the input and the output.
pub const BAND_FILL_COLOUR: Color32 = Color32::from_rgb(30, 78, 110);

/// Colour of the cutoff marker and its label.
pub const CUTOFF_COLOUR: Color32 = Color32::from_rgb(255, 170, 60);

/// Colour of a notice that something fell back.
const NOTICE_COLOUR: Color32 = Color32::from_rgb(240, 200, 90);

/// Everything the editor shows, shared with the plugin.
pub struct EditorModel {
    /// The parameters.
    pub params: Arc<AirliftParams>,
    /// The engine's published status.
    pub status: Arc<SharedStatus>,
    /// One short sentence when something falls back, empty otherwise.
    pub notice: Arc<Mutex<String>>,
    /// The live spectra.
    pub spectrum: Arc<Mutex<SpectrumReader>>,
    /// Where "Detect again" is asked for.
    pub detect_again: Arc<DetectAgain>,
}

/// Draws the whole editor into `ui`.
pub fn draw(ui: &mut egui::Ui, model: &EditorModel, setter: &ParamSetter) {
    ui.spacing_mut().item_spacing = Vec2::new(8.0, 6.0);
    ui.horizontal(|ui| {
        ui.heading("Airlift");
        ui.label("restores the missing high band");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            toggle(ui, &model.params.bypass, setter);
        });
    });
    let spectrum_height = (ui.available_height() - CONTROLS_HEIGHT).max(120.0);
    let (rect, _) = ui.allocate_exact_size(
        Vec2::new(ui.available_width(), spectrum_height),
        Sense::hover(),
    );
    let cutoff = cutoff_view(model);
    if let Ok(mut reader) = model.spectrum.lock() {
        let frame = reader.latest().clone();
        draw_spectrum(ui, rect, &frame, &cutoff);
    }
    ui.add_space(4.0);
    controls(ui, model, setter, &cutoff);
    ui.separator();
    ui.label(status_line(model));
    let notice = notice(model);
    if !notice.is_empty() {
        ui.colored_label(NOTICE_COLOUR, notice);
    }
}

/// How the cutoff looks: where its marker goes, what the spectrum says of it, and what the
/// cutoff slider follows in auto mode.
#[derive(Debug, Clone, PartialEq)]
pub struct CutoffView {
    /// Where the band starts, if a band is generated.
    pub marker_hz: Option<f32>,
    /// How the cutoff was chosen, for the spectrum's corner.
    pub caption: String,
    /// In auto mode, what the slider shows instead of the manual value.
    pub following: Option<Following>,
}

/// The cutoff as the editor shows it. In auto mode the slider follows the detected value;
/// moving it switches to manual from there.
pub fn cutoff_view(model: &EditorModel) -> CutoffView {
    let param = &model.params.cutoff_hz;
    if !model.params.auto_cutoff.value() {
        return CutoffView {
            marker_hz: Some(param.value()),
            caption: "manual cutoff".into(),
            following: None,
        };
    }
    let snapshot = model.status.snapshot();
    let applied_hz = snapshot.and_then(|s| s.applied_cutoff_hz);
    let following = |hz: Option<f32>, text: &str| {
        Some(Following {
            normalized: hz.map_or(param.unmodulated_normalized_value(), |hz| {
                param.preview_normalized(hz)
            }),
            text: text.to_string(),
        })
    };
    if let Some(hz) = applied_hz.filter(|_| snapshot.is_some_and(|s| s.band_limit_remembered)) {
        // A saved state's band limit, in force until the detection listening now confirms it
        // or settles on another.
        return CutoffView {
            marker_hz: Some(hz),
            caption: if snapshot.is_some_and(|s| s.holes_found) {
                "auto: band limit remembered, codec holes below; listening…".into()
            } else {
                "auto: band limit remembered; listening…".into()
            },
            following: following(Some(hz), &format!("auto · {} (remembered)", format_hz(hz))),
        };
    }
    if let Some(hz) = snapshot.and_then(|s| s.worn_cutoff_hz) {
        // Denoise on, no band limit in force, and the input judged an old disc's transfer:
        // the band is generated from just above its corner, while the edge search listens or
        // after it found no band limit.
        let text = format!("auto · worn {}", format_hz(hz));
        let remembered = snapshot.is_some_and(|s| s.worn_corner_remembered);
        return CutoffView {
            marker_hz: applied_hz.or(Some(hz)),
            caption: if remembered {
                // A saved state's corner, in force until the judge listening now confirms it
                // or settles on another.
                "auto: worn transfer, corner remembered; listening… (Denoise)".into()
            } else {
                "auto: worn transfer, band from its corner (Denoise)".into()
            },
            following: following(
                Some(hz),
                &if remembered {
                    format!("{text} (remembered)")
                } else {
                    text
                },
            ),
        };
    }
    match snapshot.map(|s| s.detection) {
        Some(Detection::BandLimit { cutoff_hz }) => CutoffView {
            marker_hz: Some(cutoff_hz),
            caption: if snapshot.is_some_and(|s| s.holes_found) {
                "auto: band limit detected, codec holes below".into()
            } else {
                "auto: band limit detected".into()
            },
            following: following(Some(cutoff_hz), &format!("auto · {}", format_hz(cutoff_hz))),
        },
        Some(Detection::NoBandLimit) => CutoffView {
            marker_hz: None,
            caption: "auto: no band limit, nothing added".into(),
            following: Some(Following {
                normalized: 1.0,
                text: "auto · no band limit".into(),
            }),
        },
        _ => CutoffView {
            marker_hz: applied_hz,
            caption: "auto: listening…".into(),
            following: following(applied_hz, "auto · listening…"),
        },
    }
}

/// A frequency for people: "10.6 kHz", "850 Hz".
fn format_hz(hz: f32) -> String {
    if hz >= 1000.0 {
        format!("{:.1} kHz", hz / 1000.0)
    } else {
        format!("{hz:.0} Hz")
    }
}

/// The spectrum on a log frequency axis and a dB axis: input in grey and output in blue,
/// averaged, with thinner peak holds; the band Airlift adds filled between them; the cutoff
/// marked in orange with its value.
fn draw_spectrum(ui: &egui::Ui, rect: Rect, frame: &SpectrumFrame, cutoff: &CutoffView) {
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

    if frame.frames > 0 {
        let line = |levels: &[f32; DISPLAY_POINTS], stroke: Stroke| {
            let points = (0..DISPLAY_POINTS)
                .map(|i| Pos2::new(x_of(frame.point_hz(i)), y_of(levels[i])))
                .collect();
            painter.add(egui::Shape::line(points, stroke));
        };
        // The band Airlift adds: the area between input and output above the cutoff's ramp
        // (a twelfth of an octave below the cutoff).
        let band_from_hz = cutoff.marker_hz.unwrap_or(f32::INFINITY) * (-1.0f32 / 12.0).exp2();
        let mut band = egui::Mesh::default();
        for i in 0..DISPLAY_POINTS - 1 {
            let adds = |p: usize| frame.output_db[p] > frame.input_db[p];
            if frame.point_hz(i) < band_from_hz || !(adds(i) || adds(i + 1)) {
                continue;
            }
            let base = band.vertices.len() as u32;
            for p in [i, i + 1] {
                let x = x_of(frame.point_hz(p));
                let output_db = frame.output_db[p].max(frame.input_db[p]);
                band.colored_vertex(Pos2::new(x, y_of(frame.input_db[p])), BAND_FILL_COLOUR);
                band.colored_vertex(Pos2::new(x, y_of(output_db)), BAND_FILL_COLOUR);
            }
            band.add_triangle(base, base + 1, base + 2);
            band.add_triangle(base + 1, base + 2, base + 3);
        }
        painter.add(egui::Shape::mesh(band));
        // Output under input: below the cutoff they are the same (the low band is untouched),
        // so the blue shows only where the band was generated.
        line(&frame.output_peak_db, Stroke::new(1.0, OUTPUT_PEAK_COLOUR));
        line(&frame.input_peak_db, Stroke::new(1.0, INPUT_PEAK_COLOUR));
        line(&frame.output_db, Stroke::new(1.5, OUTPUT_COLOUR));
        line(&frame.input_db, Stroke::new(1.5, INPUT_COLOUR));
    } else {
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            "waiting for audio",
            FontId::proportional(14.0),
            Color32::GRAY,
        );
    }
    if let Some(hz) = cutoff.marker_hz.filter(|hz| *hz < top_hz) {
        let x = x_of(hz);
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(2.0, CUTOFF_COLOUR),
        );
        // The value beside the marker, on the side with room for it.
        let (anchor, at_x) = if x < rect.right() - 90.0 {
            (Align2::LEFT_TOP, x + 5.0)
        } else {
            (Align2::RIGHT_TOP, x - 5.0)
        };
        painter.text(
            Pos2::new(at_x, rect.top() + 6.0),
            anchor,
            format_hz(hz),
            FontId::proportional(14.0),
            CUTOFF_COLOUR,
        );
    }
    // How the cutoff was chosen and the legend, top left, clear of the marker (which sits to
    // the right on most material) and of the level labels.
    painter.text(
        Pos2::new(rect.left() + 60.0, rect.top() + 6.0),
        Align2::LEFT_TOP,
        &cutoff.caption,
        FontId::proportional(13.0),
        CUTOFF_COLOUR,
    );
    painter.text(
        Pos2::new(rect.left() + 60.0, rect.top() + 24.0),
        Align2::LEFT_TOP,
        "input grey · output blue · thin: peak hold · filled: added band",
        FontId::proportional(11.0),
        Color32::GRAY,
    );
}

/// Width of the parameter sliders, in points.
const SLIDER_WIDTH: f32 = 180.0;

/// Sets `param` to `value` in one host gesture.
fn set_in_gesture<P: Param>(setter: &ParamSetter, param: &P, value: P::Plain) {
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

/// A checkbox bound to a boolean parameter, each change in one gesture.
fn toggle(ui: &mut egui::Ui, param: &BoolParam, setter: &ParamSetter) {
    let mut on = param.value();
    if ui.checkbox(&mut on, param.name()).changed() {
        set_in_gesture(setter, param, on);
    }
}

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
                    set_in_gesture(setter, param, variant);
                }
            }
        })
        .response
        .labelled_by(label);
}

/// The parameter controls.
fn controls(ui: &mut egui::Ui, model: &EditorModel, setter: &ParamSetter, cutoff: &CutoffView) {
    let params = &model.params;
    egui::Grid::new("controls")
        .num_columns(4)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            ui.label(params.cutoff_hz.name());
            ui.horizontal(|ui| {
                let slider = param_slider(
                    ui,
                    &params.cutoff_hz,
                    setter,
                    SLIDER_WIDTH,
                    cutoff.following.as_ref(),
                );
                // Taking the slider in auto mode takes the cutoff over by hand.
                if slider.changed() && params.auto_cutoff.value() {
                    set_in_gesture(setter, &params.auto_cutoff, false);
                }
                toggle(ui, &params.auto_cutoff, setter);
                let detect = ui.button("Detect again").on_hover_text(
                    "forget the detected band limit, and the one the session remembers, and \
                     listen again, as after a change of material; the band keeps its cutoff \
                     until the new one is found",
                );
                if detect.clicked() {
                    if !params.auto_cutoff.value() {
                        set_in_gesture(setter, &params.auto_cutoff, true);
                    }
                    model.detect_again.request();
                }
            });
            let label = ui.label(params.model.name()).id;
            enum_combo(ui, "model", &params.model, setter, label);
            ui.end_row();

            ui.label(params.mix.name());
            param_slider(ui, &params.mix, setter, SLIDER_WIDTH, None);
            let label = ui.label(params.provider.name()).id;
            enum_combo(ui, "provider", &params.provider, setter, label);
            ui.end_row();

            ui.label(params.output_gain_db.name());
            param_slider(ui, &params.output_gain_db, setter, SLIDER_WIDTH, None);
            let label = ui.label(params.listen.name()).id;
            enum_combo(ui, "listen", &params.listen, setter, label);
            ui.end_row();

            ui.label(params.denoise.name());
            param_slider(ui, &params.denoise, setter, SLIDER_WIDTH, None);
            ui.label("");
            toggle(ui, &params.codec_repair, setter);
            ui.end_row();
        });
}

/// What runs, for people: "Spectral U-Net · CPU · 75 ms latency · load 4 % · 0 dropouts",
/// with "filling codec holes" (or "codec holes left as they are" with Codec Repair off),
/// "50 Hz hum removed" (Denoise on and hum found), "bypassed", "added band only" or "removed
/// noise only" when they apply.
pub fn status_line(model: &EditorModel) -> String {
    let Some(status) = model.status.snapshot() else {
        return "Not running".into();
    };
    let mut parts = vec![
        status.active_model.display_name().to_string(),
        status.provider.unwrap_or("DSP").to_string(),
        format!("{:.0} ms latency", status.latency_ms()),
    ];
    if let Some(load) = status.inference_load {
        parts.push(format!("load {:.0} %", load * 100.0));
    }
    if status.provider.is_some() {
        parts.push(format!("{} dropouts", status.dropouts));
    }
    if status.model_errors > 0 {
        let noun = if status.model_errors == 1 {
            "model error"
        } else {
            "model errors"
        };
        parts.push(format!("{} {noun}", status.model_errors));
    }
    if status.model_stopped {
        parts.push("model stopped".into());
    } else if status.model_stalled {
        parts.push("model stalled".into());
    }
    if status.holes_filled {
        parts.push("filling codec holes".into());
    } else if status.holes_found {
        parts.push("codec holes left as they are".into());
    }
    if let Some(hum_hz) = status.hum_hz.filter(|_| model.params.denoise.value() > 0.0) {
        parts.push(format!("{hum_hz:.0} Hz hum removed"));
    }
    match model.params.listen.value() {
        ListenChoice::Added => parts.push("added band only".into()),
        ListenChoice::Removed => parts.push("removed noise only".into()),
        ListenChoice::Output => {}
    }
    if model.params.bypass.value() {
        parts.push("bypassed".into());
    }
    parts.join(" · ")
}

/// One short sentence when something falls back, empty when all runs as asked.
pub fn notice(model: &EditorModel) -> String {
    let notice = model
        .notice
        .lock()
        .map(|notice| notice.clone())
        .unwrap_or_default();
    if !notice.is_empty() {
        return notice;
    }
    model
        .status
        .snapshot()
        .and_then(|status| status.fallback_reason())
        .unwrap_or_default()
        .to_string()
}
