//! A loud room through the real engine (silero VAD, default ASR recognizer): music bleeding into
//! the microphone louder than the voice, with and without the music on the sidechain.
//!
//! Checks that the canceller lets a command through that the music would otherwise bury, that
//! music alone never fires, that a beat is not taken for speech, and that an utterance ends
//! while the music goes on.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use voxcue::commands::CommandSet;
use voxcue::engine::{self, EngineConfig, EngineHandle, EngineSettings};
use voxcue::messages::EngineState;
use voxcue::resample::ToSixteenK;
use voxcue::wav::read_wav;

const RATE: u32 = 48_000;
const BLOCK: usize = 256;

/// "play deck a" at 48 kHz.
fn speech() -> Vec<f32> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/clips/play_a__play_deck_a__flite-rms__clean.wav");
    let audio = read_wav(std::path::Path::new(path)).expect("test clip");
    let at_16k = ToSixteenK::convert_all(audio.sample_rate, &audio.to_mono()).unwrap();
    // Up to 48 kHz by sample-and-hold plus a short smoother: plenty for a recognizer at 16 kHz.
    let mut out = Vec::with_capacity(at_16k.len() * 3);
    let mut prev = 0.0f32;
    for &x in &at_16k {
        for _ in 0..3 {
            prev = 0.6 * prev + 0.4 * x;
            out.push(prev);
        }
    }
    out
}

/// A club-like bed: kick every beat at 124 BPM, off-beat hats, a pulsing saw bass, a noise pad.
fn music(seconds: f32) -> Vec<f32> {
    let len = (seconds * RATE as f32) as usize;
    let beat = (60.0 / 124.0 * RATE as f32) as usize;
    let mut state = 0x1234_5678u32;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as f32 / u32::MAX as f32 * 2.0 - 1.0
    };
    let mut pad = 0.0f32;
    (0..len)
        .map(|n| {
            let in_beat = n % beat;
            let t = in_beat as f32 / RATE as f32;
            let kick = (2.0 * std::f32::consts::PI * (50.0 * t + 3.0 * (1.0 - (-t * 30.0).exp()))).sin() * (-t * 8.0).exp();
            let off = (n + beat / 2) % beat;
            let hat = noise() * (-(off as f32 / RATE as f32) * 80.0).exp() * 0.3;
            let bass_phase = (n as f32 * 55.0 / RATE as f32) % 1.0;
            let bass = (2.0 * bass_phase - 1.0) * 0.25 * (-t * 3.0).exp();
            pad = 0.995 * pad + 0.005 * noise();
            0.3 * (kick + hat + bass) + 2.0 * pad
        })
        .collect()
}

/// What the microphone hears of `music`: 12 ms late with two reflections.
fn bleed(music: &[f32], gain: f32) -> Vec<f32> {
    let taps = [(576usize, 1.0f32), (700, 0.35), (1100, -0.2)];
    (0..music.len())
        .map(|n| gain * taps.iter().filter_map(|&(d, h)| n.checked_sub(d).map(|i| h * music[i])).sum::<f32>())
        .collect()
}

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

struct Run {
    /// (command index, time in s) of every fire.
    fires: Vec<(u16, f64)>,
    utterances: u64,
}

/// Streams `mic` (and `reference`, if any) through the plugin's audio path in real time order,
/// waiting for the engine after every block so the result does not depend on machine speed.
fn stream(mic: &[f32], reference: Option<&[f32]>) -> Run {
    let settings = Arc::new(EngineSettings::default());
    let mut config = EngineConfig::new(RATE as f32, Arc::new(CommandSet::default_dj()), settings);
    config.idle_sleep = Duration::from_micros(200);
    let (state_in, _state_out) = triple_buffer::triple_buffer(&EngineState::default());
    let (mut side, handle) = engine::start(config, state_in).expect("engine starts");
    let mut fires = Vec::new();
    for (b, block) in mic.chunks(BLOCK).enumerate() {
        let now = (b * BLOCK) as f64 / RATE as f64;
        let music: Vec<&[f32]> = reference.map(|r| &r[b * BLOCK..(b * BLOCK + block.len()).min(r.len())]).into_iter().collect();
        side.process_block_with_reference(&[block], &music, 1.0, true, |f| fires.push((f.command, now)), |_| {});
        wait_for(&handle, ((b + 1) * BLOCK) as u64);
    }
    let utterances = handle.progress.utterances.load(Ordering::Relaxed);
    // Fires already queued when the last block was sent.
    side.process_block(&[&[0.0f32; BLOCK][..]], 1.0, true, |f| fires.push((f.command, mic.len() as f64 / RATE as f64)), |_| {});
    Run { fires, utterances }
}

fn wait_for(handle: &EngineHandle, frames: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while handle.progress.frames_done.load(Ordering::Acquire) < frames && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// 6 s of music, the command at 4 s over it at `snr_db`, then 3 s more music.
fn scene(snr_db: f32) -> (Vec<f32>, Vec<f32>, f64) {
    let speech = speech();
    let start = 4 * RATE as usize;
    let music = music(start as f32 / RATE as f32 + speech.len() as f32 / RATE as f32 + 3.0);
    let unit = bleed(&music, 1.0);
    let gain = rms(&speech) / (rms(&unit[start..start + speech.len()]) * 10f32.powf(snr_db / 20.0));
    let mut mic: Vec<f32> = unit.iter().map(|b| b * gain).collect();
    for (m, s) in mic[start..].iter_mut().zip(&speech) {
        *m += s;
    }
    let speech_end_s = (start + speech.len()) as f64 / RATE as f64;
    (mic, music, speech_end_s)
}

#[test]
fn the_reference_lets_a_command_through_music_louder_than_the_voice() {
    let play_a = CommandSet::default_dj().index_of("play_a").unwrap() as u16;
    let (mic, music, speech_end) = scene(-6.0);
    let run = stream(&mic, Some(&music));
    assert_eq!(run.fires.len(), 1, "one fire expected with the reference: {:?}", run.fires);
    assert_eq!(run.fires[0].0, play_a);
    // The utterance ended while the music went on: hangover + recognition, well under a second.
    let after_speech = run.fires[0].1 - speech_end;
    assert!(after_speech < 1.0, "fired {after_speech:.2} s after the speech ended");
}

#[test]
fn music_alone_never_fires_and_a_beat_is_not_speech() {
    let music = music(12.0);
    let loud = bleed(&music, 1.0);
    let without = stream(&loud, None);
    assert!(without.fires.is_empty(), "music without reference fired {:?}", without.fires);
    let with = stream(&loud, Some(&music));
    assert!(with.fires.is_empty(), "music with reference fired {:?}", with.fires);
    assert_eq!(with.utterances, 0, "with the reference, the beat was taken for speech");
}

#[test]
fn an_utterance_ends_while_the_music_goes_on() {
    let play_a = CommandSet::default_dj().index_of("play_a").unwrap() as u16;
    let (mic, _, speech_end) = scene(10.0);
    let run = stream(&mic, None);
    let fire = run.fires.iter().find(|f| f.0 == play_a).unwrap_or_else(|| panic!("no play_a fire: {:?}", run.fires));
    let after_speech = fire.1 - speech_end;
    assert!(after_speech < 1.0, "fired {after_speech:.2} s after the speech ended (the music kept the utterance open)");
}
