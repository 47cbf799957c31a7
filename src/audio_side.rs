//! Everything the audio thread does, in one place, so the plugin's `process()` and the CLI's
//! `stream` run the very same code.
//!
//! Owned by the audio thread. Guarantees: no allocation, free, lock, syscall or log; every call
//! does a bounded amount of work.

use rtrb::Consumer;

use crate::audio_capture::AudioCapture;
use crate::host_output::{MidiOut, MidiScheduler};
use crate::messages::Fire;

/// The audio thread's ends of the engine links plus the MIDI scheduler.
pub struct AudioSide {
    /// Microphone samples towards the engine.
    capture: AudioCapture,
    /// Fired commands from the engine.
    from_engine: Consumer<Fire>,
    /// Note-offs and event ordering.
    scheduler: MidiScheduler,
}

impl AudioSide {
    pub(crate) fn new(capture: AudioCapture, from_engine: Consumer<Fire>, sample_rate: f32) -> Self {
        AudioSide { capture, from_engine, scheduler: MidiScheduler::new(sample_rate) }
    }

    /// Processes one block: sends the (downmixed, gained) input to the engine when `listening`,
    /// and hands this block's MIDI events to `send` in time order. Fired commands that arrive
    /// while not listening are dropped.
    pub fn process_block<S: AsRef<[f32]>>(
        &mut self,
        input: &[S],
        gain: f32,
        listening: bool,
        on_fire: impl FnMut(&Fire),
        send: impl FnMut(MidiOut),
    ) {
        const NO_REFERENCE: [&[f32]; 0] = [];
        self.process_block_with_reference(input, &NO_REFERENCE, gain, listening, on_fire, send);
    }

    /// [`process_block`](Self::process_block) with the music the microphone also hears
    /// (`reference`, the sidechain input; any channel count, silence when unconnected), which the
    /// engine cancels from the microphone.
    pub fn process_block_with_reference<S: AsRef<[f32]>, R: AsRef<[f32]>>(
        &mut self,
        input: &[S],
        reference: &[R],
        gain: f32,
        listening: bool,
        mut on_fire: impl FnMut(&Fire),
        send: impl FnMut(MidiOut),
    ) {
        let frames = input.first().map_or(0, |c| c.as_ref().len());
        if listening {
            self.capture.push_block(input, reference, gain);
        }
        let from_engine = &mut self.from_engine;
        let fired = std::iter::from_fn(|| from_engine.pop().ok())
            .filter(|_| listening)
            .inspect(|f| on_fire(f));
        self.scheduler.run_block(frames, fired, send);
    }

    /// Clears pending note-offs (host `reset()`). Fired commands still queued are kept: hosts
    /// call `reset()` when processing restarts, and a command spoken just before must not be lost.
    pub fn reset(&mut self) {
        self.scheduler.clear();
    }

    /// Frames seen since activation.
    pub fn frames_seen(&self) -> u64 {
        self.capture.frames_seen()
    }

    /// Whether the engine thread is gone.
    pub fn engine_gone(&self) -> bool {
        self.capture.engine_gone()
    }
}
