//! The egui editor: a live spectrum of input and output with the cutoff and the generated band,
//! the controls, and a status line. It reads atomics and the spectrum triple buffer only.

pub mod slider;
pub mod spectrum;
pub mod view;

use std::sync::Arc;

use nice_plug::context::gui::GuiContext;
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, Frame, NiceEguiApp,
    RepaintNotifier,
};

use view::EditorModel;

/// The editor's size at 100 % scale, in logical pixels.
pub const DEFAULT_SIZE: (f64, f64) = (900.0, 560.0);

/// The smallest size the editor can be resized to, in logical pixels.
pub const MIN_SIZE: (f32, f32) = (640.0, 440.0);

/// The editor's persistent state (size and zoom), made once per plugin instance.
pub fn default_state() -> Arc<EguiEditorState> {
    let (width, height) = DEFAULT_SIZE;
    EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(width, height), 1.0)
}

/// The editor application.
pub struct AirliftEditor {
    /// What it shows.
    model: EditorModel,
    /// The host context, once the window is built.
    context: Option<GuiContext>,
}

impl NiceEguiApp for AirliftEditor {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        egui_ctx.set_theme(egui::Theme::Dark);
        self.context = Some(nice_gui_ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        if let Some(context) = &self.context {
            let setter = context.param_setter();
            // A resize handle in the corner; the host is asked for the new size.
            ResizableWindow::new("airlift-editor")
                .min_size(egui::Vec2::new(MIN_SIZE.0, MIN_SIZE.1))
                .show(ui, |ui| {
                    egui::Frame::new()
                        .inner_margin(12.0)
                        .show(ui, |ui| view::draw(ui, &self.model, &setter));
                });
        }
        // The spectrum moves with the audio.
        ui.ctx().request_repaint();
    }

    fn editor_closed(&mut self) {
        self.context = None;
    }
}

/// Makes the editor.
pub fn create(
    state: Arc<EguiEditorState>,
    model: EditorModel,
) -> Option<EguiEditor<AirliftEditor>> {
    create_egui_editor(
        state,
        RepaintNotifier::new(),
        EguiNiceSettings::new().with_tile("Airlift"),
        AirliftEditor {
            model,
            context: None,
        },
    )
}
