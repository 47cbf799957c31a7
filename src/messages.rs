//! Messages that cross threads. Everything the audio thread touches is small and `Copy`, so
//! pushing or popping one never allocates or frees.
//!
//! Directions:
//! - audio -> engine: mono samples through an `rtrb` ring (see [`crate::audio_capture`]).
//! - engine -> audio: [`Fire`] through an `rtrb` queue, turned into MIDI by [`crate::host_output`].
//! - engine -> editor: [`EngineState`] through a triple buffer (latest value wins).
//! - editor/CLI -> engine: [`Control`] through a std channel (never touched by the audio thread).

use std::sync::Arc;

use crate::bleed_canceller::CancellerStatus;

use crate::commands::{CommandSet, MidiAction};

/// Capacity of the engine -> audio queue. A person cannot say 64 commands within one block.
pub const FIRE_QUEUE_CAPACITY: usize = 64;

/// A command the engine decided to fire, ready for the audio thread to turn into MIDI.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fire {
    /// The MIDI action itself, so the audio thread never has to look up the command set (which
    /// the engine may swap at any time).
    pub action: MidiAction,
    /// Index of the command in the set that was current when it was recognized (for reports).
    pub command: u16,
    /// Calibrated confidence in 0..=1.
    pub confidence: f32,
    /// Input sample (at the host rate) where the utterance ended; used for latency reports.
    pub stamp: u64,
}

/// What the engine is doing right now, for the editor's status light.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListenState {
    /// Disabled, or no recognizer could be loaded.
    #[default]
    Idle,
    /// Waiting for speech.
    Listening,
    /// Inside an utterance.
    Hearing,
    /// Running the recognizer on a finished utterance.
    Recognizing,
    /// The last utterance fired a command.
    Fired,
    /// The last utterance was not confident enough to fire anything.
    Rejected,
}

/// One finished utterance, as shown in the editor's history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultSummary {
    /// Transcript from the recognizer, when it produces one.
    pub transcript: Option<String>,
    /// Best command id, fired or not.
    pub best: Option<String>,
    /// Best command's confidence.
    pub confidence: f32,
    /// Second-best command id and its confidence.
    pub runner_up: Option<(String, f32)>,
    /// Whether the best command was fired (confidence above the threshold).
    pub fired: bool,
    /// Time from the end of the utterance to the decision.
    pub latency_ms: f32,
    /// Length of the utterance.
    pub duration_s: f32,
}

/// Latest engine state for the editor. Written only by the engine thread.
#[derive(Clone, Debug, Default)]
pub struct EngineState {
    /// Status light.
    pub listen: ListenState,
    /// Name of the active recognizer.
    pub recognizer: String,
    /// Models that loaded, in plain words ("hama phoneme CTC (5 MB)").
    pub models: Vec<String>,
    /// Why something is not working, in plain words; empty when all is well.
    pub errors: Vec<String>,
    /// The last few results, newest first.
    pub history: Vec<ResultSummary>,
    /// Samples the audio thread dropped because the ring was full.
    pub dropped_samples: u64,
    /// Input level (RMS dBFS) of the last engine tick.
    pub input_db: f32,
    /// The command set the engine recognizes against.
    pub commands: Option<Arc<CommandSet>>,
    /// How many times the recognizer failed or panicked and was restarted.
    pub faults: u32,
    /// The command whose example the next utterance will be, while teaching.
    pub teaching: Option<String>,
    /// What the music-bleed canceller is doing (inactive without a music reference).
    pub canceller: CancellerStatus,
}

/// Requests to the engine from non-real-time threads (editor, CLI, plugin state loading).
#[derive(Debug)]
pub enum Control {
    /// Swap the command set (already validated).
    SetCommands(Arc<CommandSet>),
    /// Send a command's action to the host without speaking ("test fire", for MIDI learn).
    TestFire(usize),
    /// Record the next utterance as an example of this command (S2O enrollment).
    Teach(usize),
    /// Stop the engine thread.
    Shutdown,
}
