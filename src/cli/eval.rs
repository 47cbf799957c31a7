//! `voxcue eval`: accuracy per condition, false accepts on negatives, confusions and latency over
//! a manifest of labelled clips.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;
use serde_json::json;
use voxcue::commands::CommandSet;
use voxcue::engine::recognize_clip;
use voxcue::recognizer::Recognizer;
use voxcue::wav::read_wav;

use super::{load_commands, percentile, EngineArgs};

/// One manifest line.
#[derive(Deserialize, Debug)]
pub(super) struct Entry {
    pub(super) wav: PathBuf,
    pub(super) command: Option<String>,
    #[serde(default)]
    pub(super) condition: Option<String>,
    /// Command file relative to the manifest, overriding `--commands`.
    #[serde(default)]
    commands: Option<PathBuf>,
}

#[derive(Default)]
struct Tally {
    commands: usize,
    correct: usize,
    wrong: usize,
    negatives: usize,
    false_accepts: usize,
}

pub fn run(args: &EngineArgs, manifest: &Path, json_out: bool, every: usize) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let base = manifest.parent().unwrap_or(Path::new("."));
    let entries = parse_manifest(&text)?;
    let default_set = args.command_set()?;
    let mut sets: HashMap<PathBuf, (Arc<CommandSet>, Box<dyn Recognizer>)> = HashMap::new();
    let mut by_condition: BTreeMap<String, Tally> = BTreeMap::new();
    let mut confusions: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut latencies = Vec::new();
    let mut unreadable = 0;
    let chosen: Vec<&Entry> = entries.iter().step_by(every.max(1)).collect();
    for (i, entry) in chosen.iter().enumerate() {
        progress(i, chosen.len());
        let key = entry.commands.clone().map(|p| base.join(p)).unwrap_or_default();
        if !sets.contains_key(&key) {
            let set = if key.as_os_str().is_empty() { Arc::clone(&default_set) } else { load_commands(Some(&key))? };
            let recognizer = args.recognizer(&set)?;
            sets.insert(key.clone(), (set, recognizer));
        }
        let (set, recognizer) = sets.get_mut(&key).expect("inserted above");
        let path = base.join(&entry.wav);
        let audio = match read_wav(&path) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("\nvoxcue: {e}");
                unreadable += 1;
                continue;
            }
        };
        let started = Instant::now();
        let outcome = recognize_clip(recognizer.as_mut(), &audio.to_mono(), audio.sample_rate)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        latencies.push(started.elapsed().as_secs_f32() * 1000.0);
        let got = outcome.decide(args.threshold).map(|c| set.commands()[c.command].id.clone());
        let tally = by_condition.entry(entry.condition.clone().unwrap_or_else(|| "all".into())).or_default();
        match (&entry.command, &got) {
            (Some(want), Some(g)) if want == g => {
                tally.commands += 1;
                tally.correct += 1;
            }
            (Some(want), g) => {
                tally.commands += 1;
                if g.is_some() {
                    tally.wrong += 1;
                }
                let g = g.clone().unwrap_or_else(|| "(none)".into());
                *confusions.entry((want.clone(), g)).or_default() += 1;
            }
            (None, Some(g)) => {
                tally.negatives += 1;
                tally.false_accepts += 1;
                *confusions.entry(("(none)".into(), g.clone())).or_default() += 1;
            }
            (None, None) => tally.negatives += 1,
        }
    }
    progress(chosen.len(), chosen.len());
    eprintln!();
    latencies.sort_by(f32::total_cmp);
    print_table(args, &by_condition, &confusions, &latencies, unreadable);
    if json_out {
        println!("{}", summary_json(&by_condition, &confusions, &latencies));
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn parse_manifest(text: &str) -> Result<Vec<Entry>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("manifest line {}: {e}", i + 1)))
        .collect()
}

fn totals(by_condition: &BTreeMap<String, Tally>) -> Tally {
    by_condition.values().fold(Tally::default(), |mut t, c| {
        t.commands += c.commands;
        t.correct += c.correct;
        t.wrong += c.wrong;
        t.negatives += c.negatives;
        t.false_accepts += c.false_accepts;
        t
    })
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn print_table(
    args: &EngineArgs,
    by_condition: &BTreeMap<String, Tally>,
    confusions: &BTreeMap<(String, String), usize>,
    latencies: &[f32],
    unreadable: usize,
) {
    println!("recognizer {}  threshold {:.2}", args.recognizer, args.threshold);
    println!("{:<12} {:>6} {:>9} {:>7} {:>10} {:>12}", "condition", "clips", "accuracy", "wrong", "negatives", "false fires");
    let mut rows: Vec<(String, &Tally)> = by_condition.iter().map(|(k, v)| (k.clone(), v)).collect();
    let all = totals(by_condition);
    rows.push(("all".into(), &all));
    for (name, t) in rows {
        println!(
            "{:<12} {:>6} {:>8.1}% {:>7} {:>10} {:>11.1}%",
            name,
            t.commands,
            100.0 * ratio(t.correct, t.commands),
            t.wrong,
            t.negatives,
            100.0 * ratio(t.false_accepts, t.negatives)
        );
    }
    println!(
        "latency per clip: p50 {:.1} ms, p95 {:.1} ms{}",
        percentile(latencies, 50.0),
        percentile(latencies, 95.0),
        if unreadable > 0 { format!("; {unreadable} unreadable clips skipped") } else { String::new() }
    );
    let mut top: Vec<_> = confusions.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    if !top.is_empty() {
        println!("top confusions (expected -> got):");
        for ((want, got), n) in top.iter().take(10) {
            println!("  {want} -> {got}: {n}");
        }
    }
}

fn summary_json(
    by_condition: &BTreeMap<String, Tally>,
    confusions: &BTreeMap<(String, String), usize>,
    latencies: &[f32],
) -> serde_json::Value {
    let all = totals(by_condition);
    let conditions: serde_json::Map<String, serde_json::Value> = by_condition
        .iter()
        .map(|(k, t)| {
            let v = json!({
                "n": t.commands,
                "accuracy": ratio(t.correct, t.commands),
                "wrong": t.wrong,
                "negatives": t.negatives,
                "false_accept_rate": ratio(t.false_accepts, t.negatives),
            });
            (k.clone(), v)
        })
        .collect();
    let mut top: Vec<_> = confusions.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    json!({
        "clips": all.commands + all.negatives,
        "accuracy": ratio(all.correct, all.commands),
        "false_accept_rate": ratio(all.false_accepts, all.negatives),
        "by_condition": conditions,
        "latency_ms": {"p50": percentile(latencies, 50.0), "p95": percentile(latencies, 95.0)},
        "confusions": top.iter().map(|((w, g), n)| json!([w, g, n])).collect::<Vec<_>>(),
    })
}

pub(super) fn progress(done: usize, total: usize) {
    if total < 20 {
        return;
    }
    let width = 30;
    let filled = done * width / total.max(1);
    eprint!("\r[{}{}] {done}/{total}", "#".repeat(filled), " ".repeat(width - filled));
    let _ = std::io::stderr().flush();
}
