//! Checks shared by the fuzz targets: the guarantees documented in `src/commands.rs`.
//! Included with `#[path]` (this is not a fuzz target itself).

#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::Arc;

use voxcue::commands::{normalize_phrase, CommandLibrary, CommandSet, TOML_LINES_PER_COMMAND};

/// Every `CommandSet` that exists satisfies the module-level guarantees of `commands.rs`.
pub fn assert_valid_set(set: &CommandSet) {
    assert!(set.len() >= 1, "a validated set has at least one command");
    assert!(!set.is_empty());
    let mut ids = HashSet::new();
    let mut phrases = HashSet::new();
    for c in set.commands() {
        assert!(!c.id.trim().is_empty(), "empty id {:?}", c.id);
        assert!(ids.insert(c.id.as_str()), "duplicate id {:?}", c.id);
        assert!(!c.phrases.is_empty(), "command {:?} has no phrases", c.id);
        for p in &c.phrases {
            assert!(!p.is_empty(), "empty phrase in {:?}", c.id);
            assert_eq!(&normalize_phrase(p), p, "phrase {p:?} is not stored normalized");
            assert!(phrases.insert(p.as_str()), "phrase {p:?} appears twice");
        }
        assert!(c.action.channel <= 15, "channel {}", c.action.channel);
        assert!(c.action.number <= 127, "number {}", c.action.number);
        assert!(c.action.value <= 127, "value {}", c.action.value);
    }
    let ids_in_order: Vec<usize> = set.commands().iter().map(|c| set.index_of(&c.id).unwrap()).collect();
    assert!(ids_in_order.iter().enumerate().all(|(i, &j)| i == j), "index_of disagrees with order");
}

/// `parse(&set.to_toml())` gives an equal set, in the fixed layout of TOML_LINES_PER_COMMAND lines.
pub fn assert_round_trip(set: &CommandSet) {
    let text = set.to_toml();
    assert_eq!(
        text.lines().count(),
        TOML_LINES_PER_COMMAND * set.len(),
        "to_toml layout is not {TOML_LINES_PER_COMMAND} lines per command:\n{text}"
    );
    let back = CommandSet::parse(&text)
        .unwrap_or_else(|e| panic!("to_toml() output does not parse back: {e}\n--- text ---\n{text}"));
    assert_eq!(&back, set, "to_toml() round trip changed the set\n--- text ---\n{text}");
    assert_eq!(back.to_toml(), text, "to_toml() is not stable");
    // CommandSet::new re-validates an edited list through the same path.
    let rebuilt = CommandSet::new(set.commands().to_vec())
        .unwrap_or_else(|e| panic!("CommandSet::new rejects a valid set's commands: {e}"));
    assert_eq!(&rebuilt, set);
}

/// `replace_from_text` either installs exactly what `parse` gives, or keeps the previous set
/// (same `Arc`) and records the error.
pub fn replace_and_check(lib: &mut CommandLibrary, text: &str) -> bool {
    let before = Arc::clone(lib.current());
    let expected = CommandSet::parse(text);
    let result = lib.replace_from_text(text);
    match (result, expected) {
        (Ok(new), Ok(want)) => {
            assert!(Arc::ptr_eq(&new, lib.current()), "returned set is not the current one");
            assert_eq!(*new, want);
            assert!(lib.last_error().is_none(), "error kept after a successful replace");
        }
        (Err(e), Err(want)) => {
            assert!(Arc::ptr_eq(&before, lib.current()), "a rejected text replaced the set");
            assert_eq!(**lib.current(), *before);
            assert_eq!(e.to_string(), want.to_string(), "replace_from_text and parse disagree");
            let last = lib.last_error().expect("last_error is set after a failed replace");
            assert_eq!(last.to_string(), e.to_string());
            // Error messages and lines never panic and are sane.
            if let Some(line) = e.line() {
                assert!(line >= 1, "error line {line} is not 1-based: {e}");
                assert!(line <= text.lines().count().max(1) + 1, "error line {line} past the end: {e}");
            }
        }
        (got, want) => panic!("replace_from_text and parse disagree: {:?} vs {:?}", got.map(|_| ()), want.map(|_| ())),
    }
    assert_valid_set(lib.current());
    !Arc::ptr_eq(&before, lib.current())
}
