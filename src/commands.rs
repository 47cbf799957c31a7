//! The command database: which spoken phrases trigger which MIDI message.
//!
//! Threads: files are parsed and validated on the GUI / background thread
//! (editor, file watcher, CLI). The audio thread never parses anything; it
//! only receives `Arc<CommandSet>` snapshots or `Copy` [`MidiAction`]s inside
//! messages, so nothing here allocates on or blocks the audio thread.
//!
//! Guarantees:
//! - A [`CommandSet`] can only be built through validation ([`CommandSet::parse`],
//!   [`CommandSet::new`], ...), so every set that exists has at least one
//!   command, unique non-empty ids, at least one phrase per command, phrases
//!   that are normalized, non-empty and unique across the whole set, and MIDI
//!   values in range (channel 0..=15 internally, number/value 0..=127).
//! - Every validation error names the 1-based line of the problem (except
//!   "no commands", which has no line) in words a DJ understands.
//! - [`CommandLibrary`] keeps the last good set: a bad file never replaces it.
//!
//! File format (TOML):
//! ```toml
//! [[command]]
//! id = "play_a"                                # stable id
//! phrases = ["play deck a", "play left"]       # one or more spoken forms
//! action = { kind = "note", channel = 1, number = 36, value = 127 }   # kind: note | cc | program
//! ```

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use toml::Spanned;

/// The built-in DJ command set, embedded so the plugin works with no files on disk.
const DEFAULT_COMMANDS_TOML: &str = include_str!("default_commands.toml");

/// The action kinds a file may use, as written in error messages.
const ALLOWED_KINDS: &str = "note, cc, program";
/// Keys allowed at the top level of a command file.
const TOP_LEVEL_KEYS: &str = "command";
/// Keys allowed inside a `[[command]]` section.
const COMMAND_KEYS: &str = "id, phrases, action";
/// Keys allowed inside an `action = { ... }` table.
const ACTION_KEYS: &str = "kind, channel, number, value";

/// What kind of MIDI message a command sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Note-on with velocity `value` (most DJ software maps buttons to notes).
    Note,
    /// Control change `number` set to `value` (knobs, toggles).
    Cc,
    /// Program change to `number` (`value` is ignored by receivers).
    Program,
}

impl ActionKind {
    /// Every kind, in the order they are documented.
    pub const ALL: [ActionKind; 3] = [ActionKind::Note, ActionKind::Cc, ActionKind::Program];

    /// The name used in command files (`"note"`, `"cc"`, `"program"`).
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Note => "note",
            ActionKind::Cc => "cc",
            ActionKind::Program => "program",
        }
    }

    /// Parses a file name of a kind; exact lowercase match, as written by [`ActionKind::name`].
    pub fn from_name(name: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Copy so it can travel to the audio thread inside a message. channel is 0-based internally (0..=15), 1-based in files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MidiAction {
    /// Which MIDI message to send.
    pub kind: ActionKind,
    /// MIDI channel, 0-based (0..=15) so it can be OR-ed into the status byte; files say 1-16.
    pub channel: u8,
    /// Note number, CC number or program number (0..=127).
    pub number: u8,
    /// Note velocity or CC value (0..=127); unused for program changes.
    pub value: u8,
}

/// One voice command: any of its phrases triggers its action.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// Stable identifier so settings, logs and MIDI-learn survive phrase edits.
    pub id: String,
    /// Spoken forms, stored normalized (see [`normalize_phrase`]) so matching is a plain comparison.
    pub phrases: Vec<String>,
    /// What to send when one of the phrases is recognized.
    pub action: MidiAction,
}

/// A validated, immutable set of commands (see the module docs for the guarantees).
#[derive(Clone, Debug, PartialEq)]
pub struct CommandSet {
    /// In file order; indices are what [`CommandSet::phrases`] and [`CommandSet::index_of`] return.
    commands: Vec<Command>,
}

/// Why a command file (or an edited command list) was rejected.
///
/// `Clone` so the editor state can keep the last error around; io errors are
/// shared through an `Arc` for that reason.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CommandFileError {
    /// The text is not valid TOML (or a value has the wrong type); position as reported by toml.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// toml's own description.
        message: String,
    },
    /// The bytes are not UTF-8 (e.g. saved as Latin-1 by an old editor).
    #[error("line {line}: the file is not UTF-8 text (invalid byte at offset {offset}); save it as UTF-8")]
    NotUtf8 {
        /// 1-based line containing the first invalid byte.
        line: usize,
        /// 0-based byte offset of the first invalid byte.
        offset: usize,
    },
    /// The file parsed but defines no `[[command]]` at all.
    #[error("the file has no commands; add at least one [[command]] section")]
    NoCommands,
    /// A key the format does not know (usually a typo such as `chanel`).
    #[error("line {line}: unknown setting \"{field}\" in {section} (allowed: {allowed})")]
    UnknownField {
        /// 1-based line of the unknown key.
        line: usize,
        /// The key as written.
        field: String,
        /// Where it was found: "the file", "a command" or "an action".
        section: &'static str,
        /// The keys allowed there.
        allowed: &'static str,
    },
    /// A required key is absent.
    #[error("line {line}: {section} is missing \"{field}\"")]
    MissingField {
        /// 1-based line of the command header or action table.
        line: usize,
        /// The missing key.
        field: &'static str,
        /// "this command" or "this action".
        section: &'static str,
    },
    /// `id = ""` (or only spaces).
    #[error("line {line}: command id is empty; give it a name such as \"play_a\"")]
    EmptyId {
        /// 1-based line of the id.
        line: usize,
    },
    /// Two commands share an id.
    #[error("line {line}: duplicate command id \"{id}\" (first defined on line {first_line})")]
    DuplicateId {
        /// 1-based line of the second definition.
        line: usize,
        /// The repeated id.
        id: String,
        /// 1-based line of the first definition.
        first_line: usize,
    },
    /// `phrases = []`.
    #[error("line {line}: command \"{id}\" has no phrases; add at least one spoken phrase")]
    NoPhrases {
        /// 1-based line of the phrase list.
        line: usize,
        /// The command's id.
        id: String,
    },
    /// A phrase with no words left after normalization (e.g. `""` or `"!!"`).
    #[error("line {line}: command \"{id}\" has an empty phrase \"{phrase}\"; a phrase needs at least one word")]
    EmptyPhrase {
        /// 1-based line of the phrase.
        line: usize,
        /// The command's id.
        id: String,
        /// The phrase as written.
        phrase: String,
    },
    /// The same (normalized) phrase twice, in two commands or in one.
    #[error("line {line}: {}", duplicate_phrase_message(phrase, id, first_id, *first_line))]
    DuplicatePhrase {
        /// 1-based line of the second occurrence.
        line: usize,
        /// The normalized phrase.
        phrase: String,
        /// The command with the second occurrence.
        id: String,
        /// The command with the first occurrence (may equal `id`).
        first_id: String,
        /// 1-based line of the first occurrence.
        first_line: usize,
    },
    /// `channel` outside 1-16.
    #[error("line {line}: command \"{id}\": MIDI channel {channel} is outside 1-16")]
    ChannelOutOfRange {
        /// 1-based line of the channel value.
        line: usize,
        /// The command's id.
        id: String,
        /// The channel as written (1-based).
        channel: i64,
    },
    /// `number` or `value` outside 0-127.
    #[error("line {line}: command \"{id}\": {field} {value} is outside 0-127")]
    ValueOutOfRange {
        /// 1-based line of the value.
        line: usize,
        /// The command's id.
        id: String,
        /// "number" or "value".
        field: &'static str,
        /// The value as written.
        value: i64,
    },
    /// `kind` is not one of note, cc, program.
    #[error("line {line}: command \"{id}\": unknown action kind \"{kind}\"; use one of: {ALLOWED_KINDS}")]
    UnknownKind {
        /// 1-based line of the kind.
        line: usize,
        /// The command's id.
        id: String,
        /// The kind as written.
        kind: String,
    },
    /// The file could not be read at all.
    #[error("cannot read command file {}: {source}", path.display())]
    Io {
        /// The file we tried to read.
        path: PathBuf,
        /// The underlying error, shared so the enum stays `Clone`.
        source: Arc<std::io::Error>,
    },
}

impl CommandFileError {
    /// The 1-based line the error points at, if any (for highlighting in the editor).
    pub fn line(&self) -> Option<usize> {
        use CommandFileError::*;
        match self {
            Syntax { line, .. }
            | NotUtf8 { line, .. }
            | UnknownField { line, .. }
            | MissingField { line, .. }
            | EmptyId { line }
            | DuplicateId { line, .. }
            | NoPhrases { line, .. }
            | EmptyPhrase { line, .. }
            | DuplicatePhrase { line, .. }
            | ChannelOutOfRange { line, .. }
            | ValueOutOfRange { line, .. }
            | UnknownKind { line, .. } => Some(*line),
            NoCommands | Io { .. } => None,
        }
    }
}

/// Wording for [`CommandFileError::DuplicatePhrase`], which differs when the repeat is inside one command.
fn duplicate_phrase_message(phrase: &str, id: &str, first_id: &str, first_line: usize) -> String {
    if id == first_id {
        format!("phrase \"{phrase}\" appears twice in command \"{id}\" (first on line {first_line})")
    } else {
        format!("phrase \"{phrase}\" of command \"{id}\" is already used by command \"{first_id}\" (line {first_line})")
    }
}

/// Lowercases, removes punctuation except apostrophes, collapses whitespace and trims.
///
/// Typographic apostrophes (’ ‘) become `'` so "don’t" and "don't" match.
/// Hyphens, slashes and underscores separate words ("hot-cue" becomes "hot cue"); other punctuation is deleted.
pub fn normalize_phrase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = if c == '\u{2019}' || c == '\u{2018}' { '\'' } else { c };
        // Hyphens and other punctuation separate words ("hot-cue" is spoken "hot cue").
        if c.is_whitespace() || c == '-' || c == '/' || c == '_' {
            pending_space = !out.is_empty();
        } else if c.is_alphanumeric() || c == '\'' {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

impl CommandSet {
    /// Parses and validates a command file's text.
    pub fn parse(text: &str) -> Result<CommandSet, CommandFileError> {
        let lines = LineIndex::new(text);
        let raw: RawFile = toml::from_str(text).map_err(|e| syntax_error(&e, &lines))?;
        validate(raw, &lines)
    }

    /// Like [`CommandSet::parse`], but first checks the bytes are UTF-8 (a UTF-8 BOM is accepted).
    pub fn from_bytes(bytes: &[u8]) -> Result<CommandSet, CommandFileError> {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        let bom_len = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
        match std::str::from_utf8(&bytes[bom_len..]) {
            Ok(text) => CommandSet::parse(text),
            Err(e) => {
                let offset = bom_len + e.valid_up_to();
                let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
                Err(CommandFileError::NotUtf8 { line, offset })
            }
        }
    }

    /// Reads and validates a command file; read errors carry the path.
    pub fn load(path: &Path) -> Result<CommandSet, CommandFileError> {
        let bytes = std::fs::read(path)
            .map_err(|source| CommandFileError::Io { path: path.to_path_buf(), source: Arc::new(source) })?;
        CommandSet::from_bytes(&bytes)
    }

    /// The built-in DJ set (42 commands); parsed once, then cloned.
    pub fn default_dj() -> CommandSet {
        static DEFAULT: OnceLock<CommandSet> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                CommandSet::parse(DEFAULT_COMMANDS_TOML)
                    .unwrap_or_else(|e| panic!("built-in default_commands.toml is invalid: {e}"))
            })
            .clone()
    }

    /// Validates an edited command list with exactly the rules of a file.
    ///
    /// Phrases are normalized. The list is checked by rendering it with
    /// [`CommandSet::to_toml`] and parsing that, so line numbers in errors refer
    /// to the file as it would be saved ([`TOML_LINES_PER_COMMAND`] lines per
    /// command, command `i` starting on line `i * 5 + 1`).
    pub fn new(commands: Vec<Command>) -> Result<CommandSet, CommandFileError> {
        CommandSet::parse(&render_toml(&commands))
    }

    /// All commands, in file order.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    /// Number of commands (always at least one).
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Always false for a validated set; provided for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Index of the command with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.commands.iter().position(|c| c.id == id)
    }

    /// `(command index, normalized phrase)` for every phrase of every command, in file order.
    pub fn phrases(&self) -> impl Iterator<Item = (usize, &str)> {
        self.commands.iter().enumerate().flat_map(|(i, c)| c.phrases.iter().map(move |p| (i, p.as_str())))
    }

    /// The set as a command file; `parse(&set.to_toml())` gives an equal set.
    pub fn to_toml(&self) -> String {
        render_toml(&self.commands)
    }
}

/// How many lines [`CommandSet::to_toml`] writes per command (header, id, phrases, action, blank).
pub const TOML_LINES_PER_COMMAND: usize = 5;

/// Writes commands in the canonical file layout (see [`TOML_LINES_PER_COMMAND`]).
fn render_toml(commands: &[Command]) -> String {
    commands.iter().map(render_command).collect()
}

/// One command in the canonical layout, followed by a blank line.
fn render_command(c: &Command) -> String {
    let phrases: Vec<String> = c.phrases.iter().map(|p| toml_string(p)).collect();
    let a = &c.action;
    format!(
        "[[command]]\nid = {}\nphrases = [{}]\naction = {{ kind = \"{}\", channel = {}, number = {}, value = {} }}\n\n",
        toml_string(&c.id),
        phrases.join(", "),
        a.kind.name(),
        u16::from(a.channel) + 1,
        a.number,
        a.value
    )
}

/// A single-line TOML basic string literal (`"..."`), escaping quotes, backslashes and control characters
/// so every command keeps its fixed number of lines.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Keeps the last good set: replacing with a bad file returns the error and leaves `current()` unchanged.
///
/// Lives on the GUI / background thread; hand `current().clone()` to other threads.
#[derive(Debug)]
pub struct CommandLibrary {
    /// The set in use; only ever replaced by a set that validated.
    current: Arc<CommandSet>,
    /// Why the most recent replace failed, cleared by the next success (shown in the editor).
    last_error: Option<CommandFileError>,
}

impl Default for CommandLibrary {
    /// Starts with the built-in DJ set.
    fn default() -> Self {
        CommandLibrary::new(Arc::new(CommandSet::default_dj()))
    }
}

impl CommandLibrary {
    /// Starts with `initial` and no error.
    pub fn new(initial: Arc<CommandSet>) -> Self {
        CommandLibrary { current: initial, last_error: None }
    }

    /// The set in use.
    pub fn current(&self) -> &Arc<CommandSet> {
        &self.current
    }

    /// Replaces the set with the one in `text` if it is valid; otherwise keeps the old one.
    pub fn replace_from_text(&mut self, text: &str) -> Result<Arc<CommandSet>, CommandFileError> {
        self.apply(CommandSet::parse(text))
    }

    /// Replaces the set with the one in the file at `path` if it is readable and valid.
    pub fn replace_from_path(&mut self, path: &Path) -> Result<Arc<CommandSet>, CommandFileError> {
        self.apply(CommandSet::load(path))
    }

    /// Why the most recent replace failed (`None` after a success).
    pub fn last_error(&self) -> Option<&CommandFileError> {
        self.last_error.as_ref()
    }

    /// Installs a good set or records the error, leaving `current` untouched.
    fn apply(&mut self, result: Result<CommandSet, CommandFileError>) -> Result<Arc<CommandSet>, CommandFileError> {
        match result {
            Ok(set) => {
                self.current = Arc::new(set);
                self.last_error = None;
                Ok(self.current.clone())
            }
            Err(e) => {
                self.last_error = Some(e.clone());
                Err(e)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Raw (unvalidated) file structure, with spans for line numbers.
// ---------------------------------------------------------------------------

/// Byte offset -> 1-based line/column.
struct LineIndex<'a> {
    /// The text, for column counting.
    text: &'a str,
    /// Byte offset of the start of every line.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// 1-based line containing byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// 1-based line of the start of a span.
    fn line_of(&self, span: &Range<usize>) -> usize {
        self.line(span.start)
    }

    /// 1-based (line, column in characters) of byte `offset`.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line(offset);
        let start = self.starts[line - 1];
        let column = self.text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }
}

/// Converts a toml error into [`CommandFileError::Syntax`], recognizing friendlier cases.
fn syntax_error(e: &toml::de::Error, lines: &LineIndex) -> CommandFileError {
    let (line, column) = e.span().map_or((1, 1), |s| lines.line_col(s.start));
    CommandFileError::Syntax { line, column, message: friendly_type_names(e.message().trim()) }
}

/// Replaces serde's type jargon in toml messages with words a DJ knows.
fn friendly_type_names(message: &str) -> String {
    const NAMES: [(&str, &str); 4] = [
        ("expected a sequence", "expected a list such as [\"play deck a\", \"play left\"]"),
        ("expected i64", "expected a whole number"),
        ("expected a string", "expected text in quotes"),
        ("invalid type: map,", "invalid type: table,"),
    ];
    NAMES.iter().fold(message.to_owned(), |m, (jargon, plain)| m.replace(jargon, plain))
}

/// A table read key by key so unknown keys keep their position.
trait RawTable: Default {
    /// What serde should say it expected.
    const EXPECTING: &'static str;
    /// Reads the value of `key` if it is known; returns false for an unknown key (value not consumed).
    fn read_field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
    /// Where unknown keys are collected.
    fn unknown_keys(&mut self) -> &mut Vec<Spanned<String>>;
}

/// Serde visitor shared by all [`RawTable`]s.
struct TableVisitor<T>(PhantomData<T>);

impl<'de, T: RawTable> Visitor<'de> for TableVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            if !out.read_field(key.get_ref(), &mut map)? {
                map.next_value::<IgnoredAny>()?;
                out.unknown_keys().push(key);
            }
        }
        Ok(out)
    }
}

/// Implements `Deserialize` for a [`RawTable`] through [`TableVisitor`].
macro_rules! deserialize_raw_table {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map(TableVisitor::<$t>(PhantomData))
            }
        }
    };
}

/// The whole file.
#[derive(Default)]
struct RawFile {
    /// The `[[command]]` array, each with the span of its header.
    command: Option<Vec<Spanned<RawCommand>>>,
    /// Keys other than `command`.
    unknown: Vec<Spanned<String>>,
}

/// One `[[command]]` section before validation.
#[derive(Default)]
struct RawCommand {
    /// `id = "..."`.
    id: Option<Spanned<String>>,
    /// `phrases = [...]`, each phrase with its own position.
    phrases: Option<Spanned<Vec<Spanned<String>>>>,
    /// `action = { ... }`.
    action: Option<Spanned<RawAction>>,
    /// Keys the format does not know.
    unknown: Vec<Spanned<String>>,
}

/// An `action = { ... }` table before validation (integers kept wide to report out-of-range values).
#[derive(Default)]
struct RawAction {
    /// `kind = "note" | "cc" | "program"`.
    kind: Option<Spanned<String>>,
    /// 1-based MIDI channel.
    channel: Option<Spanned<i64>>,
    /// Note / CC / program number.
    number: Option<Spanned<i64>>,
    /// Velocity / CC value.
    value: Option<Spanned<i64>>,
    /// Keys the format does not know.
    unknown: Vec<Spanned<String>>,
}

impl RawTable for RawFile {
    const EXPECTING: &'static str = "a command file";
    fn read_field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "command" => self.command = Some(map.next_value()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn unknown_keys(&mut self) -> &mut Vec<Spanned<String>> {
        &mut self.unknown
    }
}

impl RawTable for RawCommand {
    const EXPECTING: &'static str = "a [[command]] table";
    fn read_field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "id" => self.id = Some(map.next_value()?),
            "phrases" => self.phrases = Some(map.next_value()?),
            "action" => self.action = Some(map.next_value()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn unknown_keys(&mut self) -> &mut Vec<Spanned<String>> {
        &mut self.unknown
    }
}

impl RawTable for RawAction {
    const EXPECTING: &'static str = "an action table like { kind = \"note\", channel = 1, number = 36, value = 127 }";
    fn read_field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "kind" => self.kind = Some(map.next_value()?),
            "channel" => self.channel = Some(map.next_value()?),
            "number" => self.number = Some(map.next_value()?),
            "value" => self.value = Some(map.next_value()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn unknown_keys(&mut self) -> &mut Vec<Spanned<String>> {
        &mut self.unknown
    }
}

deserialize_raw_table!(RawFile);
deserialize_raw_table!(RawCommand);
deserialize_raw_table!(RawAction);

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/// Ids and phrases seen so far, with where they were first defined.
#[derive(Default)]
struct Seen {
    /// id -> line of its first definition.
    ids: HashMap<String, usize>,
    /// normalized phrase -> (command id, line) of its first use.
    phrases: HashMap<String, (String, usize)>,
}

/// Turns the raw file into a validated set, reporting the first problem in file order.
fn validate(raw: RawFile, lines: &LineIndex) -> Result<CommandSet, CommandFileError> {
    check_unknown(&raw.unknown, "the file", TOP_LEVEL_KEYS, lines)?;
    let raw_commands = raw.command.unwrap_or_default();
    if raw_commands.is_empty() {
        return Err(CommandFileError::NoCommands);
    }
    let mut seen = Seen::default();
    let commands =
        raw_commands.into_iter().map(|c| validate_command(c, lines, &mut seen)).collect::<Result<Vec<_>, _>>()?;
    Ok(CommandSet { commands })
}

/// Rejects the first unknown key, if any.
fn check_unknown(
    unknown: &[Spanned<String>],
    section: &'static str,
    allowed: &'static str,
    lines: &LineIndex,
) -> Result<(), CommandFileError> {
    match unknown.iter().min_by_key(|k| k.span().start) {
        Some(key) => Err(CommandFileError::UnknownField {
            line: lines.line_of(&key.span()),
            field: key.get_ref().clone(),
            section,
            allowed,
        }),
        None => Ok(()),
    }
}

/// A required key, or [`CommandFileError::MissingField`] pointing at the table's line.
fn required<T>(
    value: Option<T>,
    field: &'static str,
    section: &'static str,
    line: usize,
) -> Result<T, CommandFileError> {
    value.ok_or(CommandFileError::MissingField { line, field, section })
}

/// Validates one `[[command]]`.
fn validate_command(raw: Spanned<RawCommand>, lines: &LineIndex, seen: &mut Seen) -> Result<Command, CommandFileError> {
    let line = lines.line_of(&raw.span());
    let raw = raw.into_inner();
    check_unknown(&raw.unknown, "a command", COMMAND_KEYS, lines)?;
    let id = validate_id(required(raw.id, "id", "this command", line)?, lines, seen)?;
    let phrases = required(raw.phrases, "phrases", "this command", line)?;
    let phrases = validate_phrases(phrases, &id, lines, seen)?;
    let action = required(raw.action, "action", "this command", line)?;
    let action = validate_action(action, &id, lines)?;
    Ok(Command { id, phrases, action })
}

/// Checks the id is non-empty and unused.
fn validate_id(id: Spanned<String>, lines: &LineIndex, seen: &mut Seen) -> Result<String, CommandFileError> {
    let line = lines.line_of(&id.span());
    let id = id.into_inner();
    if id.trim().is_empty() {
        return Err(CommandFileError::EmptyId { line });
    }
    if let Some(&first_line) = seen.ids.get(&id) {
        return Err(CommandFileError::DuplicateId { line, id, first_line });
    }
    seen.ids.insert(id.clone(), line);
    Ok(id)
}

/// Normalizes the phrases and checks there is at least one, none empty, none used before.
fn validate_phrases(
    raw: Spanned<Vec<Spanned<String>>>,
    id: &str,
    lines: &LineIndex,
    seen: &mut Seen,
) -> Result<Vec<String>, CommandFileError> {
    let list_line = lines.line_of(&raw.span());
    let raw = raw.into_inner();
    if raw.is_empty() {
        return Err(CommandFileError::NoPhrases { line: list_line, id: id.to_owned() });
    }
    let mut phrases = Vec::with_capacity(raw.len());
    for phrase in raw {
        let line = lines.line_of(&phrase.span());
        let normalized = normalize_phrase(phrase.get_ref());
        if normalized.is_empty() {
            let phrase = phrase.into_inner();
            return Err(CommandFileError::EmptyPhrase { line, id: id.to_owned(), phrase });
        }
        if let Some((first_id, first_line)) = seen.phrases.get(&normalized) {
            return Err(CommandFileError::DuplicatePhrase {
                line,
                phrase: normalized,
                id: id.to_owned(),
                first_id: first_id.clone(),
                first_line: *first_line,
            });
        }
        seen.phrases.insert(normalized.clone(), (id.to_owned(), line));
        phrases.push(normalized);
    }
    Ok(phrases)
}

/// Checks the action's kind and ranges and converts the channel to 0-based.
fn validate_action(raw: Spanned<RawAction>, id: &str, lines: &LineIndex) -> Result<MidiAction, CommandFileError> {
    let line = lines.line_of(&raw.span());
    let raw = raw.into_inner();
    check_unknown(&raw.unknown, "an action", ACTION_KEYS, lines)?;
    let kind = required(raw.kind, "kind", "this action", line)?;
    let channel = required(raw.channel, "channel", "this action", line)?;
    let number = required(raw.number, "number", "this action", line)?;
    let value = required(raw.value, "value", "this action", line)?;

    let kind = ActionKind::from_name(kind.get_ref()).ok_or_else(|| CommandFileError::UnknownKind {
        line: lines.line_of(&kind.span()),
        id: id.to_owned(),
        kind: kind.get_ref().clone(),
    })?;
    let channel_1based = *channel.get_ref();
    if !(1..=16).contains(&channel_1based) {
        return Err(CommandFileError::ChannelOutOfRange {
            line: lines.line_of(&channel.span()),
            id: id.to_owned(),
            channel: channel_1based,
        });
    }
    Ok(MidiAction {
        kind,
        channel: (channel_1based - 1) as u8,
        number: midi_7bit(&number, "number", id, lines)?,
        value: midi_7bit(&value, "value", id, lines)?,
    })
}

/// A 0-127 MIDI data byte, or [`CommandFileError::ValueOutOfRange`].
fn midi_7bit(v: &Spanned<i64>, field: &'static str, id: &str, lines: &LineIndex) -> Result<u8, CommandFileError> {
    match u8::try_from(*v.get_ref()) {
        Ok(b) if b <= 127 => Ok(b),
        _ => Err(CommandFileError::ValueOutOfRange {
            line: lines.line_of(&v.span()),
            id: id.to_owned(),
            field,
            value: *v.get_ref(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommandFileError as E;

    /// A minimal valid command block.
    const ONE: &str = r#"[[command]]
id = "play_a"
phrases = ["play deck a", "play left"]
action = { kind = "note", channel = 1, number = 36, value = 127 }
"#;

    fn data_path(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/commands").join(name)
    }

    fn err(text: &str) -> CommandFileError {
        CommandSet::parse(text).expect_err("should be rejected")
    }

    fn cmd(id: &str, phrases: &[&str], kind: ActionKind, channel: u8, number: u8, value: u8) -> Command {
        Command {
            id: id.into(),
            phrases: phrases.iter().map(|p| p.to_string()).collect(),
            action: MidiAction { kind, channel, number, value },
        }
    }

    #[test]
    fn default_set_matches_the_file() {
        let set = CommandSet::default_dj();
        assert_eq!(set.len(), 42);
        assert!(!set.is_empty());
        let first = &set.commands()[0];
        assert_eq!(first, &cmd("play_a", &["play deck a", "play left"], ActionKind::Note, 0, 36, 127));
        let last = set.commands().last().unwrap();
        assert_eq!(last, &cmd("master_b", &["master deck b"], ActionKind::Note, 0, 77, 127));
        assert_eq!(set.index_of("pause_b"), Some(3));
        assert_eq!(set.index_of("tap_tempo"), Some(39));
        assert_eq!(set.index_of("nope"), None);
        // Notes 36..=77 in file order, all channel 1 (0-based 0), velocity 127.
        for (i, c) in set.commands().iter().enumerate() {
            assert_eq!(c.action, MidiAction { kind: ActionKind::Note, channel: 0, number: 36 + i as u8, value: 127 });
        }
        // Every id of the file made it in, in order.
        let ids_in_file: Vec<&str> =
            DEFAULT_COMMANDS_TOML.lines().filter_map(|l| l.strip_prefix("id = \"")?.strip_suffix('"')).collect();
        let ids: Vec<&str> = set.commands().iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ids_in_file);
        let phrases: Vec<_> = set.phrases().collect();
        assert_eq!(phrases.len(), 48);
        assert_eq!(phrases[0], (0, "play deck a"));
        assert_eq!(phrases[1], (0, "play left"));
        assert_eq!(phrases[2], (1, "play deck b"));
        assert!(phrases.contains(&(39, "tap tempo")));
        // Cached: a second call gives an equal set.
        assert_eq!(CommandSet::default_dj(), set);
    }

    #[test]
    fn normalize_phrase_rules() {
        assert_eq!(normalize_phrase("  Play,   DECK   a!! "), "play deck a");
        assert_eq!(normalize_phrase("Don’t stop"), "don't stop");
        assert_eq!(normalize_phrase("hot-cue\tone\n"), "hot cue one");
        assert_eq!(normalize_phrase("?!."), "");
        assert_eq!(normalize_phrase("Loop 8"), "loop 8");
        assert_eq!(normalize_phrase("ÉCOUTE"), "écoute");
    }

    #[test]
    fn phrases_are_stored_normalized() {
        let set = CommandSet::parse(&ONE.replace("\"play left\"", "\"  Play,  LEFT! \"")).unwrap();
        assert_eq!(set.commands()[0].phrases, vec!["play deck a", "play left"]);
    }

    #[test]
    fn round_trip_through_to_toml() {
        let set = CommandSet::default_dj();
        assert_eq!(CommandSet::parse(&set.to_toml()).unwrap(), set);

        let odd = CommandSet::new(vec![
            cmd("quote \"id\"", &["say \"hi\""], ActionKind::Cc, 15, 0, 0),
            cmd("prog", &["program one", "don't"], ActionKind::Program, 9, 127, 64),
        ])
        .unwrap();
        assert_eq!(odd.commands()[0].phrases, vec!["say hi"]);
        let text = odd.to_toml();
        assert!(text.contains("kind = \"cc\", channel = 16"), "{text}");
        assert_eq!(CommandSet::parse(&text).unwrap(), odd);

        // Awkward ids stay on one line each, so the layout (and error line numbers) holds.
        let awkward = CommandSet::new(vec![
            cmd("multi\nline\t\\ \u{7}", &["one"], ActionKind::Note, 0, 1, 1),
            cmd("b", &["two"], ActionKind::Note, 0, 2, 1),
        ])
        .unwrap();
        let text = awkward.to_toml();
        assert_eq!(text.lines().count(), 2 * TOML_LINES_PER_COMMAND, "{text}");
        assert_eq!(CommandSet::parse(&text).unwrap(), awkward);
    }

    #[test]
    fn new_validates_like_a_file() {
        let e = CommandSet::new(vec![
            cmd("a", &["one"], ActionKind::Note, 0, 1, 1),
            cmd("a", &["two"], ActionKind::Note, 0, 2, 1),
        ])
        .unwrap_err();
        assert!(matches!(e, E::DuplicateId { line: 7, first_line: 2, ref id } if id == "a"), "{e:?}");

        let e = CommandSet::new(vec![cmd("a", &["one"], ActionKind::Note, 16, 1, 1)]).unwrap_err();
        assert!(matches!(e, E::ChannelOutOfRange { channel: 17, .. }), "{e:?}");
        let e = CommandSet::new(vec![cmd("a", &["one"], ActionKind::Cc, 0, 128, 1)]).unwrap_err();
        assert!(matches!(e, E::ValueOutOfRange { field: "number", value: 128, .. }), "{e:?}");
        assert!(matches!(CommandSet::new(vec![]).unwrap_err(), E::NoCommands));
        assert!(matches!(
            CommandSet::new(vec![cmd("a", &[], ActionKind::Note, 0, 1, 1)]).unwrap_err(),
            E::NoPhrases { line: 3, .. }
        ));
    }

    #[test]
    fn syntax_error_has_toml_line_and_column() {
        let e = err(&format!("{ONE}\n[[command]]\nid = \"x\nphrases = []\n"));
        match e {
            E::Syntax { line, column, ref message } => {
                assert_eq!(line, 7, "{e}");
                assert!(column >= 1);
                assert!(!message.is_empty());
            }
            other => panic!("expected Syntax, got {other:?}"),
        }
        // A value of the wrong type is reported at its position too.
        let e = err(&ONE.replace("channel = 1,", "channel = \"one\","));
        assert!(matches!(e, E::Syntax { line: 4, column: 37, .. }), "{e:?}");
        assert!(e.to_string().contains("expected a whole number"), "{e}");
        let e = err(&ONE.replace("[\"play deck a\", \"play left\"]", "\"play deck a\""));
        assert!(
            e.to_string().starts_with("line 3, column 11: invalid type: string \"play deck a\", expected a list"),
            "{e}"
        );
    }

    #[test]
    fn no_commands() {
        assert!(matches!(err(""), E::NoCommands));
        assert!(matches!(err("# only a comment\n"), E::NoCommands));
        assert!(matches!(err("command = []\n"), E::NoCommands));
    }

    #[test]
    fn missing_fields() {
        let e = err("# header\n[[command]]\nphrases = [\"x\"]\naction = { kind = \"note\", channel = 1, number = 1, value = 1 }\n");
        assert!(matches!(e, E::MissingField { line: 2, field: "id", .. }), "{e:?}");
        let e = err(&ONE.replace("phrases = [\"play deck a\", \"play left\"]\n", ""));
        assert!(matches!(e, E::MissingField { line: 1, field: "phrases", .. }), "{e:?}");
        let e = err(&ONE.replace(", value = 127", ""));
        assert!(matches!(e, E::MissingField { line: 4, field: "value", section: "this action" }), "{e:?}");
        assert_eq!(e.to_string(), "line 4: this action is missing \"value\"");
        let e = err("[[command]]\nid = \"a\"\nphrases = [\"x\"]\n");
        assert!(matches!(e, E::MissingField { line: 1, field: "action", .. }), "{e:?}");
    }

    #[test]
    fn duplicate_id_names_both_lines() {
        let text = format!("{ONE}\n{}", ONE.replace("play deck a", "x").replace("play left", "y"));
        let e = err(&text);
        assert!(matches!(e, E::DuplicateId { line: 7, first_line: 2, .. }), "{e:?}");
        assert_eq!(e.to_string(), "line 7: duplicate command id \"play_a\" (first defined on line 2)");
    }

    #[test]
    fn empty_id_and_empty_phrases() {
        assert!(matches!(err(&ONE.replace("\"play_a\"", "\"  \"")), E::EmptyId { line: 2 }));
        let e = err(&ONE.replace("[\"play deck a\", \"play left\"]", "[]"));
        assert!(matches!(e, E::NoPhrases { line: 3, .. }), "{e:?}");
        let e = err(&ONE.replace("\"play left\"", "\"?!\""));
        assert!(matches!(e, E::EmptyPhrase { line: 3, ref phrase, .. } if phrase == "?!"), "{e:?}");
    }

    #[test]
    fn duplicate_phrases_within_and_across_commands() {
        let e = err(&ONE.replace("\"play left\"", "\"Play deck A!\""));
        assert!(matches!(e, E::DuplicatePhrase { line: 3, ref first_id, ref id, .. } if first_id == id), "{e:?}");
        assert!(e.to_string().contains("appears twice in command \"play_a\""), "{e}");

        let second = "\n[[command]]\nid = \"b\"\nphrases = [\n  \"other\",\n  \"play left\",\n]\naction = { kind = \"cc\", channel = 2, number = 1, value = 0 }\n";
        let e = err(&format!("{ONE}{second}"));
        assert!(
            matches!(e, E::DuplicatePhrase { line: 10, first_line: 3, ref first_id, ref id, ref phrase }
                if first_id == "play_a" && id == "b" && phrase == "play left"),
            "{e:?}"
        );
    }

    #[test]
    fn out_of_range_values() {
        for (bad, want_channel) in [("channel = 0,", 0), ("channel = 17,", 17), ("channel = -3,", -3)] {
            let e = err(&ONE.replace("channel = 1,", bad));
            assert!(matches!(e, E::ChannelOutOfRange { line: 4, channel, .. } if channel == want_channel), "{e:?}");
        }
        let e = err(&ONE.replace("number = 36", "number = 128"));
        assert!(matches!(e, E::ValueOutOfRange { line: 4, field: "number", value: 128, .. }), "{e:?}");
        let e = err(&ONE.replace("value = 127", "value = -1"));
        assert!(matches!(e, E::ValueOutOfRange { field: "value", value: -1, .. }), "{e:?}");
        assert_eq!(e.to_string(), "line 4: command \"play_a\": value -1 is outside 0-127");
        // Boundaries are accepted.
        let ok = CommandSet::parse(&ONE.replace("channel = 1,", "channel = 16,").replace("number = 36", "number = 0"))
            .unwrap();
        assert_eq!(ok.commands()[0].action.channel, 15);
        assert_eq!(ok.commands()[0].action.number, 0);
    }

    #[test]
    fn unknown_kind_lists_allowed_kinds() {
        let e = err(&ONE.replace("\"note\"", "\"Note\""));
        assert!(matches!(e, E::UnknownKind { line: 4, ref kind, .. } if kind == "Note"), "{e:?}");
        assert!(e.to_string().contains("note, cc, program"), "{e}");
        let set = CommandSet::parse(&ONE.replace("\"note\"", "\"program\"")).unwrap();
        assert_eq!(set.commands()[0].action.kind, ActionKind::Program);
    }

    #[test]
    fn unknown_fields_everywhere() {
        let e = err(&ONE.replace("channel = 1", "chanel = 1"));
        assert!(
            matches!(e, E::UnknownField { line: 4, ref field, section: "an action", .. } if field == "chanel"),
            "{e:?}"
        );
        assert!(e.to_string().contains("allowed: kind, channel, number, value"), "{e}");
        let e = err(&ONE.replace("id = \"play_a\"\n", "id = \"play_a\"\ncolor = \"red\"\n"));
        assert!(
            matches!(e, E::UnknownField { line: 3, ref field, section: "a command", .. } if field == "color"),
            "{e:?}"
        );
        let e = err(&format!("version = 2\n{ONE}"));
        assert!(
            matches!(e, E::UnknownField { line: 1, ref field, section: "the file", .. } if field == "version"),
            "{e:?}"
        );
        let e = err(&ONE.replace("[[command]]", "[[comand]]"));
        assert!(matches!(e, E::UnknownField { line: 1, ref field, .. } if field == "comand"), "{e:?}");
    }

    #[test]
    fn non_utf8_bytes_name_offset_and_line() {
        let mut bytes = ONE.as_bytes().to_vec();
        let offset = ONE.find("play left").unwrap();
        bytes[offset] = 0xE9; // Latin-1 "é"
        let e = CommandSet::from_bytes(&bytes).unwrap_err();
        assert!(matches!(e, E::NotUtf8 { line: 3, offset: o } if o == offset), "{e:?}");
        // UTF-8 with a BOM is fine.
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), ONE.as_bytes()].concat();
        assert_eq!(CommandSet::from_bytes(&with_bom).unwrap().len(), 1);
        // Offsets count the BOM, so they match what a hex editor shows.
        let bad_with_bom = [b"\xEF\xBB\xBF".as_slice(), &bytes].concat();
        let e = CommandSet::from_bytes(&bad_with_bom).unwrap_err();
        assert!(matches!(e, E::NotUtf8 { line: 3, offset: o } if o == offset + 3), "{e:?}");
    }

    #[test]
    fn library_keeps_last_good_set() {
        let mut lib = CommandLibrary::new(Arc::new(CommandSet::default_dj()));
        assert_eq!(lib.current().len(), 42);
        let e = lib.replace_from_text(&ONE.replace("channel = 1,", "channel = 99,")).unwrap_err();
        assert!(matches!(e, E::ChannelOutOfRange { .. }));
        assert_eq!(lib.current().len(), 42, "bad text must not replace the set");
        assert!(matches!(lib.last_error(), Some(E::ChannelOutOfRange { .. })));

        let new = lib.replace_from_text(ONE).unwrap();
        assert_eq!(new.len(), 1);
        assert!(Arc::ptr_eq(&new, lib.current()));
        assert!(lib.last_error().is_none());

        let e = lib.replace_from_path(&data_path("does_not_exist.toml")).unwrap_err();
        assert!(matches!(e, E::Io { ref path, .. } if path.ends_with("does_not_exist.toml")), "{e:?}");
        assert!(e.to_string().contains("does_not_exist.toml"), "{e}");
        assert_eq!(lib.current().len(), 1);
        assert!(lib.replace_from_path(&data_path("duplicate_id.toml")).is_err());
        assert_eq!(lib.current().commands()[0].id, "play_a");
        assert!(lib.replace_from_path(&data_path("valid_small.toml")).is_ok());
        assert_eq!(lib.current().len(), 2);
    }

    #[test]
    fn broken_example_files_by_path() {
        let load = |name: &str| CommandSet::load(&data_path(name)).unwrap_err();
        assert!(matches!(load("duplicate_id.toml"), E::DuplicateId { line: 9, first_line: 4, .. }));
        assert!(matches!(load("bad_channel.toml"), E::ChannelOutOfRange { line: 5, channel: 17, .. }));
        assert!(matches!(load("unknown_kind.toml"), E::UnknownKind { line: 4, .. }));
        assert!(matches!(load("duplicate_phrase.toml"), E::DuplicatePhrase { line: 8, first_line: 3, .. }));
        assert!(matches!(load("syntax_error.toml"), E::Syntax { line: 3, .. }));
        assert!(matches!(load("latin1.toml"), E::NotUtf8 { line: 3, .. }));
        let ok = CommandSet::load(&data_path("valid_small.toml")).unwrap();
        assert_eq!(ok.commands()[1].action, MidiAction { kind: ActionKind::Cc, channel: 1, number: 7, value: 0 });
    }

    #[test]
    fn error_is_clone_and_reports_line() {
        let e = err(&ONE.replace("number = 36", "number = 300"));
        let copy = e.clone();
        assert_eq!(copy.line(), Some(4));
        assert_eq!(copy.to_string(), e.to_string());
        assert_eq!(E::NoCommands.line(), None);
    }
}
