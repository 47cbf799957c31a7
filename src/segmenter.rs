//! Finds utterances in a 16 kHz stream: voice activity (with hangover and a length cap) or
//! push-to-talk.
//!
//! Owned by the engine thread. Guarantees: buffers are allocated once at their cap; an utterance
//! never exceeds `max_utterance`; a forced cut waits for silence before the next utterance starts.

use std::collections::VecDeque;

use crate::onnx::ModelError;
use crate::vad::{SpeechDetector, FRAME};

/// Sample rate the segmenter and recognizers work at.
pub const RATE: usize = 16_000;
const FRAME_MS: f32 = FRAME as f32 * 1000.0 / RATE as f32;

/// Segmentation settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SegmenterConfig {
    /// Probability at which speech starts.
    pub start_threshold: f32,
    /// Probability below which a frame counts as silence inside an utterance.
    pub end_threshold: f32,
    /// Silence after speech that ends the utterance.
    pub hangover_ms: f32,
    /// Longest utterance; longer speech is cut here.
    pub max_utterance_ms: f32,
    /// Audio kept from before the detected start (speech onsets are soft).
    pub preroll_ms: f32,
    /// Shorter bursts (clicks, a kick drum) are ignored.
    pub min_speech_ms: f32,
}

impl Default for SegmenterConfig {
    fn default() -> Self {
        SegmenterConfig {
            start_threshold: 0.5,
            end_threshold: 0.35,
            hangover_ms: 288.0,
            max_utterance_ms: 4000.0,
            preroll_ms: 192.0,
            min_speech_ms: 160.0,
        }
    }
}

/// What a frame did to the segmentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentEvent {
    /// Nothing changed.
    None,
    /// Speech started.
    Started,
    /// An utterance is complete and available from [`Segmenter::utterance`].
    Ended,
    /// Speech was too short and was dropped.
    Discarded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Silence,
    Speech { silent_frames: usize, speech_frames: usize },
    /// After a forced cut: wait for silence.
    WaitForSilence,
}

/// Utterance finder. Feed it 16 kHz samples; take utterances when it says `Ended`.
pub struct Segmenter {
    config: SegmenterConfig,
    detector: Box<dyn SpeechDetector>,
    phase: Phase,
    /// Samples not yet making a full frame.
    pending: Vec<f32>,
    /// Last frames before speech, for the preroll.
    preroll: VecDeque<f32>,
    /// The utterance being collected.
    current: Vec<f32>,
    /// The finished utterance, until the next one starts.
    finished: Vec<f32>,
    /// Push-to-talk state seen on the previous frame.
    ptt_was_down: bool,
    /// Last speech probability (for the meter).
    last_probability: f32,
}

impl Segmenter {
    /// A segmenter around `detector`.
    pub fn new(config: SegmenterConfig, detector: Box<dyn SpeechDetector>) -> Self {
        let max = ms_to_samples(config.max_utterance_ms) + FRAME;
        Segmenter {
            config,
            detector,
            phase: Phase::Silence,
            pending: Vec::with_capacity(FRAME),
            preroll: VecDeque::with_capacity(ms_to_samples(config.preroll_ms) + FRAME),
            current: Vec::with_capacity(max),
            finished: Vec::with_capacity(max),
            ptt_was_down: false,
            last_probability: 0.0,
        }
    }

    /// Changes the settings (takes effect from the next frame).
    pub fn set_config(&mut self, config: SegmenterConfig) {
        self.config = config;
    }

    /// Name of the speech detector in use.
    pub fn detector_name(&self) -> &'static str {
        self.detector.name()
    }

    /// Whether an utterance is being collected.
    pub fn in_speech(&self) -> bool {
        matches!(self.phase, Phase::Speech { .. })
    }

    /// The last finished utterance.
    pub fn utterance(&self) -> &[f32] {
        &self.finished
    }

    /// Last frame's speech probability.
    pub fn last_probability(&self) -> f32 {
        self.last_probability
    }

    /// Forgets everything (new stream).
    pub fn reset(&mut self) {
        self.phase = Phase::Silence;
        self.pending.clear();
        self.preroll.clear();
        self.current.clear();
        self.detector.reset();
        self.ptt_was_down = false;
    }

    /// Feeds samples. `ptt` is `Some(down)` in push-to-talk mode, `None` in voice-activity mode.
    /// `on_event` is called for every frame event other than `None`; an `Ended` utterance is
    /// readable from [`Segmenter::utterance`] inside the callback.
    pub fn push(
        &mut self,
        samples: &[f32],
        ptt: Option<bool>,
        mut on_event: impl FnMut(SegmentEvent, &Segmenter),
    ) -> Result<(), ModelError> {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (FRAME - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == FRAME {
                let frame = std::mem::take(&mut self.pending);
                let event = match ptt {
                    Some(down) => self.ptt_frame(&frame, down),
                    None => self.vad_frame(&frame)?,
                };
                self.pending = frame;
                self.pending.clear();
                if event != SegmentEvent::None {
                    on_event(event, self);
                }
            }
        }
        Ok(())
    }

    fn vad_frame(&mut self, frame: &[f32]) -> Result<SegmentEvent, ModelError> {
        let p = self.detector.speech_probability(frame)?;
        self.last_probability = p;
        let cfg = self.config;
        let event = match self.phase {
            Phase::Silence if p >= cfg.start_threshold => {
                self.current.clear();
                self.current.extend(self.preroll.iter());
                self.current.extend_from_slice(frame);
                self.phase = Phase::Speech { silent_frames: 0, speech_frames: 1 };
                SegmentEvent::Started
            }
            Phase::Silence => SegmentEvent::None,
            Phase::WaitForSilence => {
                if p < cfg.end_threshold {
                    self.phase = Phase::Silence;
                }
                SegmentEvent::None
            }
            Phase::Speech { silent_frames, speech_frames } => {
                self.current.extend_from_slice(frame);
                let (silent_frames, speech_frames) = if p < cfg.end_threshold {
                    (silent_frames + 1, speech_frames)
                } else {
                    (0, speech_frames + 1)
                };
                let hangover_frames = ((cfg.hangover_ms / FRAME_MS).floor() as usize).max(1);
                let too_long = self.current.len() >= ms_to_samples(cfg.max_utterance_ms);
                if silent_frames >= hangover_frames {
                    self.phase = Phase::Silence;
                    // Keep one frame of the trailing silence.
                    let trailing = (silent_frames.saturating_sub(1)) * FRAME;
                    self.current.truncate(self.current.len() - trailing.min(self.current.len()));
                    self.finish(speech_frames)
                } else if too_long {
                    self.phase = Phase::WaitForSilence;
                    self.finish(speech_frames)
                } else {
                    self.phase = Phase::Speech { silent_frames, speech_frames };
                    SegmentEvent::None
                }
            }
        };
        self.remember_preroll(frame);
        Ok(event)
    }

    fn ptt_frame(&mut self, frame: &[f32], down: bool) -> SegmentEvent {
        self.last_probability = if down { 1.0 } else { 0.0 };
        let was_down = std::mem::replace(&mut self.ptt_was_down, down);
        let event = match (was_down, down) {
            (false, true) => {
                self.current.clear();
                self.current.extend(self.preroll.iter());
                self.current.extend_from_slice(frame);
                self.phase = Phase::Speech { silent_frames: 0, speech_frames: 1 };
                SegmentEvent::Started
            }
            (true, true) if matches!(self.phase, Phase::Speech { .. }) => {
                self.current.extend_from_slice(frame);
                if self.current.len() >= ms_to_samples(self.config.max_utterance_ms) {
                    self.phase = Phase::WaitForSilence;
                    self.finish(usize::MAX)
                } else {
                    SegmentEvent::None
                }
            }
            (true, false) if matches!(self.phase, Phase::Speech { .. }) => {
                // Released: keep this frame too (people let go while finishing the word).
                self.current.extend_from_slice(frame);
                self.phase = Phase::Silence;
                self.finish(usize::MAX)
            }
            (_, false) => {
                self.phase = Phase::Silence;
                SegmentEvent::None
            }
            _ => SegmentEvent::None,
        };
        self.remember_preroll(frame);
        event
    }

    fn finish(&mut self, speech_frames: usize) -> SegmentEvent {
        let min_frames = (self.config.min_speech_ms / FRAME_MS).ceil() as usize;
        if speech_frames < min_frames {
            self.current.clear();
            return SegmentEvent::Discarded;
        }
        std::mem::swap(&mut self.finished, &mut self.current);
        self.current.clear();
        SegmentEvent::Ended
    }

    fn remember_preroll(&mut self, frame: &[f32]) {
        let keep = ms_to_samples(self.config.preroll_ms);
        self.preroll.extend(frame.iter());
        while self.preroll.len() > keep {
            self.preroll.pop_front();
        }
    }
}

fn ms_to_samples(ms: f32) -> usize {
    (ms * RATE as f32 / 1000.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Speech wherever a frame's first sample is non-zero; written for tests only.
    struct MarkerDetector;
    impl SpeechDetector for MarkerDetector {
        fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, ModelError> {
            Ok(if frame[0] != 0.0 { 1.0 } else { 0.0 })
        }
        fn reset(&mut self) {}
        fn name(&self) -> &'static str {
            "marker"
        }
    }

    fn frames(speech: bool, n: usize) -> Vec<f32> {
        vec![if speech { 0.5 } else { 0.0 }; n * FRAME]
    }

    fn run(seg: &mut Segmenter, audio: &[f32], ptt: Option<bool>) -> Vec<(SegmentEvent, usize)> {
        let mut events = Vec::new();
        seg.push(audio, ptt, |e, s| events.push((e, s.utterance().len()))).unwrap();
        events
    }

    #[test]
    fn utterance_ends_after_hangover_with_preroll() {
        let mut seg = Segmenter::new(SegmenterConfig::default(), Box::new(MarkerDetector));
        let mut audio = frames(false, 20);
        audio.extend(frames(true, 30));
        audio.extend(frames(false, 20));
        let events = run(&mut seg, &audio, None);
        assert_eq!(events[0].0, SegmentEvent::Started);
        let (event, len) = events[1];
        assert_eq!(event, SegmentEvent::Ended);
        // 6 preroll frames + 30 speech + 1 trailing silence frame.
        assert_eq!(len, (6 + 30 + 1) * FRAME);
    }

    #[test]
    fn long_speech_is_capped_and_waits_for_silence() {
        let mut seg = Segmenter::new(SegmenterConfig::default(), Box::new(MarkerDetector));
        let audio = frames(true, 400);
        let events = run(&mut seg, &audio, None);
        let ended: Vec<_> = events.iter().filter(|e| e.0 == SegmentEvent::Ended).collect();
        assert_eq!(ended.len(), 1, "one cut, then it waits for silence");
        assert!(ended[0].1 <= 4000 * 16 + FRAME);
    }

    #[test]
    fn short_clicks_are_discarded() {
        let mut seg = Segmenter::new(SegmenterConfig::default(), Box::new(MarkerDetector));
        let mut audio = frames(true, 2);
        audio.extend(frames(false, 20));
        let events = run(&mut seg, &audio, None);
        assert_eq!(events.last().unwrap().0, SegmentEvent::Discarded);
    }

    #[test]
    fn push_to_talk_follows_the_button() {
        let mut seg = Segmenter::new(SegmenterConfig::default(), Box::new(MarkerDetector));
        run(&mut seg, &frames(false, 10), Some(false));
        let started = run(&mut seg, &frames(false, 10), Some(true));
        assert_eq!(started[0].0, SegmentEvent::Started);
        let ended = run(&mut seg, &frames(false, 1), Some(false));
        assert_eq!(ended[0].0, SegmentEvent::Ended);
        assert_eq!(ended[0].1, (6 + 10 + 1) * FRAME);
    }
}
