//! End-to-end recognition with the default models: corpus clips (copied into tests/data/clips,
//! named `<command id>__...wav`, `neg*`/`musiconly*` for clips that must fire nothing) through
//! the `voxcue` CLI, and a stream of them through the plugin's audio-thread path (`voxcue stream`).
//! Needs the models from scripts/fetch-models.sh (scripts/test.sh runs it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn clips() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/clips");
    let mut clips: Vec<PathBuf> = std::fs::read_dir(&dir).expect("tests/data/clips").map(|e| e.unwrap().path()).collect();
    clips.sort();
    clips
}

/// The command a clip's name says it holds (`None` for negatives and music).
fn expected(path: &Path) -> Option<String> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let id = name.split("__").next().unwrap().to_string();
    (!id.starts_with("neg") && !id.starts_with("musiconly")).then_some(id)
}

fn voxcue(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_voxcue")).args(args).output().expect("run voxcue");
    assert!(out.status.success(), "voxcue {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn cli_recognizes_commands_and_rejects_chatter_and_music() {
    let clips = clips();
    assert!(clips.len() >= 6);
    let mut args = vec!["recognize".to_string()];
    args.extend(clips.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let stdout = voxcue(&args);
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), clips.len());
    for (clip, line) in clips.iter().zip(&lines) {
        let got = line["command"].as_str().map(str::to_string);
        assert_eq!(got, expected(clip), "{}: {line}", clip.display());
        assert!(line["latency_ms"].as_f64().unwrap() >= 0.0);
    }
}

#[test]
fn unreadable_wav_is_reported_and_the_rest_still_run() {
    let bad = std::env::temp_dir().join(format!("voxcue-bad-{}.wav", std::process::id()));
    std::fs::write(&bad, b"RIFF nonsense").unwrap();
    let good = clips().into_iter().find(|c| expected(c).is_some()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_voxcue"))
        .args(["recognize", bad.to_str().unwrap(), good.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a failed file makes the exit code 1");
    assert!(String::from_utf8_lossy(&out.stderr).contains(bad.to_str().unwrap()), "the error names the file");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "the good file is still recognized");
}

#[test]
fn stream_of_clips_fires_each_command_once_through_the_audio_path() {
    // Clips with 1.2 s of silence between them, at 44.1 kHz stereo: segmentation, resampling and
    // the audio-thread queue all take part.
    let clips = clips();
    let mut mono16 = Vec::new();
    let mut want = Vec::new();
    for clip in &clips {
        let audio = voxcue::wav::read_wav(clip).unwrap();
        mono16.extend(audio.to_mono());
        mono16.extend(std::iter::repeat_n(0.0, 19_200));
        want.extend(expected(clip));
    }
    let rate = 44_100u32;
    let resampled: Vec<f32> = (0..(mono16.len() as u64 * rate as u64 / 16_000) as usize)
        .map(|i| mono16[(i as u64 * 16_000 / rate as u64) as usize])
        .collect();
    let samples: Vec<f32> = resampled.iter().flat_map(|&s| [s, s]).collect();
    let path = std::env::temp_dir().join(format!("voxcue-stream-{}.wav", std::process::id()));
    voxcue::wav::write_wav(&path, &voxcue::wav::Audio { sample_rate: rate, channels: 2, samples }).unwrap();
    let stdout = voxcue(&["stream", "--wav", path.to_str().unwrap(), "--block", "512"]);
    let got: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["command"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn s2o_recognizes_the_same_clips_zero_shot() {
    let clips = clips();
    let mut args = vec!["recognize".to_string(), "--recognizer".into(), "s2o".into()];
    args.extend(clips.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let stdout = voxcue(&args);
    for (clip, line) in clips.iter().zip(stdout.lines()) {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["command"].as_str().map(str::to_string), expected(clip), "{}: {line}", clip.display());
    }
}

#[test]
fn enrollment_teaches_a_new_command_from_recordings() {
    // A command whose phrase the recording does not say: only the enrollment can find it.
    let dir = std::env::temp_dir().join(format!("voxcue-enroll-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let commands = dir.join("mine.toml");
    std::fs::write(
        &commands,
        "[[command]]\nid = \"drop_bass\"\nphrases = [\"drop the bass now\"]\naction = { kind = \"cc\", channel = 2, number = 20, value = 127 }\n\n\
         [[command]]\nid = \"lights\"\nphrases = [\"lights on\"]\naction = { kind = \"program\", channel = 1, number = 3, value = 0 }\n",
    )
    .unwrap();
    let clip = clips().into_iter().find(|c| c.to_string_lossy().contains("record_start")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_voxcue"))
        .args(["enroll", "--commands", commands.to_str().unwrap(), "--command", "drop_bass", clip.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("mine.enrollments.json").is_file());
    let stdout = voxcue(&["recognize", "--recognizer", "s2o", "--commands", commands.to_str().unwrap(), clip.to_str().unwrap()]);
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(line["command"], "drop_bass", "{line}");
}
