//! Controls bound to host parameters. Every change goes through nice-plug's `ParamSetter`
//! (begin/set/end) so hosts record automation. Without a setter (window not built by a host) the
//! controls are shown disabled.

use egui::{Align2, Color32, CornerRadius, FontId, RichText, Sense, Ui};
use nice_plug::context::gui::ParamSetter;
use nice_plug::prelude::Param;
use nice_plug_egui::widgets::ParamSlider;

use super::status::{DIM, ERROR_RED, FIRED_GREEN, WARN_ORANGE};
use crate::messages::EngineState;
use crate::params::{ListenMode, RecognizerChoice, VoxcueParams};

/// Sets a parameter as one complete gesture (begin, set, end), e.g. for a click.
fn set_once<P: Param>(setter: &ParamSetter, param: &P, value: P::Plain) {
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

/// Top bar: name, Enabled, listen mode, recognizer, engine running, first problem.
pub fn top_bar(
    ui: &mut Ui,
    params: &VoxcueParams,
    setter: Option<&ParamSetter>,
    state: &EngineState,
    running: bool,
) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("VOXCUE")
                .size(24.0)
                .strong()
                .color(Color32::WHITE),
        );
        ui.add_space(8.0);
        ui.add_enabled_ui(setter.is_some(), |ui| {
            let enabled = params.enabled.value();
            let (text, fill) = if enabled {
                ("ON", Color32::from_rgb(0x1f, 0x7a, 0x3c))
            } else {
                ("OFF", Color32::from_rgb(0x5a, 0x22, 0x22))
            };
            let button = egui::Button::new(
                RichText::new(format!("Listening {text}"))
                    .strong()
                    .color(Color32::WHITE),
            )
            .fill(fill)
            .min_size(egui::vec2(120.0, 28.0));
            if ui
                .add(button)
                .on_hover_text("Enabled: when off, audio passes and no MIDI is sent")
                .clicked()
            {
                if let Some(s) = setter {
                    set_once(s, &params.enabled, !enabled);
                }
            }
            ui.add_space(6.0);
            let mode = params.listen_mode.value();
            for (value, label) in [
                (ListenMode::VoiceActivity, "Voice activity"),
                (ListenMode::PushToTalk, "Push to talk"),
            ] {
                if ui.selectable_label(mode == value, label).clicked() && mode != value {
                    if let Some(s) = setter {
                        set_once(s, &params.listen_mode, value);
                    }
                }
            }
            ui.add_space(6.0);
            let rec = params.recognizer.value();
            egui::ComboBox::from_id_salt("voxcue_recognizer")
                .selected_text(recognizer_label(rec))
                .width(130.0)
                .show_ui(ui, |ui| {
                    for value in [RecognizerChoice::Asr, RecognizerChoice::S2o] {
                        if ui
                            .selectable_label(rec == value, recognizer_label(value))
                            .clicked()
                            && rec != value
                        {
                            if let Some(s) = setter {
                                set_once(s, &params.recognizer, value);
                            }
                        }
                    }
                })
                .response
                .on_hover_text("Recognizer");
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if running {
                ui.label(RichText::new("engine running").color(FIRED_GREEN).small());
            } else {
                ui.label(RichText::new("engine stopped").color(WARN_ORANGE).small());
            }
        });
    });
    if let Some(first) = state.errors.first() {
        let more = state.errors.len() - 1;
        let suffix = if more > 0 {
            format!("  (+{more} more in Engine status)")
        } else {
            String::new()
        };
        ui.label(
            RichText::new(format!("Problem: {first}{suffix}"))
                .color(ERROR_RED)
                .strong(),
        );
    }
    ui.add_space(2.0);
}

/// Short name of a recognizer for the combo box.
fn recognizer_label(choice: RecognizerChoice) -> &'static str {
    match choice {
        RecognizerChoice::Asr => "ASR + scoring",
        RecognizerChoice::S2o => "S2O",
    }
}

/// What the push-to-talk button did this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PttEdge {
    /// Just pressed: begin the gesture and set the parameter on.
    Press,
    /// Just released: set it off and end the gesture.
    Release,
    /// No change.
    None,
}

/// Tracks the push-to-talk button so the parameter is held exactly while the pointer is.
#[derive(Debug, Default)]
pub struct PushToTalk {
    /// Whether we set the parameter on and have not released it yet.
    held: bool,
}

impl PushToTalk {
    /// The edge for a frame where the button is `down`; updates the held state.
    pub fn update(&mut self, down: bool) -> PttEdge {
        match (self.held, down) {
            (false, true) => {
                self.held = true;
                PttEdge::Press
            }
            (true, false) => {
                self.held = false;
                PttEdge::Release
            }
            _ => PttEdge::None,
        }
    }

    /// Applies a frame's button state to the parameter.
    pub fn apply(&mut self, down: bool, params: &VoxcueParams, setter: &ParamSetter) {
        match self.update(down) {
            PttEdge::Press => {
                setter.begin_set_parameter(&params.push_to_talk);
                setter.set_parameter(&params.push_to_talk, true);
            }
            PttEdge::Release => {
                setter.set_parameter(&params.push_to_talk, false);
                setter.end_set_parameter(&params.push_to_talk);
            }
            PttEdge::None => {}
        }
    }

    /// Lets go of the parameter if we hold it (window closing).
    pub fn release(&mut self, params: &VoxcueParams, setter: &ParamSetter) {
        self.apply(false, params, setter);
    }
}

/// The big press-and-hold push-to-talk button.
fn push_to_talk_button(
    ui: &mut Ui,
    params: &VoxcueParams,
    setter: Option<&ParamSetter>,
    ptt: &mut PushToTalk,
) {
    let ptt_mode = params.listen_mode.value() == ListenMode::PushToTalk;
    let usable = ptt_mode && setter.is_some();
    let size = egui::vec2(ui.available_width(), 52.0);
    let sense = if usable {
        Sense::click_and_drag()
    } else {
        Sense::hover()
    };
    let (rect, response) = ui.allocate_exact_size(size, sense);
    let down = usable && response.is_pointer_button_down_on();
    if let Some(s) = setter {
        ptt.apply(down, params, s);
    }
    let on = params.push_to_talk.value();
    let (fill, text_color, label) = if !ptt_mode {
        (
            Color32::from_rgb(0x26, 0x27, 0x2b),
            DIM,
            "PUSH TO TALK (switch the mode to use it)",
        )
    } else if on {
        (
            Color32::from_rgb(0xe0, 0x3a, 0x3a),
            Color32::WHITE,
            "TALK NOW",
        )
    } else if response.hovered() {
        (
            Color32::from_rgb(0x3a, 0x3c, 0x44),
            Color32::WHITE,
            "HOLD TO TALK",
        )
    } else {
        (
            Color32::from_rgb(0x30, 0x32, 0x38),
            Color32::WHITE,
            "HOLD TO TALK",
        )
    };
    let painter = ui.painter();
    painter.rect_filled(rect, CornerRadius::same(8), fill);
    let size = if ptt_mode { 22.0 } else { 16.0 };
    painter.text(
        rect.center(),
        Align2::CENTER_CENTER,
        label,
        FontId::proportional(size),
        text_color,
    );
    response.on_hover_text("Press and hold while speaking a command (push-to-talk mode)");
}

/// Push-to-talk plus the threshold, input gain and hangover sliders.
pub fn controls(
    ui: &mut Ui,
    params: &VoxcueParams,
    setter: Option<&ParamSetter>,
    ptt: &mut PushToTalk,
) {
    push_to_talk_button(ui, params, setter, ptt);
    ui.add_space(2.0);
    egui::Grid::new("voxcue_sliders")
        .num_columns(2)
        .spacing([10.0, 4.0])
        .show(ui, |ui| {
            slider_row(
                ui,
                "Sensitivity",
                "How readily commands fire. 50% is calibrated to fire on at most 1% of chatter, music and cut-short commands; raise it if commands are missed, lower it if chatter fires",
                &params.sensitivity,
                setter,
            );
            slider_row(
                ui,
                "Input gain",
                "Gain on the microphone before recognition (the audio output is unchanged)",
                &params.input_gain,
                setter,
            );
            slider_row(
                ui,
                "Hangover",
                "Silence that ends an utterance",
                &params.hangover_ms,
                setter,
            );
        });
}

/// One labelled parameter slider (a plain value when there is no setter).
fn slider_row<P: Param>(
    ui: &mut Ui,
    label: &str,
    help: &str,
    param: &P,
    setter: Option<&ParamSetter>,
) {
    ui.label(label).on_hover_text(help);
    match setter {
        Some(s) => {
            ui.add(ParamSlider::for_param(param, s).with_width(200.0));
        }
        None => {
            ui.label(param.to_string());
        }
    }
    ui.end_row();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_to_talk_presses_and_releases_once() {
        let mut p = PushToTalk::default();
        assert_eq!(p.update(false), PttEdge::None);
        assert_eq!(p.update(true), PttEdge::Press);
        assert_eq!(p.update(true), PttEdge::None);
        assert_eq!(p.update(false), PttEdge::Release);
        assert_eq!(p.update(false), PttEdge::None);
    }
}
