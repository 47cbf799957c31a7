//! The plugin's parameters. IDs are short and must never change (hosts store automation and
//! projects by them).
//!
//! Read from every thread (they are atomics); written by the host and the editor.

use std::sync::Arc;

use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;
use parking_lot::RwLock;

use crate::recognizer::{RecognizerKind, DEFAULT_THRESHOLD};

/// How utterances are found.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenMode {
    /// Speech is detected automatically.
    #[id = "vad"]
    #[name = "Voice activity"]
    VoiceActivity,
    /// Only what is said while the push-to-talk button is held.
    #[id = "ptt"]
    #[name = "Push to talk"]
    PushToTalk,
}

/// Which recognizer runs.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecognizerChoice {
    #[id = "asr"]
    #[name = "ASR + scoring"]
    Asr,
    #[id = "s2o"]
    #[name = "Speech to command (S2O)"]
    S2o,
}

impl From<RecognizerChoice> for RecognizerKind {
    fn from(c: RecognizerChoice) -> Self {
        match c {
            RecognizerChoice::Asr => RecognizerKind::Asr,
            RecognizerChoice::S2o => RecognizerKind::S2o,
        }
    }
}

#[derive(Params)]
pub struct VoxcueParams {
    /// Window size and open state (not a host parameter).
    pub editor_state: Arc<EguiEditorState>,

    /// The command database as TOML text; empty means the built-in DJ set. Saved with the project
    /// so a reopened project has its commands.
    #[persist = "commands"]
    pub commands_toml: Arc<RwLock<String>>,

    /// The user's recorded examples for the S2O recognizer (JSON of `Enrollments`), saved with
    /// the project. Written by the engine thread when the user teaches a command.
    #[persist = "enrollments"]
    pub enrollments_json: Arc<RwLock<String>>,

    /// Listening on/off; off passes audio and sends nothing.
    #[id = "enabled"]
    pub enabled: BoolParam,

    /// Voice activity or push-to-talk.
    #[id = "mode"]
    pub listen_mode: EnumParam<ListenMode>,

    /// The push-to-talk button; hosts can automate or MIDI-map it.
    #[id = "ptt"]
    pub push_to_talk: BoolParam,

    /// How readily a command fires: 50% is the calibrated default (at most 1% of chatter,
    /// music, breaths and cut-short commands fire on the calibration sets); higher fires more
    /// readily, lower rejects more. The confidence needed to fire is 1 - sensitivity.
    #[id = "sensitivity"]
    pub sensitivity: FloatParam,

    /// Gain applied to the microphone before recognition (the audio output is not changed).
    #[id = "gain"]
    pub input_gain: FloatParam,

    /// Silence that ends an utterance.
    #[id = "hangover"]
    pub hangover_ms: FloatParam,

    /// Which recognizer runs.
    #[id = "recognizer"]
    pub recognizer: EnumParam<RecognizerChoice>,
}

impl Default for VoxcueParams {
    fn default() -> Self {
        VoxcueParams {
            editor_state: EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(720.0, 560.0), 1.0),
            commands_toml: Arc::new(RwLock::new(String::new())),
            enrollments_json: Arc::new(RwLock::new(String::new())),
            enabled: BoolParam::new("Enabled", true),
            listen_mode: EnumParam::new("Listen mode", ListenMode::VoiceActivity),
            push_to_talk: BoolParam::new("Push to talk", false),
            sensitivity: FloatParam::new("Sensitivity", 1.0 - DEFAULT_THRESHOLD, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_step_size(0.01)
                .with_unit("%")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
            input_gain: FloatParam::new(
                "Input gain",
                util::db_to_gain(0.0),
                FloatRange::Skewed {
                    min: util::db_to_gain(-24.0),
                    max: util::db_to_gain(24.0),
                    factor: FloatRange::gain_skew_factor(-24.0, 24.0),
                },
            )
            .with_unit(" dB")
            .with_value_to_string(formatters::v2s_f32_gain_to_db(1))
            .with_string_to_value(formatters::s2v_f32_gain_to_db()),
            hangover_ms: FloatParam::new("Hangover", 288.0, FloatRange::Linear { min: 96.0, max: 1000.0 })
                .with_unit(" ms")
                .with_step_size(1.0),
            recognizer: EnumParam::new("Recognizer", RecognizerChoice::Asr),
        }
    }
}

/// The confidence needed to fire for a sensitivity (both 0-1).
pub fn threshold_for_sensitivity(sensitivity: f32) -> f32 {
    (1.0 - sensitivity).clamp(0.0, 1.0)
}

/// Moves parameters of older saved states to their current form, with a warning: the
/// "threshold" parameter (confidence needed) became "sensitivity" (1 - threshold).
pub fn migrate_state(state: &mut PluginState) {
    if let Some(old) = state.params.remove("threshold") {
        if let (ParamValue::F32(threshold), false) = (old, state.params.contains_key("sensitivity")) {
            let sensitivity = if threshold.is_finite() { 1.0 - threshold.clamp(0.0, 1.0) } else { 1.0 - DEFAULT_THRESHOLD };
            state.params.insert("sensitivity".into(), ParamValue::F32(sensitivity));
            nice_warn!("Voxcue: this project's threshold {threshold} becomes sensitivity {:.0}%", sensitivity * 100.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_threshold_becomes_the_matching_sensitivity() {
        let mut state = PluginState { version: "0.1.0".into(), params: Default::default(), fields: Default::default() };
        state.params.insert("threshold".into(), ParamValue::F32(0.75));
        migrate_state(&mut state);
        assert!(!state.params.contains_key("threshold"));
        match state.params.get("sensitivity") {
            Some(ParamValue::F32(s)) => assert!((s - 0.25).abs() < 1e-6),
            other => panic!("sensitivity after migration: {other:?}"),
        }
        assert!((threshold_for_sensitivity(0.25) - 0.75).abs() < 1e-6);
    }

    #[test]
    fn a_current_state_is_left_alone() {
        let mut state = PluginState { version: "0.1.0".into(), params: Default::default(), fields: Default::default() };
        state.params.insert("sensitivity".into(), ParamValue::F32(0.6));
        migrate_state(&mut state);
        assert_eq!(state.params.len(), 1);
    }
}
