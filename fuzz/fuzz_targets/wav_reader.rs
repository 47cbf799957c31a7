//! WAV decoding: arbitrary bytes written to a temp file and read with `voxcue::wav::read_wav`.
//! On success the audio must satisfy the documented guarantees.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use voxcue::wav::{read_wav, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};

/// One temp file per fuzzing process (libFuzzer runs inputs one after another in a process).
fn temp_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("voxcue-fuzz-wav-{}.wav", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    let path = temp_path();
    std::fs::write(path, data).expect("write temp WAV");
    match read_wav(path) {
        Ok(audio) => {
            assert!(
                (MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&audio.sample_rate),
                "sample rate {} accepted",
                audio.sample_rate
            );
            assert!(audio.channels >= 1, "zero channels accepted");
            assert!(!audio.samples.is_empty(), "no samples but Ok");
            assert_eq!(
                audio.frames() * audio.channels,
                audio.samples.len(),
                "partial frame: {} samples for {} channels",
                audio.samples.len(),
                audio.channels
            );
            for (i, &s) in audio.samples.iter().enumerate() {
                assert!(s.is_finite() && (-1.0..=1.0).contains(&s), "sample {i} = {s} outside [-1, 1]");
            }
            let mono = audio.to_mono();
            assert_eq!(mono.len(), audio.frames());
            assert!(mono.iter().all(|s| s.is_finite() && (-1.0..=1.0).contains(s)));
            assert!(audio.duration_s().is_finite());
        }
        Err(e) => {
            // Every error names the file.
            let msg = e.to_string();
            assert!(msg.contains(&*path.to_string_lossy()), "error does not name the file: {msg}");
        }
    }
});
