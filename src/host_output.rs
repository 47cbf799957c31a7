//! Engine -> host: turns fired commands into time-ordered MIDI events.
//!
//! Owned by the audio thread. Guarantees: fixed-size storage only (no allocation), note-offs are
//! tracked across blocks, and the events of one block come out sorted by time, with a note-off
//! before a note-on at the same time.

use crate::commands::{ActionKind, MidiAction};
use crate::messages::Fire;

/// How long a note stays on before its note-off.
pub const NOTE_GATE_SECONDS: f32 = 0.05;
/// Note-offs that can be pending at once; more than the 128 notes of one channel is never needed
/// for spoken commands.
const MAX_PENDING_OFFS: usize = 32;
/// Events one block can carry.
pub const MAX_EVENTS_PER_BLOCK: usize = 2 * MAX_PENDING_OFFS + 2;

/// A MIDI event for the host, with its position in the current block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MidiOut {
    /// Sample offset inside the block.
    pub timing: u32,
    /// The message.
    pub message: MidiMessage,
}

/// The MIDI messages Voxcue sends. Channels are 0-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MidiMessage {
    NoteOn { channel: u8, note: u8, velocity: u8 },
    NoteOff { channel: u8, note: u8 },
    ControlChange { channel: u8, cc: u8, value: u8 },
    ProgramChange { channel: u8, program: u8 },
}

impl MidiMessage {
    /// Sort key inside one timestamp: note-offs first so a retrigger is off-then-on.
    fn order(&self) -> u8 {
        match self {
            MidiMessage::NoteOff { .. } => 0,
            _ => 1,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct PendingOff {
    channel: u8,
    note: u8,
    /// Samples from the start of the next block until the note-off.
    remaining: u64,
}

/// Schedules note-offs across blocks and orders each block's events.
pub struct MidiScheduler {
    /// Note-offs still to send.
    pending: [Option<PendingOff>; MAX_PENDING_OFFS],
    /// Gate length in samples at the current host rate.
    gate_samples: u64,
    /// The block being assembled; reused every block.
    block: [Option<MidiOut>; MAX_EVENTS_PER_BLOCK],
    block_len: usize,
}

impl MidiScheduler {
    /// A scheduler for `sample_rate`.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            pending: [None; MAX_PENDING_OFFS],
            gate_samples: ((NOTE_GATE_SECONDS * sample_rate) as u64).max(1),
            block: [None; MAX_EVENTS_PER_BLOCK],
            block_len: 0,
        }
    }

    /// Forgets pending note-offs (used by `reset()`; the host silences notes itself).
    pub fn clear(&mut self) {
        self.pending = [None; MAX_PENDING_OFFS];
    }

    /// Builds the events for a block of `frames` samples from due note-offs and newly fired
    /// commands, and hands them to `send` in time order.
    pub fn run_block(
        &mut self,
        frames: usize,
        fired: impl Iterator<Item = Fire>,
        mut send: impl FnMut(MidiOut),
    ) {
        self.block_len = 0;
        let frames = frames as u64;
        self.collect_due_offs(frames);
        for fire in fired {
            self.start_action(fire.action, frames);
        }
        self.sort_block();
        for event in self.block[..self.block_len].iter().flatten() {
            send(*event);
        }
    }

    fn collect_due_offs(&mut self, frames: u64) {
        for slot in 0..MAX_PENDING_OFFS {
            let Some(off) = self.pending[slot] else { continue };
            if off.remaining < frames {
                self.pending[slot] = None;
                self.add(off.remaining as u32, MidiMessage::NoteOff { channel: off.channel, note: off.note });
            } else {
                self.pending[slot] = Some(PendingOff { remaining: off.remaining - frames, ..off });
            }
        }
    }

    fn start_action(&mut self, action: MidiAction, frames: u64) {
        let channel = action.channel.min(15);
        match action.kind {
            ActionKind::Note => self.start_note(channel, action.number, action.value, frames),
            ActionKind::Cc => self.add(0, MidiMessage::ControlChange { channel, cc: action.number, value: action.value }),
            ActionKind::Program => self.add(0, MidiMessage::ProgramChange { channel, program: action.number }),
        }
    }

    fn start_note(&mut self, channel: u8, note: u8, velocity: u8, frames: u64) {
        // A retrigger of a note that is still on: end it first.
        for slot in 0..MAX_PENDING_OFFS {
            if matches!(self.pending[slot], Some(off) if off.channel == channel && off.note == note) {
                self.pending[slot] = None;
                self.add(0, MidiMessage::NoteOff { channel, note });
            }
        }
        self.add(0, MidiMessage::NoteOn { channel, note, velocity: velocity.max(1) });
        if self.gate_samples < frames {
            self.add(self.gate_samples as u32, MidiMessage::NoteOff { channel, note });
        } else if let Some(free) = self.pending.iter_mut().find(|slot| slot.is_none()) {
            *free = Some(PendingOff { channel, note, remaining: self.gate_samples - frames });
        } else {
            // No room to remember the note-off: end the note at once rather than leave it hanging.
            self.add(0, MidiMessage::NoteOff { channel, note });
        }
    }

    fn add(&mut self, timing: u32, message: MidiMessage) {
        if self.block_len < MAX_EVENTS_PER_BLOCK {
            self.block[self.block_len] = Some(MidiOut { timing, message });
            self.block_len += 1;
        }
    }

    /// Stable insertion sort by (timing, note-off first): blocks hold a handful of events.
    fn sort_block(&mut self) {
        let key = |e: &Option<MidiOut>| e.map_or((u32::MAX, 2), |e| (e.timing, e.message.order()));
        for i in 1..self.block_len {
            let mut j = i;
            while j > 0 && key(&self.block[j - 1]) > key(&self.block[j]) {
                self.block.swap(j - 1, j);
                j -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(number: u8) -> Fire {
        Fire {
            action: MidiAction { kind: ActionKind::Note, channel: 0, number, value: 127 },
            command: 0,
            confidence: 0.9,
            stamp: 0,
        }
    }

    fn run(s: &mut MidiScheduler, frames: usize, fires: Vec<Fire>) -> Vec<MidiOut> {
        let mut out = Vec::new();
        s.run_block(frames, fires.into_iter(), |e| out.push(e));
        out
    }

    #[test]
    fn note_off_follows_after_the_gate_across_blocks() {
        let mut s = MidiScheduler::new(1000.0); // gate = 50 samples
        let first = run(&mut s, 16, vec![note(36)]);
        assert_eq!(first, vec![MidiOut { timing: 0, message: MidiMessage::NoteOn { channel: 0, note: 36, velocity: 127 } }]);
        assert!(run(&mut s, 16, vec![]).is_empty());
        assert!(run(&mut s, 16, vec![]).is_empty());
        let off = run(&mut s, 16, vec![]);
        assert_eq!(off, vec![MidiOut { timing: 2, message: MidiMessage::NoteOff { channel: 0, note: 36 } }]);
        assert!(run(&mut s, 16, vec![]).is_empty());
    }

    #[test]
    fn short_gate_inside_one_block_is_ordered() {
        let mut s = MidiScheduler::new(1000.0);
        let out = run(&mut s, 512, vec![note(40), note(41)]);
        let timings: Vec<u32> = out.iter().map(|e| e.timing).collect();
        assert_eq!(timings, vec![0, 0, 50, 50]);
        assert!(matches!(out[2].message, MidiMessage::NoteOff { .. }));
    }

    #[test]
    fn retrigger_sends_off_before_on() {
        let mut s = MidiScheduler::new(48_000.0);
        run(&mut s, 64, vec![note(36)]);
        let out = run(&mut s, 64, vec![note(36)]);
        assert!(matches!(out[0].message, MidiMessage::NoteOff { note: 36, .. }));
        assert!(matches!(out[1].message, MidiMessage::NoteOn { note: 36, .. }));
    }

    #[test]
    fn cc_and_program_are_immediate() {
        let mut s = MidiScheduler::new(48_000.0);
        let cc = Fire { action: MidiAction { kind: ActionKind::Cc, channel: 2, number: 7, value: 64 }, ..note(0) };
        let pc = Fire { action: MidiAction { kind: ActionKind::Program, channel: 3, number: 5, value: 0 }, ..note(0) };
        let out = run(&mut s, 1, vec![cc, pc]);
        assert_eq!(out[0].message, MidiMessage::ControlChange { channel: 2, cc: 7, value: 64 });
        assert_eq!(out[1].message, MidiMessage::ProgramChange { channel: 3, program: 5 });
    }
}
