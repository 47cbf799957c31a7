//! Read-only views of the engine state: status light, input meter, last utterance, history and
//! model/engine status. Pure drawing; nothing here changes anything.

use egui::{Align2, Color32, CornerRadius, FontId, RichText, Sense, Ui};

use crate::bleed_canceller::CancellerStatus;
use crate::messages::{EngineState, ListenState, ResultSummary};

/// Red used for errors and rejections.
pub const ERROR_RED: Color32 = Color32::from_rgb(0xff, 0x5a, 0x5a);
/// Green used for fired commands.
pub const FIRED_GREEN: Color32 = Color32::from_rgb(0x3c, 0xd0, 0x6e);
/// Orange used for warnings (dropped samples, restarts).
pub const WARN_ORANGE: Color32 = Color32::from_rgb(0xff, 0xa8, 0x3c);
/// Dimmed text.
pub const DIM: Color32 = Color32::from_rgb(0x9a, 0x9c, 0xa3);

/// Level meter range: below this the bar is empty.
const METER_FLOOR_DB: f32 = -60.0;

/// Label and fill colour of the status light for a state (`enabled` false shows "OFF").
pub fn status_look(listen: ListenState, enabled: bool) -> (&'static str, Color32) {
    if !enabled {
        return ("OFF", Color32::from_rgb(0x3a, 0x3b, 0x40));
    }
    match listen {
        ListenState::Idle => ("IDLE", Color32::from_rgb(0x4a, 0x4c, 0x52)),
        ListenState::Listening => ("LISTENING", Color32::from_rgb(0x1f, 0x5f, 0xc4)),
        ListenState::Hearing => ("HEARING SPEECH", Color32::from_rgb(0xd9, 0x8e, 0x00)),
        ListenState::Recognizing => ("RECOGNIZING", Color32::from_rgb(0x8a, 0x4f, 0xd8)),
        ListenState::Fired => ("FIRED", Color32::from_rgb(0x1f, 0xa8, 0x4c)),
        ListenState::Rejected => ("REJECTED", Color32::from_rgb(0xc8, 0x2e, 0x2e)),
    }
}

/// The line under the status word: what fired, or what was almost understood.
fn status_detail(state: &EngineState) -> Option<String> {
    let last = state.history.first()?;
    match state.listen {
        ListenState::Fired => last
            .best
            .as_ref()
            .map(|b| format!("{b}  {}", percent(last.confidence))),
        ListenState::Rejected => Some(match &last.best {
            Some(b) => format!("not sure: {b}? {}", percent(last.confidence)),
            None => "nothing matched".to_owned(),
        }),
        _ => None,
    }
}

/// Big coloured status light, readable across a dark booth.
pub fn status_light(ui: &mut Ui, state: &EngineState, enabled: bool) {
    let (label, fill) = status_look(state.listen, enabled);
    let width = ui.available_width();
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 92.0), Sense::hover());
    let painter = ui.painter();
    painter.rect_filled(rect, CornerRadius::same(10), fill);
    let detail = if enabled {
        status_detail(state)
    } else {
        Some("listening is switched off".to_owned())
    };
    let word_y = if detail.is_some() {
        rect.center().y - 12.0
    } else {
        rect.center().y
    };
    painter.text(
        egui::pos2(rect.center().x, word_y),
        Align2::CENTER_CENTER,
        label,
        FontId::proportional(34.0),
        Color32::WHITE,
    );
    if let Some(detail) = detail {
        painter.text(
            egui::pos2(rect.center().x, rect.bottom() - 18.0),
            Align2::CENTER_CENTER,
            detail,
            FontId::proportional(17.0),
            Color32::from_white_alpha(230),
        );
    }
}

/// Fraction of the meter to fill for a level in dBFS (non-finite levels read as silence).
pub fn meter_fraction(db: f32) -> f32 {
    if !db.is_finite() {
        return 0.0;
    }
    ((db - METER_FLOOR_DB) / -METER_FLOOR_DB).clamp(0.0, 1.0)
}

/// Horizontal input level meter (EngineState.input_db, RMS dBFS).
pub fn level_meter(ui: &mut Ui, input_db: f32) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Input").color(DIM));
        let text = if input_db.is_finite() && input_db > METER_FLOOR_DB {
            format!("{input_db:.0} dB")
        } else {
            "silent".to_owned()
        };
        let bar_width = (ui.available_width() - 64.0).max(40.0);
        let (rect, _) = ui.allocate_exact_size(egui::vec2(bar_width, 16.0), Sense::hover());
        let painter = ui.painter();
        painter.rect_filled(
            rect,
            CornerRadius::same(3),
            Color32::from_rgb(0x0c, 0x0c, 0x0e),
        );
        let fraction = meter_fraction(input_db);
        if fraction > 0.0 {
            let mut filled = rect;
            filled.set_width(rect.width() * fraction);
            let color = if input_db > -6.0 {
                ERROR_RED
            } else if input_db > -18.0 {
                WARN_ORANGE
            } else {
                FIRED_GREEN
            };
            painter.rect_filled(filled, CornerRadius::same(3), color);
        }
        ui.label(RichText::new(text).monospace());
    });
}

/// Confidence as a whole percentage.
pub fn percent(confidence: f32) -> String {
    format!("{:.0}%", (confidence * 100.0).clamp(0.0, 100.0))
}

/// The last utterance: transcript, matched command, confidence, runner-up and latency.
pub fn last_result(ui: &mut Ui, state: &EngineState) {
    ui.label(RichText::new("LAST UTTERANCE").small().color(DIM));
    let Some(last) = state.history.first() else {
        ui.label(RichText::new("Nothing heard yet.").color(DIM));
        return;
    };
    let transcript = last.transcript.as_deref().filter(|t| !t.trim().is_empty());
    ui.label(
        RichText::new(match transcript {
            Some(t) => format!("\u{201c}{t}\u{201d}"),
            None => "(no transcript)".to_owned(),
        })
        .size(18.0),
    );
    egui::Grid::new("voxcue_last_result")
        .num_columns(2)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            ui.label(RichText::new("Command").color(DIM));
            match &last.best {
                Some(best) => {
                    let (verdict, color) = if last.fired {
                        ("fired", FIRED_GREEN)
                    } else {
                        ("not fired", ERROR_RED)
                    };
                    ui.label(
                        RichText::new(format!("{best}  {}  ({verdict})", percent(last.confidence)))
                            .color(color)
                            .strong(),
                    );
                }
                None => {
                    ui.label(RichText::new("no match").color(ERROR_RED));
                }
            }
            ui.end_row();
            ui.label(RichText::new("Runner-up").color(DIM));
            ui.label(match &last.runner_up {
                Some((id, c)) => format!("{id}  {}", percent(*c)),
                None => "none".to_owned(),
            });
            ui.end_row();
            ui.label(RichText::new("Latency").color(DIM));
            ui.label(format!(
                "{:.0} ms  (spoke {:.1} s)",
                last.latency_ms, last.duration_s
            ));
            ui.end_row();
        });
}

/// One history row's verdict word and colour.
fn verdict(r: &ResultSummary) -> (&'static str, Color32) {
    if r.fired {
        ("FIRED", FIRED_GREEN)
    } else {
        ("miss", ERROR_RED)
    }
}

/// The last 10 results, newest first.
pub fn history(ui: &mut Ui, state: &EngineState) {
    ui.label(RichText::new("HISTORY").small().color(DIM));
    if state.history.is_empty() {
        ui.label(RichText::new("No results yet.").color(DIM));
        return;
    }
    egui::ScrollArea::vertical()
        .id_salt("voxcue_history")
        .auto_shrink([false, true])
        .show(ui, |ui| {
            egui::Grid::new("voxcue_history_grid")
                .num_columns(3)
                .striped(true)
                .spacing([8.0, 3.0])
                .show(ui, |ui| {
                    for r in state.history.iter().take(10) {
                        let (word, color) = verdict(r);
                        ui.label(RichText::new(word).color(color).monospace());
                        ui.label(format!(
                            "{}  {}",
                            r.best.as_deref().unwrap_or("-"),
                            percent(r.confidence)
                        ));
                        let t = r.transcript.as_deref().unwrap_or("");
                        ui.label(RichText::new(t).color(DIM)).on_hover_text(t);
                        ui.end_row();
                    }
                });
        });
}

/// Models, problems (in red), dropped samples and recognizer restarts.
pub fn model_status(ui: &mut Ui, state: &EngineState, engine_running: bool) {
    egui::ScrollArea::vertical().id_salt("voxcue_engine").auto_shrink([false, false]).show(ui, |ui| {
        if !engine_running {
            ui.label(
                RichText::new("The engine is not running: the host has not started the plugin yet (start playback or enable the track).")
                    .color(WARN_ORANGE),
            );
        }
        ui.horizontal(|ui| {
            ui.label(RichText::new("Recognizer").color(DIM));
            ui.label(if state.recognizer.is_empty() { "none loaded" } else { state.recognizer.as_str() });
        });
        ui.label(RichText::new("Models").color(DIM));
        if state.models.is_empty() {
            ui.label("  no model loaded");
        }
        for m in &state.models {
            ui.label(format!("  {m}"));
        }
        if state.errors.is_empty() {
            ui.label(RichText::new("No problems.").color(FIRED_GREEN));
        } else {
            ui.label(RichText::new("Problems").color(ERROR_RED).strong());
            for e in &state.errors {
                ui.label(RichText::new(e).color(ERROR_RED));
            }
        }
        let dropped_color = if state.dropped_samples > 0 { WARN_ORANGE } else { DIM };
        ui.label(
            RichText::new(format!("Dropped input samples: {} (the engine fell behind the audio)", state.dropped_samples))
                .color(dropped_color),
        );
        let faults_color = if state.faults > 0 { WARN_ORANGE } else { DIM };
        ui.label(RichText::new(format!("Recognizer restarts after a failure: {}", state.faults)).color(faults_color));
        ui.label(RichText::new(canceller_line(&state.canceller)).color(DIM));
    });
}

/// One line on the music-bleed canceller, in plain words.
pub fn canceller_line(c: &CancellerStatus) -> String {
    match (c.active, c.locked) {
        (false, _) => "Music reference: none connected (feed the music into the sidechain to remove it from the mic)".into(),
        (true, false) => "Music reference: connected, not heard in the mic yet (nothing is removed)".into(),
        (true, true) => format!("Music reference: removing {:.0} dB of music bleed, delay {:.0} ms", c.reduction_db, c.delay_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_distinct_colour_and_label() {
        let states = [
            ListenState::Idle,
            ListenState::Listening,
            ListenState::Hearing,
            ListenState::Recognizing,
            ListenState::Fired,
            ListenState::Rejected,
        ];
        let looks: Vec<_> = states.iter().map(|&s| status_look(s, true)).collect();
        for (i, a) in looks.iter().enumerate() {
            for b in &looks[i + 1..] {
                assert_ne!(a.0, b.0);
                assert_ne!(a.1, b.1);
            }
        }
        assert_eq!(status_look(ListenState::Fired, false).0, "OFF");
    }

    #[test]
    fn meter_fraction_clamps_and_handles_silence() {
        assert_eq!(meter_fraction(f32::NEG_INFINITY), 0.0);
        assert_eq!(meter_fraction(f32::NAN), 0.0);
        assert_eq!(meter_fraction(-90.0), 0.0);
        assert_eq!(meter_fraction(0.0), 1.0);
        assert_eq!(meter_fraction(6.0), 1.0);
        assert!((meter_fraction(-30.0) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn detail_names_the_command() {
        let mut state = EngineState {
            listen: ListenState::Fired,
            ..Default::default()
        };
        state.history.push(ResultSummary {
            best: Some("play_a".into()),
            confidence: 0.91,
            fired: true,
            ..Default::default()
        });
        assert_eq!(status_detail(&state).as_deref(), Some("play_a  91%"));
        state.listen = ListenState::Rejected;
        assert_eq!(
            status_detail(&state).as_deref(),
            Some("not sure: play_a? 91%")
        );
        state.listen = ListenState::Listening;
        assert_eq!(status_detail(&state), None);
    }
}
