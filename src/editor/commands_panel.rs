//! The command list: view, add, edit and delete commands and phrases, load and save a command
//! file, test-fire a command.
//!
//! Every change is validated by [`CommandSet::new`] (or the file loader) and installed through
//! the [`CommandLibrary`], so a bad edit never replaces the last good set. A new set is stored in
//! `params.commands_toml` (saved with the project) and sent to the engine as
//! [`Control::SetCommands`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use egui::{Color32, RichText, Ui};

use super::status::{DIM, ERROR_RED, FIRED_GREEN};
use super::EditorData;
use crate::commands::{
    ActionKind, Command, CommandFileError, CommandLibrary, CommandSet, MidiAction,
    TOML_LINES_PER_COMMAND,
};
use crate::messages::Control;

/// A command being edited; numbers are kept as the user sees them (channel 1-16).
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    /// Index of the command being edited, `None` for a new one.
    pub index: Option<usize>,
    pub id: String,
    pub phrases: Vec<String>,
    pub kind: ActionKind,
    /// 1-based MIDI channel, as in command files.
    pub channel: u8,
    pub number: u8,
    pub value: u8,
}

impl Draft {
    /// A draft of an existing command.
    fn from_command(index: usize, c: &Command) -> Draft {
        Draft {
            index: Some(index),
            id: c.id.clone(),
            phrases: c.phrases.clone(),
            kind: c.action.kind,
            channel: c.action.channel + 1,
            number: c.action.number,
            value: c.action.value,
        }
    }

    /// A new command with a free id, one empty phrase and the next free note.
    fn new_command(set: &CommandSet) -> Draft {
        let id = (1..)
            .map(|n| format!("command_{n}"))
            .find(|id| set.index_of(id).is_none())
            .unwrap_or_default();
        let next_note = set
            .commands()
            .iter()
            .filter(|c| c.action.kind == ActionKind::Note)
            .map(|c| c.action.number)
            .max();
        Draft {
            index: None,
            id,
            phrases: vec![String::new()],
            kind: ActionKind::Note,
            channel: 1,
            number: next_note.map_or(36, |n| n.saturating_add(1).min(127)),
            value: 127,
        }
    }

    /// The command as it would be stored (validation happens in [`CommandSet::new`]).
    fn to_command(&self) -> Command {
        Command {
            id: self.id.trim().to_owned(),
            phrases: self.phrases.clone(),
            action: MidiAction {
                kind: self.kind,
                channel: self.channel.clamp(1, 16) - 1,
                number: self.number.min(127),
                value: self.value.min(127),
            },
        }
    }

    /// The full command list with this draft applied.
    pub fn apply_to(&self, commands: &[Command]) -> Vec<Command> {
        let mut list = commands.to_vec();
        match self.index {
            Some(i) if i < list.len() => list[i] = self.to_command(),
            _ => list.push(self.to_command()),
        }
        list
    }
}

/// A message under the list: what happened last (green) or why it was refused (red).
#[derive(Clone, Debug, PartialEq)]
enum Notice {
    Done(String),
    Problem(String),
}

/// Editing state of the command list.
#[derive(Debug)]
pub struct CommandsPanel {
    /// The command being edited, if any.
    draft: Option<Draft>,
    /// Typed path for Load/Save.
    path: String,
    notice: Option<Notice>,
}

impl Default for CommandsPanel {
    fn default() -> Self {
        CommandsPanel {
            draft: None,
            path: "commands.toml".to_owned(),
            notice: None,
        }
    }
}

/// Locks the library, surviving a poisoned lock (the set inside is always valid).
fn lock(library: &Mutex<CommandLibrary>) -> MutexGuard<'_, CommandLibrary> {
    library.lock().unwrap_or_else(|p| p.into_inner())
}

/// Removes a leading "line N: " or "line N, column M: " from an error message.
fn strip_line_prefix(message: &str) -> &str {
    if let Some(rest) = message.strip_prefix("line ") {
        if let Some(pos) = rest.find(": ") {
            let head = &rest[..pos];
            if head
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == ' ' || c.is_ascii_alphabetic())
            {
                return &rest[pos + 2..];
            }
        }
    }
    message
}

/// An edit's validation error in plain words: line numbers (which refer to the rendered file)
/// become the command's position and id.
pub fn describe_edit_error(e: &CommandFileError, commands: &[Command]) -> String {
    if matches!(e, CommandFileError::NoCommands) {
        return "At least one command is needed: the last command cannot be deleted.".to_owned();
    }
    let command_at = |line: usize| (line.saturating_sub(1)) / TOML_LINES_PER_COMMAND + 1;
    match e {
        CommandFileError::DuplicateId {
            id,
            line,
            first_line,
        } => {
            return format!(
                "Command {}: the id \"{id}\" is already used by command {}; ids must be unique.",
                command_at(*line),
                command_at(*first_line)
            );
        }
        CommandFileError::DuplicatePhrase {
            phrase,
            id,
            first_id,
            ..
        } => {
            return if id == first_id {
                format!("Command \"{id}\" has the phrase \"{phrase}\" twice.")
            } else {
                format!("The phrase \"{phrase}\" of \"{id}\" is already used by command \"{first_id}\".")
            };
        }
        _ => {}
    }
    let full = e.to_string();
    let text = strip_line_prefix(&full);
    let Some(line) = e.line() else {
        return text.to_owned();
    };
    let index = (line.saturating_sub(1)) / TOML_LINES_PER_COMMAND;
    match commands.get(index) {
        Some(c) if !text.contains(&format!("\"{}\"", c.id)) => {
            format!("Command {} (\"{}\"): {text}", index + 1, c.id)
        }
        _ => capitalize(text),
    }
}

/// First letter upper case.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `"~/x"` -> `$HOME/x`; other paths unchanged.
fn expand_path(typed: &str) -> PathBuf {
    let typed = typed.trim();
    if let (Some(rest), Some(home)) = (typed.strip_prefix("~/"), std::env::var_os("HOME")) {
        return PathBuf::from(home).join(rest);
    }
    PathBuf::from(typed)
}

/// One line describing a command's MIDI action.
pub fn action_text(a: &MidiAction) -> String {
    let ch = a.channel + 1;
    match a.kind {
        ActionKind::Note => format!("note {} vel {} ch {ch}", a.number, a.value),
        ActionKind::Cc => format!("CC {} = {} ch {ch}", a.number, a.value),
        ActionKind::Program => format!("program {} ch {ch}", a.number),
    }
}

/// Stores a newly installed set with the project and hands it to the engine.
fn publish(data: &EditorData, set: &Arc<CommandSet>) {
    *data.params.commands_toml.write() = set.to_toml();
    if let Ok(link) = data.engine_link.lock() {
        if let Some(sender) = link.as_ref() {
            // A stopped engine drops the message; the set is restored from commands_toml on activation.
            let _ = sender.send(Control::SetCommands(Arc::clone(set)));
        }
    }
}

/// Asks the engine to send a command's MIDI now (for MIDI learn).
fn test_fire(data: &EditorData, index: usize) -> bool {
    send(data, Control::TestFire(index))
}

/// Sends a control message to the engine; false when it is not running.
fn send(data: &EditorData, control: Control) -> bool {
    match data.engine_link.lock() {
        Ok(link) => link.as_ref().is_some_and(|s| s.send(control).is_ok()),
        Err(_) => false,
    }
}

impl CommandsPanel {
    /// Number of commands in the current set.
    pub fn command_count(&self, library: &Mutex<CommandLibrary>) -> usize {
        lock(library).current().len()
    }

    /// Validates a full command list and installs it; on error the old set stays.
    fn install(&mut self, data: &EditorData, commands: Vec<Command>, done: String) -> bool {
        let result = CommandSet::new(commands.clone())
            .and_then(|set| lock(&data.library).replace_from_text(&set.to_toml()));
        match result {
            Ok(set) => {
                publish(data, &set);
                self.notice = Some(Notice::Done(done));
                true
            }
            Err(e) => {
                self.notice = Some(Notice::Problem(describe_edit_error(&e, &commands)));
                false
            }
        }
    }

    /// Loads the typed path; a bad file keeps the current set.
    fn load(&mut self, data: &EditorData) {
        if self.path.trim().is_empty() {
            self.notice = Some(Notice::Problem(
                "Type the path of a command file first.".into(),
            ));
            return;
        }
        let path = expand_path(&self.path);
        let result = lock(&data.library).replace_from_path(&path);
        self.notice = Some(match result {
            Ok(set) => {
                publish(data, &set);
                self.draft = None;
                Notice::Done(format!(
                    "Loaded {} commands from {}",
                    set.len(),
                    path.display()
                ))
            }
            Err(e) => Notice::Problem(format!(
                "{} was not loaded (the current commands stay): {e}",
                path.display()
            )),
        });
    }

    /// Saves the current set to the typed path.
    fn save(&mut self, data: &EditorData) {
        if self.path.trim().is_empty() {
            self.notice = Some(Notice::Problem("Type the path to save to first.".into()));
            return;
        }
        let path = expand_path(&self.path);
        let set = Arc::clone(lock(&data.library).current());
        self.notice = Some(match std::fs::write(&path, set.to_toml()) {
            Ok(()) => Notice::Done(format!(
                "Saved {} commands to {}",
                set.len(),
                path.display()
            )),
            Err(e) => Notice::Problem(format!("Could not save to {}: {e}", path.display())),
        });
    }

    /// The file row, the notice, the edit form and the list of commands.
    pub fn command_list(&mut self, ui: &mut Ui, data: &EditorData) {
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text("path/to/commands.toml")
                    .desired_width(150.0),
            );
            if ui
                .button("Load\u{2026}")
                .on_hover_text("Replace the commands with this file's")
                .clicked()
            {
                self.load(data);
            }
            if ui
                .button("Save\u{2026}")
                .on_hover_text("Write the commands to this file")
                .clicked()
            {
                self.save(data);
            }
            if ui
                .add_enabled(self.draft.is_none(), egui::Button::new("+ Add"))
                .clicked()
            {
                self.draft = Some(Draft::new_command(lock(&data.library).current()));
            }
        });
        match &self.notice {
            Some(Notice::Done(t)) => {
                ui.label(RichText::new(t).color(FIRED_GREEN));
            }
            Some(Notice::Problem(t)) => {
                ui.label(RichText::new(t).color(ERROR_RED).strong());
            }
            None => {}
        }
        let set = Arc::clone(lock(&data.library).current());
        if self.draft.is_some() {
            self.edit_form(ui, data, &set);
            return;
        }
        let engine_running = data
            .engine_link
            .lock()
            .map(|l| l.is_some())
            .unwrap_or(false);
        egui::ScrollArea::vertical()
            .id_salt("voxcue_commands")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (i, c) in set.commands().iter().enumerate() {
                    self.command_row(ui, data, &set, i, c, engine_running);
                }
            });
    }

    /// One command: id, action, phrases and its buttons.
    fn command_row(
        &mut self,
        ui: &mut Ui,
        data: &EditorData,
        set: &CommandSet,
        i: usize,
        c: &Command,
        engine_running: bool,
    ) {
        egui::Frame::new()
            .fill(if i.is_multiple_of(2) {
                Color32::from_rgb(0x1e, 0x1f, 0x24)
            } else {
                Color32::from_rgb(0x19, 0x1a, 0x1e)
            })
            .inner_margin(egui::Margin::symmetric(6, 3))
            .corner_radius(4)
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&c.id).strong().color(Color32::WHITE));
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui.small_button("Delete").clicked() {
                            let mut list = set.commands().to_vec();
                            list.remove(i);
                            self.install(data, list, format!("Deleted \"{}\"", c.id));
                        }
                        if ui.small_button("Edit").clicked() {
                            self.draft = Some(Draft::from_command(i, c));
                            self.notice = None;
                        }
                        let teach = ui
                            .add_enabled(engine_running, egui::Button::new("Teach").small())
                            .on_hover_text("Say the command after clicking: the recording becomes an example for the S2O recognizer");
                        if teach.clicked() {
                            self.notice = Some(if send(data, Control::Teach(i)) {
                                Notice::Done(format!("Say \"{}\" now: the next utterance is recorded as an example", c.id))
                            } else {
                                Notice::Problem("The engine is not running.".into())
                            });
                        }
                        let test = ui
                            .add_enabled(engine_running, egui::Button::new("Test").small())
                            .on_hover_text("Send this command's MIDI now (for MIDI learn)")
                            .on_disabled_hover_text("The engine is not running");
                        if test.clicked() {
                            self.notice = Some(if test_fire(data, i) {
                                Notice::Done(format!(
                                    "Sent \"{}\": {}",
                                    c.id,
                                    action_text(&c.action)
                                ))
                            } else {
                                Notice::Problem(
                                    "The engine is not running, nothing was sent.".into(),
                                )
                            });
                        }
                    });
                });
                let phrases: Vec<String> = c
                    .phrases
                    .iter()
                    .map(|p| format!("\u{201c}{p}\u{201d}"))
                    .collect();
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(action_text(&c.action)).monospace().color(DIM));
                    ui.label(
                        RichText::new(phrases.join("  "))
                            .color(Color32::from_rgb(0xc8, 0xcc, 0xd4)),
                    );
                });
            });
    }

    /// The form for the command being edited (or added).
    fn edit_form(&mut self, ui: &mut Ui, data: &EditorData, set: &CommandSet) {
        let Some(draft) = self.draft.as_mut() else {
            return;
        };
        let title = match draft.index {
            Some(i) => format!("Edit command {}", i + 1),
            None => "New command".to_owned(),
        };
        let mut apply = false;
        let mut cancel = false;
        egui::ScrollArea::vertical()
            .id_salt("voxcue_edit")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.label(RichText::new(title).strong().size(17.0));
                egui::Grid::new("voxcue_edit_grid")
                    .num_columns(2)
                    .spacing([10.0, 4.0])
                    .show(ui, |ui| {
                        ui.label("Id");
                        ui.add(egui::TextEdit::singleline(&mut draft.id).desired_width(200.0));
                        ui.end_row();
                        ui.label("Action");
                        ui.horizontal(|ui| {
                            egui::ComboBox::from_id_salt("voxcue_edit_kind")
                                .selected_text(draft.kind.name())
                                .width(80.0)
                                .show_ui(ui, |ui| {
                                    for k in ActionKind::ALL {
                                        ui.selectable_value(&mut draft.kind, k, k.name());
                                    }
                                });
                            ui.add(
                                egui::DragValue::new(&mut draft.channel)
                                    .range(1..=16)
                                    .prefix("ch "),
                            );
                        });
                        ui.end_row();
                        ui.label(match draft.kind {
                            ActionKind::Note => "Note / velocity",
                            ActionKind::Cc => "CC / value",
                            ActionKind::Program => "Program",
                        });
                        ui.horizontal(|ui| {
                            ui.add(egui::DragValue::new(&mut draft.number).range(0..=127));
                            if draft.kind != ActionKind::Program {
                                ui.add(egui::DragValue::new(&mut draft.value).range(0..=127));
                            }
                        });
                        ui.end_row();
                    });
                ui.label("Phrases (what you say)");
                let mut remove = None;
                for (n, phrase) in draft.phrases.iter_mut().enumerate() {
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(phrase)
                                .hint_text("e.g. play deck a")
                                .desired_width(220.0),
                        );
                        if ui.small_button("Remove").clicked() {
                            remove = Some(n);
                        }
                    });
                }
                if let Some(n) = remove {
                    draft.phrases.remove(n);
                }
                if ui.button("+ Phrase").clicked() {
                    draft.phrases.push(String::new());
                }
                ui.add_space(4.0);
                ui.horizontal(|ui| {
                    apply = ui.button(RichText::new("Apply").strong()).clicked();
                    cancel = ui.button("Cancel").clicked();
                });
            });
        if cancel {
            self.draft = None;
            self.notice = None;
        } else if apply {
            let draft = draft.clone();
            let list = draft.apply_to(set.commands());
            let done = format!("Saved \"{}\"", draft.id.trim());
            if self.install(data, list, done) {
                self.draft = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_draft_gets_free_id_and_next_note() {
        let set = CommandSet::default_dj();
        let d = Draft::new_command(&set);
        assert_eq!(d.id, "command_1");
        assert_eq!(d.number, 78);
        assert_eq!(d.index, None);
    }

    #[test]
    fn draft_round_trips_a_command_and_edits_in_place() {
        let set = CommandSet::default_dj();
        let mut d = Draft::from_command(0, &set.commands()[0]);
        assert_eq!(d.channel, 1);
        assert_eq!(d.to_command(), set.commands()[0]);
        d.phrases.push("Start Left!".into());
        let list = d.apply_to(set.commands());
        assert_eq!(list.len(), set.len());
        let edited = CommandSet::new(list).unwrap();
        assert_eq!(edited.commands()[0].phrases.last().unwrap(), "start left");
    }

    #[test]
    fn edit_errors_name_the_command_not_the_line() {
        let set = CommandSet::default_dj();
        let mut d = Draft::new_command(&set);
        d.phrases = vec!["play deck a".into()];
        let list = d.apply_to(set.commands());
        let e = CommandSet::new(list.clone()).unwrap_err();
        let text = describe_edit_error(&e, &list);
        assert!(!text.starts_with("line"), "{text}");
        assert!(
            text.contains("play deck a") && text.contains("command_1"),
            "{text}"
        );

        d.phrases = vec!["".into()];
        let list = d.apply_to(set.commands());
        let text = describe_edit_error(&CommandSet::new(list.clone()).unwrap_err(), &list);
        assert!(text.contains("empty phrase"), "{text}");

        let text = describe_edit_error(&CommandSet::new(vec![]).unwrap_err(), &[]);
        assert!(text.contains("At least one command"), "{text}");

        let mut d = Draft::from_command(2, &set.commands()[2]);
        d.id = "play_a".into();
        let list = d.apply_to(set.commands());
        let text = describe_edit_error(&CommandSet::new(list.clone()).unwrap_err(), &list);
        assert_eq!(
            text,
            "Command 3: the id \"play_a\" is already used by command 1; ids must be unique."
        );
    }

    #[test]
    fn action_text_is_readable() {
        let a = MidiAction {
            kind: ActionKind::Cc,
            channel: 1,
            number: 7,
            value: 0,
        };
        assert_eq!(action_text(&a), "CC 7 = 0 ch 2");
    }
}
