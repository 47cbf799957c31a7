//! The plugin window (egui): status, last results, controls and the command list.
//!
//! Runs on the GUI thread only while the window is open. Guarantees: it never touches the audio
//! thread's data; it reads the engine state from a triple buffer (under its own mutex, which the
//! audio thread never takes) and talks to the engine through its control channel.
//!
//! Layout (720x560 logical):
//! - top bar: name, Enabled, listen mode, recognizer ([`controls::top_bar`]);
//! - left column: the big status light and input meter, the last utterance and the history
//!   ([`status`]);
//! - right column: push-to-talk and the sliders ([`controls::controls`]), then a tab with the
//!   command list ([`commands_panel::CommandsPanel::command_list`]) or the engine status
//!   ([`status::model_status`]).
//!
//! Host parameters are only changed through nice-plug's `ParamSetter` (begin/set/end), so hosts
//! record automation and show the values.

mod commands_panel;
mod controls;
mod status;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui::{Color32, FontId, TextStyle};
use nice_plug::context::gui::GuiContext;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
};

use crate::commands::CommandLibrary;
use crate::messages::EngineState;
use crate::params::VoxcueParams;
use crate::EngineLink;

use commands_panel::CommandsPanel;
use controls::PushToTalk;

/// What the editor needs from the plugin.
pub struct EditorData {
    pub params: Arc<VoxcueParams>,
    pub engine_state: Arc<Mutex<triple_buffer::Output<EngineState>>>,
    pub engine_link: EngineLink,
    pub library: Arc<Mutex<CommandLibrary>>,
}

/// How often the window redraws while open, so the status light follows the engine.
const REFRESH: Duration = Duration::from_millis(40);

/// Width of the left (status) column.
const STATUS_COLUMN_WIDTH: f32 = 300.0;

/// Which page the lower right area shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Tab {
    #[default]
    Commands,
    Engine,
}

/// The egui app.
pub struct VoxcueEditor {
    data: EditorData,
    /// nice-plug's context for the open window (needed for `ParamSetter`); `None` until built.
    gui: Option<GuiContext>,
    /// Push-to-talk button state (whether we hold the parameter down).
    ptt: PushToTalk,
    /// Command list editing state.
    commands: CommandsPanel,
    tab: Tab,
}

/// Builds the editor.
pub fn create(data: EditorData) -> Option<EguiEditor<VoxcueEditor>> {
    let state = Arc::clone(&data.params.editor_state);
    let settings = EguiNiceSettings::new().with_tile("Voxcue");
    let app = VoxcueEditor {
        data,
        gui: None,
        ptt: PushToTalk::default(),
        commands: CommandsPanel::default(),
        tab: Tab::default(),
    };
    create_egui_editor(state, RepaintNotifier::new(), settings, app)
}

/// Dark theme with large, stage-readable text.
fn apply_theme(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Dark);
    ctx.all_styles_mut(|style| {
        use egui::FontFamily::{Monospace, Proportional};
        style.text_styles = [
            (TextStyle::Small, FontId::new(12.0, Proportional)),
            (TextStyle::Body, FontId::new(15.0, Proportional)),
            (TextStyle::Button, FontId::new(15.0, Proportional)),
            (TextStyle::Heading, FontId::new(22.0, Proportional)),
            (TextStyle::Monospace, FontId::new(14.0, Monospace)),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(8.0, 4.0);
        style.visuals = egui::Visuals::dark();
        style.visuals.panel_fill = Color32::from_rgb(0x16, 0x17, 0x1a);
        style.visuals.extreme_bg_color = Color32::from_rgb(0x0c, 0x0c, 0x0e);
        style.visuals.override_text_color = Some(Color32::from_rgb(0xe6, 0xe6, 0xe6));
    });
}

impl VoxcueEditor {
    /// A copy of the latest engine state (the triple buffer's mutex is the editor's own).
    fn engine_state(&self) -> EngineState {
        match self.data.engine_state.lock() {
            Ok(mut out) => out.read().clone(),
            Err(poisoned) => poisoned.into_inner().read().clone(),
        }
    }

    /// Whether the engine thread is running (the host activated the plugin).
    fn engine_running(&self) -> bool {
        self.data
            .engine_link
            .lock()
            .map(|l| l.is_some())
            .unwrap_or(false)
    }
}

impl NiceEguiApp for VoxcueEditor {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        apply_theme(&egui_ctx);
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        ui.ctx().request_repaint_after(REFRESH);
        let state = self.engine_state();
        let running = self.engine_running();
        let Self {
            data,
            gui,
            ptt,
            commands,
            tab,
        } = self;
        let setter = gui.as_ref().map(|g| g.param_setter());
        let params = &*data.params;

        egui::Panel::top("voxcue_top").show(ui, |ui| {
            controls::top_bar(ui, params, setter.as_ref(), &state, running);
        });

        egui::Panel::left("voxcue_status")
            .exact_size(STATUS_COLUMN_WIDTH)
            .resizable(false)
            .show(ui, |ui| {
                status::status_light(ui, &state, params.enabled.value());
                status::level_meter(ui, state.input_db);
                ui.separator();
                status::last_result(ui, &state);
                ui.separator();
                status::history(ui, &state);
            });

        egui::CentralPanel::default().show(ui, |ui| {
            controls::controls(ui, params, setter.as_ref(), ptt);
            ui.separator();
            ui.horizontal(|ui| {
                let n = commands.command_count(&data.library);
                ui.selectable_value(tab, Tab::Commands, format!("Commands ({n})"));
                let problems = state.errors.len();
                let engine_label = if problems > 0 {
                    egui::RichText::new(format!(
                        "Engine status ({problems} problem{})",
                        if problems == 1 { "" } else { "s" }
                    ))
                    .color(status::ERROR_RED)
                } else {
                    egui::RichText::new("Engine status")
                };
                ui.selectable_value(tab, Tab::Engine, engine_label);
            });
            match tab {
                Tab::Commands => commands.command_list(ui, data),
                Tab::Engine => status::model_status(ui, &state, running),
            }
        });
    }

    fn editor_closed(&mut self) {
        // A button held while the window closes must not leave push-to-talk stuck down.
        if let Some(gui) = self.gui.as_ref() {
            self.ptt.release(&self.data.params, &gui.param_setter());
        }
        self.gui = None;
    }
}
