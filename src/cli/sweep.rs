//! `voxcue eval --snr-sweep`: the manifest's clean clips remixed with music the project makes
//! itself ([`super::music`]) at several speech-to-music ratios, recognized with and without the
//! music reference (through the same [`BleedCanceller`] the engine runs), per recognizer.
//!
//! Runs on the CLI's main thread. Every mix is derived from `--seed`, the clip's position and the
//! SNR, so two runs print the same table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;
use voxcue::bleed_canceller::BleedCanceller;
use voxcue::commands::CommandSet;
use voxcue::engine::recognize_clip;
use voxcue::recognizer::Recognizer;
use voxcue::resample::ToSixteenK;
use voxcue::wav::read_wav;

use super::eval::{parse_manifest, progress, Entry};
use super::music::{normalize_rms, render_track, rms, Rng, RoomPath, STYLES};
use super::{plot, EngineArgs};

const RATE: u32 = 16_000;
/// Music heard before each clip, as in a booth where the music was already playing.
const WARM_UP_S: f32 = 4.0;
/// Length of each synthesized track.
const TRACK_S: f32 = 60.0;
/// Length of the music-only negatives.
const MUSIC_ONLY_S: f32 = 2.5;

/// The sweep's options.
pub struct SweepOptions {
    pub snrs: Vec<f32>,
    /// WAV files (or a folder of them) to use as the music instead of the synthesized tracks.
    pub music: Option<PathBuf>,
    pub plot: Option<PathBuf>,
    pub seed: u64,
    pub every: usize,
    pub json: bool,
}

/// A clip to remix: 16 kHz audio and what it should fire.
struct Clip {
    audio: Vec<f32>,
    command: Option<String>,
    /// RMS of the clip's speech (frames within 35 dB of the loudest).
    speech_rms: f32,
}

/// Counts for one (recognizer, SNR, with/without reference) cell.
#[derive(Default, Clone, Copy)]
struct Cell {
    commands: usize,
    correct: usize,
    negatives: usize,
    false_accepts: usize,
}

impl Cell {
    fn accuracy(&self) -> f64 {
        ratio(self.correct, self.commands)
    }
    fn false_accept_rate(&self) -> f64 {
        ratio(self.false_accepts, self.negatives)
    }
}

/// Results by recognizer, then by condition ("clean", "20 dB", ...), then (no reference, reference).
type Table = BTreeMap<String, Vec<(String, f32, Cell, Cell)>>;

pub fn run(args: &EngineArgs, manifest: &Path, options: &SweepOptions) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let base = manifest.parent().unwrap_or(Path::new("."));
    let clips = load_clean_clips(&parse_manifest(&text)?, base, options.every)?;
    if clips.is_empty() {
        return Err(format!("{}: no clean clips to remix", manifest.display()));
    }
    let set = args.command_set()?;
    let mut recognizers = load_recognizers(args, &set)?;
    let tracks = match &options.music {
        Some(path) => load_music(path)?,
        None => {
            eprintln!("rendering {} music tracks ...", STYLES.len());
            STYLES.iter().enumerate().map(|(i, &s)| render_track(s, TRACK_S, RATE, options.seed + i as u64)).collect()
        }
    };
    let mut cells: Vec<Vec<[Cell; 2]>> = vec![vec![[Cell::default(); 2]; options.snrs.len() + 1]; recognizers.len()];
    let total = clips.len() * (options.snrs.len() + 1);
    for (i, clip) in clips.iter().enumerate() {
        progress(i * (options.snrs.len() + 1), total);
        for (r, (_, recognizer)) in recognizers.iter_mut().enumerate() {
            score(recognizer.as_mut(), &set, args.threshold, &clip.audio, clip.command.as_deref(), &mut cells[r][0][0])?;
        }
        for (s, &snr) in options.snrs.iter().enumerate() {
            let mut rng = Rng::new(options.seed ^ ((i as u64) << 20) ^ (snr.to_bits() as u64));
            let mix = Mix::new(clip, snr, &tracks, &mut rng);
            let variants = [mix.without_reference(), mix.with_reference()];
            let music_only = clip.command.is_none().then(|| Mix::music_only(clip, snr, &tracks, &mut rng));
            for (r, (_, recognizer)) in recognizers.iter_mut().enumerate() {
                for (v, audio) in variants.iter().enumerate() {
                    let cell = &mut cells[r][s + 1][v];
                    score(recognizer.as_mut(), &set, args.threshold, audio, clip.command.as_deref(), cell)?;
                }
                if let Some((plain, cancelled)) = &music_only {
                    score(recognizer.as_mut(), &set, args.threshold, plain, None, &mut cells[r][s + 1][0])?;
                    score(recognizer.as_mut(), &set, args.threshold, cancelled, None, &mut cells[r][s + 1][1])?;
                }
            }
        }
    }
    progress(total, total);
    eprintln!();
    let table = tabulate(&recognizers, &cells, &options.snrs);
    print_table(args, &table, &clips);
    if let Some(path) = &options.plot {
        plot::accuracy_vs_snr(path, &table_series(&table))?;
        println!("plot written to {}", path.display());
    }
    if options.json {
        println!("{}", table_json(&table));
    }
    Ok(ExitCode::SUCCESS)
}

fn load_clean_clips(entries: &[Entry], base: &Path, every: usize) -> Result<Vec<Clip>, String> {
    let clean = entries.iter().filter(|e| matches!(e.condition.as_deref(), None | Some("clean")));
    let mut clips = Vec::new();
    for entry in clean.step_by(every.max(1)) {
        let path = base.join(&entry.wav);
        let audio = read_wav(&path).map_err(|e| e.to_string())?;
        let audio = ToSixteenK::convert_all(audio.sample_rate, &audio.to_mono()).map_err(|e| format!("{}: {e}", path.display()))?;
        let speech_rms = speech_rms(&audio);
        if speech_rms > 0.0 {
            clips.push(Clip { audio, command: entry.command.clone(), speech_rms });
        }
    }
    Ok(clips)
}

/// Every WAV at `path` (a file or a folder), as 16 kHz mono tracks; short loops are tiled.
fn load_music(path: &Path) -> Result<Vec<Vec<f32>>, String> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")))
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut tracks = Vec::new();
    for file in &files {
        let audio = read_wav(file).map_err(|e| e.to_string())?;
        let mono = ToSixteenK::convert_all(audio.sample_rate, &audio.to_mono()).map_err(|e| format!("{}: {e}", file.display()))?;
        if rms(&mono) <= 0.0 {
            continue;
        }
        let mut track: Vec<f32> = mono.iter().copied().cycle().take((TRACK_S * RATE as f32) as usize).collect();
        normalize_rms(&mut track, -20.0);
        tracks.push(track);
    }
    if tracks.is_empty() {
        return Err(format!("{}: no usable WAV music", path.display()));
    }
    Ok(tracks)
}

fn load_recognizers(args: &EngineArgs, set: &Arc<CommandSet>) -> Result<Vec<(String, Box<dyn Recognizer>)>, String> {
    args.recognizer
        .split(',')
        .map(|name| {
            let one = EngineArgs { recognizer: name.trim().to_string(), ..args.clone() };
            Ok((name.trim().to_string(), one.recognizer(set)?))
        })
        .collect()
}

/// RMS over the 20 ms frames within 35 dB of the loudest (the corpus's "speech part").
fn speech_rms(audio: &[f32]) -> f32 {
    let frames: Vec<f32> = audio.chunks(320).map(rms).collect();
    let loudest = frames.iter().copied().fold(0.0, f32::max);
    let floor = loudest * 10f32.powf(-35.0 / 20.0);
    let active: Vec<f32> = frames.into_iter().filter(|&r| r >= floor && r > 0.0).collect();
    if active.is_empty() {
        return 0.0;
    }
    (active.iter().map(|r| r * r).sum::<f32>() / active.len() as f32).sqrt()
}

/// One clip over music: the microphone signal (warm-up + clip) and the dry music reference.
struct Mix {
    mic: Vec<f32>,
    reference: Vec<f32>,
    warm_up: usize,
    clip_len: usize,
}

impl Mix {
    fn new(clip: &Clip, snr_db: f32, tracks: &[Vec<f32>], rng: &mut Rng) -> Self {
        let warm_up = (WARM_UP_S * RATE as f32) as usize;
        let len = warm_up + clip.audio.len();
        let (reference, bleed) = music_excerpt(tracks, len, rng);
        let bleed_rms = rms(&bleed[warm_up..]).max(1e-9);
        let gain = clip.speech_rms / (bleed_rms * 10f32.powf(snr_db / 20.0));
        let mut mic: Vec<f32> = bleed.iter().map(|b| b * gain).collect();
        for (m, s) in mic[warm_up..].iter_mut().zip(&clip.audio) {
            *m += s;
        }
        Mix { mic, reference, warm_up, clip_len: clip.audio.len() }
    }

    /// Music alone at the level it had under `clip`, and the same after cancellation.
    fn music_only(clip: &Clip, snr_db: f32, tracks: &[Vec<f32>], rng: &mut Rng) -> (Vec<f32>, Vec<f32>) {
        let silent = Clip { audio: vec![0.0; (MUSIC_ONLY_S * RATE as f32) as usize], command: None, speech_rms: clip.speech_rms };
        let mix = Mix::new(&silent, snr_db, tracks, rng);
        (mix.without_reference(), mix.with_reference())
    }

    fn without_reference(&self) -> Vec<f32> {
        self.mic[self.warm_up..self.warm_up + self.clip_len].to_vec()
    }

    /// Streams the mix through the engine's canceller in 10 ms chunks.
    fn with_reference(&self) -> Vec<f32> {
        let mut canceller = BleedCanceller::new();
        let mut out = Vec::with_capacity(self.mic.len());
        for (m, r) in self.mic.chunks(160).zip(self.reference.chunks(160)) {
            canceller.process(m, r, &mut out);
        }
        // The last partial block is still inside the canceller: pad with the microphone.
        let n = out.len();
        out.extend_from_slice(&self.mic[n..]);
        out[self.warm_up..self.warm_up + self.clip_len].to_vec()
    }
}

/// A random excerpt of a random track (the reference) and what a random booth makes of it.
fn music_excerpt(tracks: &[Vec<f32>], len: usize, rng: &mut Rng) -> (Vec<f32>, Vec<f32>) {
    let track = &tracks[rng.below(tracks.len())];
    let start = rng.below(track.len().saturating_sub(len).max(1));
    let mut reference: Vec<f32> = track[start..].iter().copied().take(len).collect();
    reference.resize(len, 0.0);
    let room = RoomPath::random(RATE, rng);
    let bleed = room.apply(&reference);
    (reference, bleed)
}

fn score(
    recognizer: &mut dyn Recognizer,
    set: &CommandSet,
    threshold: f32,
    audio: &[f32],
    want: Option<&str>,
    cell: &mut Cell,
) -> Result<(), String> {
    let outcome = recognize_clip(recognizer, audio, RATE).map_err(|e| e.to_string())?;
    let got = outcome.decide(threshold).map(|c| set.commands()[c.command].id.as_str());
    match want {
        Some(w) => {
            cell.commands += 1;
            cell.correct += usize::from(got == Some(w));
        }
        None => {
            cell.negatives += 1;
            cell.false_accepts += usize::from(got.is_some());
        }
    }
    Ok(())
}

fn tabulate(recognizers: &[(String, Box<dyn Recognizer>)], cells: &[Vec<[Cell; 2]>], snrs: &[f32]) -> Table {
    recognizers
        .iter()
        .zip(cells)
        .map(|((name, _), rows)| {
            let named = rows
                .iter()
                .enumerate()
                .map(|(i, [plain, cancelled])| {
                    let (label, snr) = if i == 0 { ("clean".to_string(), f32::INFINITY) } else { (format!("{} dB", snrs[i - 1]), snrs[i - 1]) };
                    (label, snr, *plain, *cancelled)
                })
                .collect();
            (name.clone(), named)
        })
        .collect()
}

fn print_table(args: &EngineArgs, table: &Table, clips: &[Clip]) {
    let commands = clips.iter().filter(|c| c.command.is_some()).count();
    let negatives = clips.len() - commands;
    println!(
        "SNR sweep: {commands} command clips, {negatives} chatter + {negatives} music-only negatives per SNR, threshold {:.2}",
        args.threshold
    );
    for (name, rows) in table {
        println!("recognizer {name}");
        println!("{:<8} {:>10} {:>10} {:>12} {:>12}", "SNR", "accuracy", "with ref", "false fires", "with ref");
        for (label, _, plain, cancelled) in rows {
            if label == "clean" {
                println!("{:<8} {:>9.1}% {:>10} {:>11.1}% {:>12}", label, 100.0 * plain.accuracy(), "", 100.0 * plain.false_accept_rate(), "");
            } else {
                println!(
                    "{:<8} {:>9.1}% {:>9.1}% {:>11.1}% {:>11.1}%",
                    label,
                    100.0 * plain.accuracy(),
                    100.0 * cancelled.accuracy(),
                    100.0 * plain.false_accept_rate(),
                    100.0 * cancelled.false_accept_rate()
                );
            }
        }
    }
}

/// (label, points) per line of the plot: accuracy in % against SNR in dB.
fn table_series(table: &Table) -> Vec<(String, Vec<(f32, f32)>)> {
    let mut series = Vec::new();
    for (name, rows) in table {
        let music: Vec<_> = rows.iter().filter(|r| r.1.is_finite()).collect();
        let clean = rows.iter().find(|r| !r.1.is_finite()).map(|r| 100.0 * r.2.accuracy() as f32);
        series.push((format!("{name}, no reference"), music.iter().map(|r| (r.1, 100.0 * r.2.accuracy() as f32)).collect()));
        series.push((format!("{name}, with reference"), music.iter().map(|r| (r.1, 100.0 * r.3.accuracy() as f32)).collect()));
        if let Some(clean) = clean {
            series.push((format!("{name}, clean speech"), music.iter().map(|r| (r.1, clean)).collect()));
        }
    }
    series
}

fn table_json(table: &Table) -> serde_json::Value {
    let by_recognizer: serde_json::Map<String, serde_json::Value> = table
        .iter()
        .map(|(name, rows)| {
            let rows: Vec<_> = rows
                .iter()
                .map(|(label, _, plain, cancelled)| {
                    json!({
                        "condition": label,
                        "accuracy": plain.accuracy(),
                        "accuracy_with_reference": cancelled.accuracy(),
                        "false_accept_rate": plain.false_accept_rate(),
                        "false_accept_rate_with_reference": cancelled.false_accept_rate(),
                        "commands": plain.commands,
                        "negatives": plain.negatives,
                    })
                })
                .collect();
            (name.clone(), json!(rows))
        })
        .collect();
    json!({ "snr_sweep": by_recognizer })
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}
