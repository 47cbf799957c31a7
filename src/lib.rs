//! Voxcue: spoken DJ commands in, MIDI out. A CLAP/VST3 plugin and the `voxcue` CLI share this
//! library.
//!
//! This file only coordinates: constants, the plugin struct, `impl Plugin` and the exports. Each
//! concept lives in its own module; `process()` calls [`audio_side::AudioSide`] and nothing else
//! that could block.

pub mod audio_capture;
pub mod audio_side;
pub mod bleed_canceller;
pub mod commands;
pub mod ctc_model;
pub mod editor;
pub mod engine;
pub mod host_output;
pub mod messages;
pub mod models;
pub mod onnx;
pub mod params;
pub mod recognizer;
pub mod resample;
pub mod segmenter;
pub mod vad;
pub mod wav;

use std::num::NonZeroU32;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;

use crate::audio_side::AudioSide;
use crate::commands::{CommandLibrary, CommandSet};
use crate::engine::{EngineConfig, EngineHandle, EngineSettings};
use crate::host_output::{MidiMessage, MidiOut};
use crate::messages::{Control, EngineState};
use crate::params::{ListenMode, VoxcueParams};

/// Shared between the plugin and the editor: the engine's control sender while it runs.
pub type EngineLink = Arc<Mutex<Option<Sender<Control>>>>;

/// The plugin.
pub struct Voxcue {
    /// Host-visible parameters and persisted state.
    params: Arc<VoxcueParams>,
    /// Parameter values mirrored for the engine thread (atomics, written in `process()`).
    settings: Arc<EngineSettings>,
    /// The command set in use and the last load error; shared with the editor.
    library: Arc<Mutex<CommandLibrary>>,
    /// The audio thread's side of the engine links; `None` while deactivated.
    audio_side: Option<AudioSide>,
    /// The running engine; `None` while deactivated.
    engine: Option<EngineHandle>,
    /// The editor-state producer while no engine owns it.
    state_in: Option<triple_buffer::Input<EngineState>>,
    /// The editor-state consumer, read by the editor.
    state_out: Arc<Mutex<triple_buffer::Output<EngineState>>>,
    /// Control sender for the editor.
    engine_link: EngineLink,
}

impl Default for Voxcue {
    fn default() -> Self {
        let (state_in, state_out) = triple_buffer::triple_buffer(&EngineState::default());
        Voxcue {
            params: Arc::new(VoxcueParams::default()),
            settings: Arc::new(EngineSettings::default()),
            library: Arc::new(Mutex::new(CommandLibrary::new(Arc::new(CommandSet::default_dj())))),
            audio_side: None,
            engine: None,
            state_in: Some(state_in),
            state_out: Arc::new(Mutex::new(state_out)),
            engine_link: Arc::new(Mutex::new(None)),
        }
    }
}

impl Plugin for Voxcue {
    const NAME: &'static str = "Voxcue";
    const VENDOR: &'static str = "Voxcue";
    const URL: &'static str = "https://voxcue.invalid";
    const EMAIL: &'static str = "dev@voxcue.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            aux_input_ports: &[new_nonzero_u32(2)],
            names: PortNames {
                layout: Some("Stereo with music reference"),
                // No main input name: nice-plug 0.4.2 reuses it for the main output
                // (`main_output_name` reads `main_input`), and JACK refuses two ports of one name.
                main_input: None,
                main_output: Some("Output"),
                aux_inputs: &["Music reference"],
                aux_outputs: &[],
            },
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
    ];

    const MIDI_INPUT: MidiConfig = MidiConfig::Basic;
    // CCs and program changes need the full MIDI output configuration.
    const MIDI_OUTPUT: MidiConfig = MidiConfig::MidiCCs;
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = nice_plug_egui::EguiEditor<editor::VoxcueEditor>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn filter_state(state: &mut PluginState) {
        params::migrate_state(state);
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(editor::EditorData {
            params: Arc::clone(&self.params),
            engine_state: Arc::clone(&self.state_out),
            engine_link: Arc::clone(&self.engine_link),
            library: Arc::clone(&self.library),
        })
    }

    fn activate(
        &mut self,
        _layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.stop_engine();
        self.restore_commands();
        self.sync_settings();
        let commands = Arc::clone(self.library.lock().unwrap_or_else(|p| p.into_inner()).current());
        let mut config = EngineConfig::new(buffer_config.sample_rate, commands, Arc::clone(&self.settings));
        config.enrollments = Some(Arc::clone(&self.params.enrollments_json));
        let Some(state_in) = self.state_in.take() else { return true };
        match engine::start(config, state_in) {
            Ok((audio_side, handle)) => {
                *self.engine_link.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle.sender());
                self.audio_side = Some(audio_side);
                self.engine = Some(handle);
            }
            Err(e) => {
                // Without an engine thread Voxcue still passes audio through.
                nice_error!("Voxcue could not start its engine thread: {e}");
                let (state_in, _) = triple_buffer::triple_buffer(&EngineState::default());
                self.state_in = Some(state_in);
            }
        }
        true
    }

    fn reset(&mut self) {
        if let Some(side) = self.audio_side.as_mut() {
            side.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.sync_settings();
        let channels = buffer.as_slice();
        for channel in channels.iter_mut() {
            for sample in channel.iter_mut() {
                if !sample.is_finite() {
                    *sample = 0.0;
                }
            }
        }
        let Some(side) = self.audio_side.as_mut() else { return ProcessStatus::Normal };
        let gain = finite_or(self.params.input_gain.value(), 1.0).clamp(0.0, 16.0);
        let listening = self.params.enabled.value();
        let reference: &[&mut [f32]] = match aux.inputs.first_mut() {
            Some(music) => music.as_slice(),
            None => &[],
        };
        side.process_block_with_reference(channels, reference, gain, listening, |_| {}, |event| send_midi(context, event));
        ProcessStatus::Normal
    }

    fn deactivate(&mut self) {
        self.stop_engine();
    }
}

impl Voxcue {
    /// Mirrors parameter values into the engine's atomics (wait-free stores).
    fn sync_settings(&self) {
        let p = &self.params;
        let s = &self.settings;
        use std::sync::atomic::Ordering::Relaxed;
        s.enabled.store(p.enabled.value(), Relaxed);
        s.push_to_talk_mode.store(p.listen_mode.value() == ListenMode::PushToTalk, Relaxed);
        s.push_to_talk_down.store(p.push_to_talk.value(), Relaxed);
        // Restored states are not range-checked by the framework: clamp what reaches the engine.
        let sensitivity = finite_or(p.sensitivity.value(), 1.0 - recognizer::DEFAULT_THRESHOLD);
        s.set_threshold(params::threshold_for_sensitivity(sensitivity));
        s.set_hangover_ms(finite_or(p.hangover_ms.value(), 288.0).clamp(96.0, 1000.0));
        s.set_recognizer(p.recognizer.value().into());
    }

    /// Loads the command set saved in the project, keeping the current one if it is broken.
    fn restore_commands(&mut self) {
        let saved = self.params.commands_toml.read().clone();
        if saved.trim().is_empty() {
            return;
        }
        let mut library = self.library.lock().unwrap_or_else(|p| p.into_inner());
        if library.current().to_toml() == saved {
            return;
        }
        if let Err(e) = library.replace_from_text(&saved) {
            nice_error!("Voxcue: the saved command set is invalid, keeping the previous one: {e}");
        }
    }

    fn stop_engine(&mut self) {
        *self.engine_link.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.audio_side = None;
        if let Some(handle) = self.engine.take() {
            let state_in = handle.stop();
            self.state_in = Some(state_in.unwrap_or_else(|| {
                let (fresh_in, fresh_out) = triple_buffer::triple_buffer(&EngineState::default());
                *self.state_out.lock().unwrap_or_else(|p| p.into_inner()) = fresh_out;
                fresh_in
            }));
        }
    }
}

/// `x` if it is a finite number, else `fallback`.
fn finite_or(x: f32, fallback: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        fallback
    }
}

/// Converts one of Voxcue's MIDI messages to the host's event type and sends it.
fn send_midi<P: Plugin>(context: &mut impl ProcessContext<P>, event: MidiOut) {
    let timing = event.timing;
    let note_event = match event.message {
        MidiMessage::NoteOn { channel, note, velocity } => {
            NoteEvent::NoteOn { timing, voice_id: VoiceID::Wildcard, channel: Channel::Number(channel), key: Key::Number(note), velocity: velocity as f32 / 127.0 }
        }
        MidiMessage::NoteOff { channel, note } => {
            NoteEvent::NoteOff { timing, voice_id: VoiceID::Wildcard, channel: Channel::Number(channel), key: Key::Number(note), velocity: 0.0 }
        }
        MidiMessage::ControlChange { channel, cc, value } => {
            NoteEvent::MidiCC { timing, channel, cc, value: value as f32 / 127.0 }
        }
        MidiMessage::ProgramChange { channel, program } => NoteEvent::MidiProgramChange { timing, channel, program },
    };
    // A full host queue drops the event; the error hands it back without allocating.
    let _ = context.try_send_event(note_event);
}

impl ClapPlugin for Voxcue {
    const CLAP_ID: &'static str = "org.voxcue.voxcue";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("Spoken commands to MIDI for hands-free DJing");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[ClapFeature::AudioEffect, ClapFeature::NoteEffect, ClapFeature::Utility];
}

impl Vst3Plugin for Voxcue {
    const VST3_CLASS_ID: [u8; 16] = *b"VoxcueVoiceCmd01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Tools];
}

nice_export_clap!(Voxcue);
nice_export_vst3!(Voxcue);
