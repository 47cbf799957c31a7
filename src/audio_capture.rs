//! Audio thread -> engine thread: microphone and music-reference samples through a preallocated
//! `rtrb` ring, interleaved as (microphone, reference) pairs, one pair per host frame.
//!
//! Owned by the audio thread. Guarantees: never allocates, frees, locks or waits. When the ring is
//! full the block's samples are dropped and counted, and capture resumes as soon as the engine has
//! drained the ring. Without a reference input the reference half of each pair is silence.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rtrb::{Consumer, Producer, RingBuffer};

/// The ring holds at least this many seconds of audio at the highest supported rate.
pub const RING_SECONDS: usize = 4;
/// Highest host sample rate Voxcue accepts.
pub const MAX_SAMPLE_RATE: usize = 192_000;
/// Ring capacity in frames: 4 s at 192 kHz, whatever the current rate, so that a stalled engine
/// has the same head room at every rate and a rate change never reallocates.
pub const RING_CAPACITY: usize = RING_SECONDS * MAX_SAMPLE_RATE;
/// Ring slots per frame: microphone, reference.
pub const SLOTS_PER_FRAME: usize = 2;

/// Samples with a smaller magnitude are flushed to zero so denormals never reach the engine.
const DENORMAL_FLOOR: f32 = 1.0e-20;

/// Counters shared between the capture side and whoever reports them.
#[derive(Debug, Default)]
pub struct CaptureStats {
    /// Samples dropped because the ring was full.
    pub dropped: AtomicU64,
    /// Samples (frames) seen by the audio thread since activation; the engine's time base.
    pub frames_seen: AtomicU64,
}

/// Builds the audio -> engine ring as a (producer, consumer) pair.
pub fn audio_to_engine() -> (AudioCapture, Consumer<f32>, Arc<CaptureStats>) {
    let (to_engine, from_audio) = RingBuffer::new(RING_CAPACITY * SLOTS_PER_FRAME);
    let stats = Arc::new(CaptureStats::default());
    let capture = AudioCapture {
        to_engine,
        stats: Arc::clone(&stats),
        frames_seen: 0,
    };
    (capture, from_audio, stats)
}

/// The audio thread's end of the ring.
pub struct AudioCapture {
    /// (microphone, reference) sample pairs at the host rate, towards the engine thread.
    to_engine: Producer<f32>,
    /// Shared counters; written with relaxed atomics only.
    stats: Arc<CaptureStats>,
    /// Local copy of the frame counter (the atomic is only stored, never read, here).
    frames_seen: u64,
}

impl AudioCapture {
    /// Downmixes one block (`channels[c][i]`), applies `gain`, sanitizes and pushes it with the
    /// downmixed `reference` (the music; no gain; may have no channels). Returns the number of
    /// frames dropped in this block.
    pub fn push_block<S: AsRef<[f32]>, R: AsRef<[f32]>>(&mut self, channels: &[S], reference: &[R], gain: f32) -> usize {
        let frames = channels.first().map_or(0, |c| c.as_ref().len());
        if frames == 0 {
            return 0;
        }
        let scale = gain / channels.len() as f32;
        let reference_scale = 1.0 / reference.len().max(1) as f32;
        let dropped = match self.to_engine.write_chunk_uninit(frames * SLOTS_PER_FRAME) {
            Ok(chunk) => {
                let pairs = (0..frames).flat_map(|i| {
                    let mic: f32 = channels.iter().map(|c| c.as_ref()[i]).sum();
                    let music: f32 = reference.iter().map(|c| c.as_ref().get(i).copied().unwrap_or(0.0)).sum();
                    [sanitize(mic * scale), sanitize(music * reference_scale)]
                });
                chunk.fill_from_iter(pairs);
                0
            }
            Err(_) => frames,
        };
        self.frames_seen += frames as u64;
        self.stats.frames_seen.store(self.frames_seen, Ordering::Relaxed);
        if dropped > 0 {
            self.stats.dropped.fetch_add(dropped as u64, Ordering::Relaxed);
        }
        dropped
    }

    /// Frames seen since activation.
    pub fn frames_seen(&self) -> u64 {
        self.frames_seen
    }

    /// Whether the engine side of the ring is gone (thread stopped).
    pub fn engine_gone(&self) -> bool {
        self.to_engine.is_abandoned()
    }
}

/// Maps NaN and infinities to silence, flushes denormals and bounds the magnitude.
#[inline]
pub fn sanitize(x: f32) -> f32 {
    if !x.is_finite() || x.abs() < DENORMAL_FLOOR {
        0.0
    } else {
        x.clamp(-8.0, 8.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_REFERENCE: [&[f32]; 0] = [];

    fn pairs(from_audio: &mut Consumer<f32>) -> Vec<(f32, f32)> {
        let flat: Vec<f32> = std::iter::from_fn(|| from_audio.pop().ok()).collect();
        flat.chunks(2).map(|p| (p[0], p[1])).collect()
    }

    #[test]
    fn downmixes_and_applies_gain() {
        let (mut capture, mut from_audio, _) = audio_to_engine();
        let left = [1.0f32, 0.5, 0.0];
        let right = [0.0f32, 0.5, -1.0];
        capture.push_block(&[&left[..], &right[..]], &NO_REFERENCE, 2.0);
        assert_eq!(pairs(&mut from_audio), vec![(1.0, 0.0), (1.0, 0.0), (-1.0, 0.0)]);
        assert_eq!(capture.frames_seen(), 3);
    }

    #[test]
    fn reference_is_downmixed_beside_the_microphone_without_gain() {
        let (mut capture, mut from_audio, _) = audio_to_engine();
        let mic = [0.5f32, 0.25];
        let music_l = [0.2f32, f32::NAN];
        let music_r = [0.4f32, 0.1];
        capture.push_block(&[&mic[..]], &[&music_l[..], &music_r[..]], 2.0);
        let got = pairs(&mut from_audio);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, 1.0);
        assert!((got[0].1 - 0.3).abs() < 1e-6);
        assert_eq!(got[1], (0.5, 0.0), "a NaN in the reference makes the frame's music silent");
    }

    #[test]
    fn bad_samples_become_silence() {
        let (mut capture, mut from_audio, _) = audio_to_engine();
        let block = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.0e-39, 0.25];
        capture.push_block(&[&block[..]], &NO_REFERENCE, 1.0);
        let mic: Vec<f32> = pairs(&mut from_audio).iter().map(|p| p.0).collect();
        assert_eq!(mic, vec![0.0, 0.0, 0.0, 0.0, 0.25]);
    }

    #[test]
    fn full_ring_drops_and_counts_then_recovers() {
        let (mut capture, mut from_audio, stats) = audio_to_engine();
        let block = vec![0.1f32; 8192];
        let mut pushed = 0;
        while capture.push_block(&[&block[..]], &NO_REFERENCE, 1.0) == 0 {
            pushed += block.len();
        }
        assert!(pushed >= RING_CAPACITY - block.len());
        assert_eq!(stats.dropped.load(Ordering::Relaxed), 8192);
        while from_audio.pop().is_ok() {}
        assert_eq!(capture.push_block(&[&block[..]], &NO_REFERENCE, 1.0), 0);
    }
}
