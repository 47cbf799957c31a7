//! The ASR recognizer: CTC acoustic model -> every command phrase scored against the audio
//! (CTC forward likelihood) -> calibrated decision; plus a greedy transcript for display.
//!
//! Owned by the engine thread. The acoustic model and lexicon are shared by `Arc`; the phrase
//! table is rebuilt by `prepare` when the command set changes. Large command sets (more than
//! [`Pruning::DEFAULT`]`.above` spelled phrases) are first shortlisted by the edit distance
//! between the greedy transcript and each phrase's spelling, and only the shortlist gets the
//! exact (and ~1000x dearer) CTC score; smaller sets are always scored in full, so their results
//! do not depend on the shortlist. Scratch buffers live in the recognizer: after the first
//! utterance of a given length, scoring allocates only the ranked output.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;

use crate::commands::CommandSet;
use crate::ctc_model::{Contract, CtcModel};
use crate::models;
use crate::onnx::ModelError;
use crate::recognizer::ctc::{self, Label, LogProbs};
use crate::recognizer::embedding::TextEmbedder;
use crate::recognizer::index::{Embedding, PhraseIndex};
use crate::recognizer::phonetic::Vocabulary;
use crate::recognizer::lexicon::Lexicon;
use crate::recognizer::{normalize_words, word_runs, Candidate, Recognition, Recognizer, RecognizerError};

/// Calibration of the score -> confidence mapping, per acoustic model (`calibration.json` beside
/// the model overrides the defaults).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(default)]
pub struct Calibration {
    /// Bonus per phrase token: CTC models are blank-heavy, and without it short phrases win.
    pub token_bonus: f32,
    /// Per-frame log-likelihood ratio (best phrase vs free decoding) at confidence 0.5.
    pub llr_center: f32,
    /// Width of the LLR sigmoid.
    pub llr_width: f32,
    /// Score margin to the runner-up command at confidence 0.5.
    pub margin_center: f32,
    /// Width of the margin sigmoid.
    pub margin_width: f32,
    /// Log-likelihood by which the best phrase must beat its own best leading or trailing word
    /// run (no token bonus) at confidence 0.5: below it, the audio is a command cut short.
    pub partial_center: f32,
    /// Width of the partial-command sigmoid.
    pub partial_width: f32,
    /// Weight (in log-likelihood units) of the transcript's embedding similarity to each command;
    /// 0 turns the text-retrieval stage off (phoneme models have no words to embed).
    pub embedding_weight: f32,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            token_bonus: 3.0,
            llr_center: 0.10,
            llr_width: 0.04,
            margin_center: 0.25,
            margin_width: 0.5,
            partial_center: 2.0,
            partial_width: 1.0,
            embedding_weight: 0.0,
        }
    }
}

/// One spelled phrase variant.
struct PhraseModel {
    /// Index into the command set.
    command: usize,
    /// The spelling the exact CTC score uses (word boundaries optional).
    labels: Vec<Label>,
    /// The spelling the shortlist compares with the greedy transcript ([`pruning_key`]).
    key: Vec<usize>,
    /// Its leading and trailing word runs that are no phrase of the set ("play deck" of "play
    /// deck a"), as indices into [`PhraseTable::partials`].
    partials: Vec<usize>,
}

/// A word run cut from a phrase: audio it explains as well as a whole phrase is a command cut
/// short, which must not fire.
struct PartialModel {
    labels: Vec<Label>,
    key: Vec<usize>,
}

/// When and how far large command sets are shortlisted before the exact CTC score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pruning {
    /// Shortlist only when the set has more spelled phrases than this.
    pub above: usize,
    /// Phrases kept for the exact score.
    pub keep: usize,
}

impl Pruning {
    /// 256 / 128: the 42-command default set (50 phrases) is never pruned, and 128 exact scores
    /// cost ~9 ms on a 2 s utterance.
    pub const DEFAULT: Pruning = Pruning { above: 256, keep: 128 };
}

/// The command set spelled in the model's tokens, with the shortlist stage for large sets.
struct PhraseTable {
    /// Every spelled variant of every phrase, in command-file order.
    phrases: Vec<PhraseModel>,
    /// Every distinct word run of the phrases ([`PhraseModel::partials`]).
    partials: Vec<PartialModel>,
    /// Partials to compare with the best phrase for the current utterance (scratch).
    rivals: Vec<usize>,
    /// `None` scores every phrase exactly whatever the set size.
    pruning: Option<Pruning>,
    /// Indices into `phrases` to score for the current utterance (scratch).
    shortlist: Vec<usize>,
    /// (distance, phrase index) per phrase (scratch).
    distances: Vec<(u32, usize)>,
    /// One row of the edit-distance table (scratch).
    row: Vec<u32>,
}

impl PhraseTable {
    fn new(pruning: Option<Pruning>) -> Self {
        PhraseTable {
            phrases: Vec::new(),
            partials: Vec::new(),
            rivals: Vec::new(),
            pruning,
            shortlist: Vec::new(),
            distances: Vec::new(),
            row: Vec::new(),
        }
    }

    /// Spells every phrase of `commands`.
    fn rebuild(&mut self, lexicon: &Lexicon, commands: &CommandSet, boundary: Option<usize>) {
        self.phrases.clear();
        self.partials.clear();
        let known: HashSet<String> = commands.phrases().map(|(_, p)| normalize_words(p)).collect();
        let mut partial_ids: HashMap<String, usize> = HashMap::new();
        for (command, phrase) in commands.phrases() {
            let mut partials = Vec::new();
            for run in word_runs(phrase).into_iter().filter(|run| !known.contains(run)) {
                if let Some(&id) = partial_ids.get(&run) {
                    partials.push(id);
                } else if let Some(labels) = lexicon.spell(&run).into_iter().next() {
                    let key = pruning_key(labels.iter().map(|l| l.token), boundary);
                    partial_ids.insert(run, self.partials.len());
                    partials.push(self.partials.len());
                    self.partials.push(PartialModel { labels, key });
                }
            }
            for labels in lexicon.spell(phrase) {
                let key = pruning_key(labels.iter().map(|l| l.token), boundary);
                self.phrases.push(PhraseModel { command, labels, key, partials: partials.clone() });
            }
        }
    }

    /// Fills `self.rivals` with the partials to compare with `phrase`: its own word runs and the
    /// [`NEAREST_PARTIALS`] runs of any phrase nearest (edit distance) to `heard`.
    fn select_rivals(&mut self, phrase: usize, heard: &[usize]) {
        self.rivals.clear();
        if let Some(p) = self.phrases.get(phrase) {
            self.rivals.extend_from_slice(&p.partials);
        }
        self.distances.clear();
        for (i, partial) in self.partials.iter().enumerate() {
            self.distances.push((edit_distance(heard, &partial.key, &mut self.row), i));
        }
        let keep = NEAREST_PARTIALS.min(self.distances.len());
        if keep > 0 && keep < self.distances.len() {
            self.distances.select_nth_unstable(keep - 1);
        }
        self.rivals.extend(self.distances.iter().take(keep).map(|&(_, i)| i));
        self.rivals.sort_unstable();
        self.rivals.dedup();
    }

    /// Fills `self.shortlist` with the phrases to score exactly: all of them for a set of at most
    /// `pruning.above` phrases, else the `pruning.keep` whose keys are nearest (edit distance,
    /// ties by file order) to `heard`, the pruning key of the greedy transcript.
    fn select(&mut self, heard: &[usize]) {
        self.shortlist.clear();
        let keep = match self.pruning {
            Some(p) if self.phrases.len() > p.above => p.keep.max(1),
            _ => {
                self.shortlist.extend(0..self.phrases.len());
                return;
            }
        };
        self.distances.clear();
        for (i, phrase) in self.phrases.iter().enumerate() {
            self.distances.push((edit_distance(heard, &phrase.key, &mut self.row), i));
        }
        if keep < self.distances.len() {
            self.distances.select_nth_unstable(keep - 1);
            self.distances.truncate(keep);
        }
        self.shortlist.extend(self.distances.iter().map(|&(_, i)| i));
        // File order, so that equal exact scores resolve as they do without pruning.
        self.shortlist.sort_unstable();
    }
}

/// Word runs nearest to the greedy transcript that compete with the best phrase, besides the
/// phrase's own ([`AsrRecognizer::whole_vs_partial`]).
const NEAREST_PARTIALS: usize = 6;

/// What the shortlist compares: tokens without word boundaries, runs of one token merged (greedy
/// CTC decoding cannot tell "LOOP" from "LOP" without a blank between the Os).
fn pruning_key(tokens: impl Iterator<Item = usize>, boundary: Option<usize>) -> Vec<usize> {
    let mut key: Vec<usize> = tokens.filter(|&t| Some(t) != boundary).collect();
    key.dedup();
    key
}

/// Levenshtein distance between two token strings; `row` is reused scratch.
fn edit_distance(a: &[usize], b: &[usize], row: &mut Vec<u32>) -> u32 {
    row.clear();
    row.extend(0..=b.len() as u32);
    for (i, &ta) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i as u32 + 1;
        for (j, &tb) in b.iter().enumerate() {
            let substitute = diagonal + u32::from(ta != tb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(diagonal + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// Where the acoustic model comes from.
#[derive(Clone, Debug)]
pub struct AcousticSource {
    pub model: PathBuf,
    pub tokens: PathBuf,
    pub label: String,
}

/// Finds the acoustic model: `$VOXCUE_ACOUSTIC_MODEL` (an ONNX file with `vocab.json`,
/// `tokenizer.json` or a `tokens.json` list beside it), a user's wav2vec2 export in `models/wav2vec2/`, the project's
/// trained `models/voxcue_ctc/`, or the hama phoneme model.
pub fn find_acoustic_model() -> AcousticSource {
    let with_vocab = |model: PathBuf, label: &str| {
        let dir = model.parent().map(Path::to_path_buf).unwrap_or_default();
        let tokens = ["vocab.json", "tokenizer.json", "tokens.json"].iter().map(|f| dir.join(f)).find(|p| p.is_file()).unwrap_or_else(|| dir.join("vocab.json"));
        AcousticSource { model, tokens, label: label.to_string() }
    };
    if let Some(p) = std::env::var_os("VOXCUE_ACOUSTIC_MODEL") {
        return with_vocab(PathBuf::from(p), "custom CTC model");
    }
    for (rel, label) in [("wav2vec2/model.onnx", "wav2vec2 CTC"), ("voxcue_ctc/model.onnx", "Voxcue CTC (Whisper tiny.en encoder)")] {
        let p = models::locate(rel);
        if p.is_file() {
            return with_vocab(p, label);
        }
    }
    AcousticSource {
        model: models::locate("hama/asr_waveform_fp16.onnx"),
        tokens: models::locate("hama/tokens.json"),
        label: "hama phoneme CTC".into(),
    }
}

/// The recognizer.
pub struct AsrRecognizer {
    model: Arc<CtcModel>,
    lexicon: Arc<Lexicon>,
    calibration: Calibration,
    /// The spelled command set and its shortlist stage.
    table: PhraseTable,
    commands: usize,
    label: String,
    scratch: Vec<f32>,
    best_per_command: Vec<f32>,
    /// The phrase that gave each command its score (scratch).
    best_phrase: Vec<usize>,
    /// Pruning key of the greedy transcript of the current utterance.
    heard_key: Vec<usize>,
    /// Text retrieval stage (character models only): embedder, phrase index, command vocabulary.
    retrieval: Option<Retrieval>,
    /// Similarity of the current transcript to each command (scratch).
    similarity: Vec<f32>,
}

/// Transcript -> phonetic normalization -> embedding -> nearest phrases.
struct Retrieval {
    embedder: Arc<TextEmbedder>,
    index: PhraseIndex<usize>,
    vocabulary: Vocabulary,
}

impl AsrRecognizer {
    /// Loads the default acoustic model and lexicon.
    pub fn load() -> Result<Self, RecognizerError> {
        Self::load_from(&find_acoustic_model())
    }

    /// Loads a specific acoustic model.
    pub fn load_from(source: &AcousticSource) -> Result<Self, RecognizerError> {
        let model = CtcModel::shared(&source.model, &source.tokens)?;
        let lexicon = models::shared(&format!("lexicon:{}", source.model.display()), || build_lexicon(&model))?;
        let calibration = read_calibration(&source.model)?;
        let retrieval_wanted = calibration.embedding_weight > 0.0 && matches!(*lexicon, Lexicon::Characters { .. });
        let embedder = if retrieval_wanted { Some(TextEmbedder::shared_default()?) } else { None };
        Ok(AsrRecognizer {
            retrieval: embedder.map(|embedder| Retrieval { embedder, index: PhraseIndex::build(Vec::new()), vocabulary: Vocabulary::default() }),
            similarity: Vec::new(),
            model,
            lexicon,
            calibration,
            table: PhraseTable::new(Some(Pruning::DEFAULT)),
            commands: 0,
            label: source.label.clone(),
            scratch: Vec::new(),
            best_per_command: Vec::new(),
            best_phrase: Vec::new(),
            heard_key: Vec::new(),
        })
    }

    /// Sets when large command sets are shortlisted (`None`: always score every phrase exactly,
    /// for measurements). Applies from the next utterance.
    pub fn set_pruning(&mut self, pruning: Option<Pruning>) {
        self.table.pruning = pruning;
    }

    /// Ranks commands on precomputed log-probabilities, scoring the phrases of the current
    /// shortlist ([`PhraseTable::select`]).
    fn rank(&mut self, lp: LogProbs) -> Vec<Candidate> {
        let frames = lp.frames().max(1) as f32;
        let free = ctc::best_path_score(lp);
        self.best_per_command.clear();
        self.best_per_command.resize(self.commands, f32::NEG_INFINITY);
        self.best_phrase.clear();
        self.best_phrase.resize(self.commands, usize::MAX);
        for &index in &self.table.shortlist {
            let phrase = &self.table.phrases[index];
            let score = ctc::forward_score(lp, self.model.blank, &phrase.labels, &mut self.scratch)
                + self.calibration.token_bonus * phrase.labels.iter().filter(|l| !l.optional).count() as f32;
            if score > self.best_per_command[phrase.command] {
                self.best_per_command[phrase.command] = score;
                self.best_phrase[phrase.command] = index;
            }
        }
        if self.similarity.len() == self.commands {
            for (best, sim) in self.best_per_command.iter_mut().zip(&self.similarity) {
                *best += self.calibration.embedding_weight * sim;
            }
        }
        let mut order: Vec<usize> = (0..self.commands).filter(|&c| self.best_per_command[c].is_finite()).collect();
        order.sort_by(|&a, &b| self.best_per_command[b].total_cmp(&self.best_per_command[a]));
        let top = order.first().map_or(f32::NEG_INFINITY, |&c| self.best_per_command[c]);
        let second = order.get(1).map_or(top - 100.0, |&c| self.best_per_command[c]);
        let cal = self.calibration;
        let whole_vs_partial = self.whole_vs_partial(lp, &order);
        order
            .iter()
            .enumerate()
            .map(|(rank, &command)| {
                let score = self.best_per_command[command];
                let llr = (score - free) / frames;
                let margin = if rank == 0 { score - second } else { score - top };
                let mut confidence = sigmoid((llr - cal.llr_center) / cal.llr_width).min(sigmoid((margin - cal.margin_center) / cal.margin_width));
                if rank == 0 {
                    confidence = confidence.min(sigmoid((whole_vs_partial - cal.partial_center) / cal.partial_width));
                }
                Candidate { command, confidence, score }
            })
            .collect()
    }

    /// How much better the best command's phrase explains the audio than the best rival word
    /// run ([`PhraseTable::select_rivals`]), in raw CTC log-likelihood: "one deck a", cut from
    /// "hot cue one deck a", must not fire "pause deck a". Infinite when nothing competes.
    fn whole_vs_partial(&mut self, lp: LogProbs, order: &[usize]) -> f32 {
        let Some(&best) = order.first() else { return f32::INFINITY };
        let phrase = self.best_phrase[best];
        let Some(top) = self.table.phrases.get(phrase) else { return f32::INFINITY };
        let whole = ctc::forward_score(lp, self.model.blank, &top.labels, &mut self.scratch);
        self.table.select_rivals(phrase, &self.heard_key);
        let mut best_partial = f32::NEG_INFINITY;
        for &rival in &self.table.rivals {
            let labels = &self.table.partials[rival].labels;
            best_partial = best_partial.max(ctc::forward_score(lp, self.model.blank, labels, &mut self.scratch));
        }
        whole - best_partial
    }

    /// The greedy transcript as text, from its token ids.
    fn transcript(&self, ids: &[usize]) -> String {
        let mut text = String::new();
        for &id in ids {
            let token = &self.model.tokens[id];
            if Some(id) == self.model.word_boundary {
                text.push(' ');
            } else if !token.starts_with('<') {
                text.push_str(token);
                if matches!(*self.lexicon, Lexicon::Phonemes { .. }) {
                    text.push('.');
                }
            }
        }
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        text.to_lowercase()
    }
}

impl AsrRecognizer {
    /// Fills `self.similarity` with each command's best phrase similarity to the normalized
    /// transcript. Returns (embedding ms, search ms).
    fn retrieve(&mut self, transcript: &str) -> Result<(f32, f32), RecognizerError> {
        self.similarity.clear();
        let Some(retrieval) = self.retrieval.as_ref() else { return Ok((0.0, 0.0)) };
        self.similarity.resize(self.commands, 0.0);
        if transcript.trim().is_empty() {
            return Ok((0.0, 0.0));
        }
        let t0 = Instant::now();
        let query = Embedding(retrieval.embedder.embed(&retrieval.vocabulary.normalize(transcript))?);
        let t1 = Instant::now();
        for hit in retrieval.index.search(&query, 16) {
            let slot = &mut self.similarity[hit.value];
            *slot = slot.max(hit.similarity);
        }
        let t2 = Instant::now();
        Ok(((t1 - t0).as_secs_f32() * 1000.0, (t2 - t1).as_secs_f32() * 1000.0))
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn build_lexicon(model: &CtcModel) -> Result<Lexicon, ModelError> {
    match model.contract {
        Contract::Waveform => Lexicon::phonemes(
            &model.tokens,
            model.word_boundary,
            &models::locate("upstream/cmudict-en-us.dict"),
            &models::locate("hama/arpabet_to_hama.json"),
        ),
        Contract::Wav2Vec2 => Ok(Lexicon::characters(&model.tokens, model.word_boundary)),
    }
}

fn read_calibration(model: &Path) -> Result<Calibration, RecognizerError> {
    let path = model.with_file_name("calibration.json");
    if !path.is_file() {
        return Ok(Calibration::default());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ModelError::ModelBroken { path: path.clone(), reason: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| ModelError::ModelBroken { path, reason: e.to_string() }.into())
}

impl Recognizer for AsrRecognizer {
    fn name(&self) -> &'static str {
        "asr"
    }

    fn describe_models(&self) -> Vec<String> {
        vec![format!("{} ({})", self.label, self.model.path.display())]
    }

    fn prepare(&mut self, commands: &Arc<CommandSet>) -> Result<(), RecognizerError> {
        self.table.rebuild(&self.lexicon, commands, self.model.word_boundary);
        self.commands = commands.len();
        if let Some(retrieval) = self.retrieval.as_mut() {
            let mut entries = Vec::new();
            for (command, phrase) in commands.phrases() {
                entries.push((Embedding(retrieval.embedder.embed(phrase)?), command));
            }
            retrieval.index = PhraseIndex::build(entries);
            retrieval.vocabulary = Vocabulary::from_phrases(commands.phrases().map(|(_, p)| p));
        }
        Ok(())
    }

    fn recognize(&mut self, utterance: &[f32]) -> Result<Recognition, RecognizerError> {
        let t0 = Instant::now();
        let frames = self.model.run(utterance)?;
        let t1 = Instant::now();
        let lp = LogProbs::new(&frames.log_probs, frames.vocab);
        let heard = ctc::greedy_decode(lp, self.model.blank);
        let transcript = self.transcript(&heard);
        let (embedding_ms, retrieval_search_ms) = self.retrieve(&transcript)?;
        let t2 = Instant::now();
        self.heard_key = pruning_key(heard.iter().copied(), self.model.word_boundary);
        self.table.select(&self.heard_key);
        let t3 = Instant::now();
        let ranked = self.rank(lp);
        let t4 = Instant::now();
        let mut outcome = Recognition { ranked, transcript: Some(transcript), ..Recognition::default() };
        outcome.stages.acoustic_ms = (t1 - t0).as_secs_f32() * 1000.0;
        outcome.stages.embedding_ms = embedding_ms;
        outcome.stages.search_ms = retrieval_search_ms + (t3 - t2).as_secs_f32() * 1000.0;
        outcome.stages.scoring_ms = (t4 - t3).as_secs_f32() * 1000.0;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{ActionKind, Command, MidiAction};

    const BLANK: usize = 0;
    const BOUNDARY: usize = 1;

    fn vocabulary() -> Vec<String> {
        let mut tokens = vec!["<pad>".to_string(), "|".to_string()];
        tokens.extend(('A'..='Z').map(|c| c.to_string()));
        tokens
    }

    /// The 42-command default set plus "<verb> <object> <deck>" distractors up to `total` phrases.
    fn large_set(total: usize) -> CommandSet {
        let mut commands = CommandSet::default_dj().commands().to_vec();
        let verbs = ["play", "stop", "cue", "sync", "loop", "load", "mute", "reset", "boost", "cut", "kill", "nudge"];
        let objects = ["track", "bass", "echo", "filter", "loop", "tempo", "gain", "vocal", "drums", "sample", "beat"];
        let decks = ["deck a", "deck b", "deck c", "deck d", "left", "right", "deck one", "deck two"];
        let taken: Vec<String> = commands.iter().flat_map(|c| c.phrases.clone()).collect();
        let action = MidiAction { kind: ActionKind::Note, channel: 0, number: 0, value: 127 };
        let mut n = taken.len();
        'fill: for verb in verbs {
            for object in objects {
                for deck in decks {
                    let phrase = format!("{verb} {object} {deck}");
                    if n >= total {
                        break 'fill;
                    }
                    if !taken.contains(&phrase) {
                        commands.push(Command { id: format!("x{n}"), phrases: vec![phrase], action });
                        n += 1;
                    }
                }
            }
        }
        CommandSet::new(commands).expect("valid synthetic set")
    }

    fn table(set: &CommandSet, pruning: Option<Pruning>) -> PhraseTable {
        let lexicon = Lexicon::characters(&vocabulary(), Some(BOUNDARY));
        let mut table = PhraseTable::new(pruning);
        table.rebuild(&lexicon, set, Some(BOUNDARY));
        table
    }

    /// Token ids of `text` in [`vocabulary`] (spaces are word boundaries).
    fn ids(text: &str) -> Vec<usize> {
        let vocab = vocabulary();
        text.chars()
            .map(|c| if c == ' ' { BOUNDARY } else { vocab.iter().position(|t| *t == c.to_string()).unwrap() })
            .collect()
    }

    /// Log-probabilities where each frame puts 0.8 on one token (`None`: blank).
    fn frames_for(tokens: &[usize]) -> Vec<f32> {
        let vocab = vocabulary().len();
        let other = (0.2f32 / (vocab - 1) as f32).ln();
        let mut seq = vec![BLANK, BLANK];
        for &t in tokens {
            seq.extend([t, t, BLANK]);
        }
        seq.push(BLANK);
        seq.iter().flat_map(|&k| (0..vocab).map(move |v| if v == k { 0.8f32.ln() } else { other })).collect()
    }

    fn phrase_index(table: &PhraseTable, set: &CommandSet, id: &str) -> usize {
        let command = set.index_of(id).unwrap();
        table.phrases.iter().position(|p| p.command == command).unwrap()
    }

    #[test]
    fn edit_distance_counts_edits() {
        let mut row = Vec::new();
        assert_eq!(edit_distance(&[1, 2, 3], &[1, 2, 3], &mut row), 0);
        assert_eq!(edit_distance(&[1, 3], &[1, 2, 3], &mut row), 1);
        assert_eq!(edit_distance(&[1, 9, 3], &[1, 2, 3], &mut row), 1);
        assert_eq!(edit_distance(&[], &[1, 2], &mut row), 2);
        assert_eq!(edit_distance(&[4, 5], &[], &mut row), 2);
    }

    #[test]
    fn small_sets_are_scored_in_full() {
        let set = CommandSet::default_dj();
        let mut table = table(&set, Some(Pruning::DEFAULT));
        assert!(table.phrases.len() <= Pruning::DEFAULT.above);
        table.select(&[]);
        assert_eq!(table.shortlist, (0..table.phrases.len()).collect::<Vec<_>>());
    }

    #[test]
    fn pruning_keeps_the_true_phrase_among_near_distractors() {
        let set = large_set(1000);
        let mut table = table(&set, Some(Pruning::DEFAULT));
        assert!(table.phrases.len() > Pruning::DEFAULT.above);
        // "loop eight deck b" heard with a dropped letter, a wrong letter and no word boundaries.
        let heard = pruning_key(ids("LOP EIGT DEC B").into_iter(), Some(BOUNDARY));
        table.select(&heard);
        assert_eq!(table.shortlist.len(), Pruning::DEFAULT.keep);
        assert!(table.shortlist.contains(&phrase_index(&table, &set, "loop8_b")));
    }

    #[test]
    fn pruned_scoring_finds_the_spoken_phrase() {
        let set = large_set(1000);
        let mut pruned = table(&set, Some(Pruning::DEFAULT));
        let mut full = table(&set, None);
        // The acoustics say "TEMPO UP DECK A" with the P misheard as B.
        let data = frames_for(&ids("TEMBO UP DECK A"));
        let lp = LogProbs::new(&data, vocabulary().len());
        let heard = pruning_key(ctc::greedy_decode(lp, BLANK).into_iter(), Some(BOUNDARY));
        let mut scratch = Vec::new();
        let mut best = |table: &mut PhraseTable| {
            table.select(&heard);
            let scored = table.shortlist.iter().map(|&i| (ctc::forward_score(lp, BLANK, &table.phrases[i].labels, &mut scratch), i));
            let (_, winner) = scored.max_by(|a, b| a.0.total_cmp(&b.0)).unwrap();
            table.phrases[winner].command
        };
        let want = set.index_of("tempo_up_a").unwrap();
        assert_eq!(best(&mut full), want);
        assert_eq!(best(&mut pruned), want);
        assert!(pruned.shortlist.len() < full.shortlist.len());
    }

    #[test]
    fn word_runs_are_the_leading_and_trailing_pieces() {
        assert_eq!(word_runs("Play  deck A"), vec!["play", "deck a", "play deck", "a"]);
        assert!(word_runs("effects").is_empty());
    }

    #[test]
    fn a_command_cut_short_explains_its_audio_better_than_any_whole_phrase() {
        let set = CommandSet::default_dj();
        let mut table = table(&set, None);
        // "one deck a", cut from "hot cue one deck a", sounds close to "pause deck a".
        let data = frames_for(&ids("ONE DECK A"));
        let lp = LogProbs::new(&data, vocabulary().len());
        let heard = pruning_key(ctc::greedy_decode(lp, BLANK).into_iter(), Some(BOUNDARY));
        let pause = phrase_index(&table, &set, "pause_a");
        table.select_rivals(pause, &heard);
        let mut scratch = Vec::new();
        let mut score = |labels: &[Label]| ctc::forward_score(lp, BLANK, labels, &mut scratch);
        let best_rival = table.rivals.iter().map(|&r| score(&table.partials[r].labels)).fold(f32::NEG_INFINITY, f32::max);
        let best_whole = table.phrases.iter().map(|p| score(&p.labels)).fold(f32::NEG_INFINITY, f32::max);
        assert!(best_rival > best_whole, "rival {best_rival} vs whole {best_whole}");
    }

    #[test]
    fn a_whole_command_beats_its_pieces() {
        let set = CommandSet::default_dj();
        let mut table = table(&set, None);
        let data = frames_for(&ids("HOT CUE ONE DECK A"));
        let lp = LogProbs::new(&data, vocabulary().len());
        let heard = pruning_key(ctc::greedy_decode(lp, BLANK).into_iter(), Some(BOUNDARY));
        let hot_cue = phrase_index(&table, &set, "hot_cue_1_a");
        table.select_rivals(hot_cue, &heard);
        assert!(!table.rivals.is_empty());
        let mut scratch = Vec::new();
        let whole = ctc::forward_score(lp, BLANK, &table.phrases[hot_cue].labels, &mut scratch);
        for &r in &table.rivals {
            let piece = ctc::forward_score(lp, BLANK, &table.partials[r].labels, &mut scratch);
            assert!(whole - piece > 6.0, "whole {whole} vs piece {piece}");
        }
    }
}
