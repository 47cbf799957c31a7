//! Restored plugin state. nice-plug stores the state as JSON (`PluginState`: "params" plus
//! "fields", each field itself JSON); Voxcue persists the command TOML ("commands") and the S2O
//! recordings ("enrollments") as fields and loads them on `activate()`.
//!
//! Each input is used twice:
//! 1. as the persisted commands TOML text, run through the path `Voxcue::restore_commands` takes
//!    (`CommandLibrary::replace_from_text` on a library holding the built-in set);
//! 2. as the whole state JSON: `serde_json` -> `PluginState`, parameter values applied like
//!    nice-plug's wrapper does, fields given to `VoxcueParams::deserialize_fields`, then the same
//!    restore path plus the enrollments parse the engine does at start.
//!
//! Neither may panic, and the library always holds a valid set.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use nice_plug::params::internals::ParamPtr;
use nice_plug::params::{InternalParamMut, Params};
use nice_plug::plugin::{ParamValue, PluginState};
use voxcue::commands::{CommandLibrary, CommandSet};
use voxcue::engine::EngineSettings;
use voxcue::params::{ListenMode, VoxcueParams};
use voxcue::recognizer::s2o::Enrollments;

#[path = "../common/invariants.rs"]
mod invariants;

/// Mirror of the private `Voxcue::restore_commands` (src/lib.rs), with the library checks.
fn restore_commands(lib: &mut CommandLibrary, saved: &str) {
    if saved.trim().is_empty() {
        return;
    }
    if lib.current().to_toml() == saved {
        return;
    }
    invariants::replace_and_check(lib, saved);
}

/// What nice-plug's `wrapper::state::deserialize_object` (crate-private) does with "params".
fn apply_params(params: &VoxcueParams, state: &PluginState) {
    let map = params.param_map();
    for (id, value) in &state.params {
        let Some((_, ptr, _)) = map.iter().find(|(pid, _, _)| pid == id) else { continue };
        // SAFETY: the pointers point into `params`, which outlives this loop.
        unsafe {
            match (*ptr, value) {
                (ParamPtr::FloatParam(p), ParamValue::F32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::IntParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::EnumParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::EnumParam(p), ParamValue::String(s)) => {
                    (*p).set_from_id(s);
                }
                _ => {}
            }
            ptr._internal_update_smoother(48_000.0, true);
        }
    }
}

/// Mirror of the private `Voxcue::sync_settings` (src/lib.rs).
fn sync_settings(p: &VoxcueParams, s: &EngineSettings) {
    use std::sync::atomic::Ordering::Relaxed;
    s.enabled.store(p.enabled.value(), Relaxed);
    s.push_to_talk_mode.store(p.listen_mode.value() == ListenMode::PushToTalk, Relaxed);
    s.push_to_talk_down.store(p.push_to_talk.value(), Relaxed);
    s.set_threshold(voxcue::params::threshold_for_sensitivity(p.sensitivity.value()));
    s.set_hangover_ms(p.hangover_ms.value());
    s.set_recognizer(p.recognizer.value().into());
    let _ = p.input_gain.value();
}

fuzz_target!(|data: &[u8]| {
    // 1. The bytes as the saved "commands" TOML string.
    let text = String::from_utf8_lossy(data);
    let mut lib = CommandLibrary::new(Arc::new(CommandSet::default_dj()));
    restore_commands(&mut lib, &text);
    invariants::assert_valid_set(lib.current());

    // 2. The bytes as the whole saved state.
    let Ok(mut state) = serde_json::from_slice::<PluginState>(data) else { return };
    voxcue::params::migrate_state(&mut state);
    let params = Arc::new(VoxcueParams::default());
    apply_params(&params, &state);
    params.deserialize_fields(&state.fields);

    let saved = params.commands_toml.read().clone();
    let mut lib = CommandLibrary::new(Arc::new(CommandSet::default_dj()));
    restore_commands(&mut lib, &saved);
    invariants::assert_valid_set(lib.current());

    // The engine reads the enrollments like this at start; a broken string is reported, not fatal.
    let enrollments = params.enrollments_json.read().clone();
    if !enrollments.trim().is_empty() {
        let _ = serde_json::from_str::<Enrollments>(&enrollments);
    }

    let settings = EngineSettings::default();
    sync_settings(&params, &settings);
    let _ = (settings.threshold(), settings.hangover_ms(), settings.recognizer());

    // Saving again never panics (nice-plug serializes the fields back on save).
    let _ = params.serialize_fields();
});
