//! Command files: arbitrary bytes through `CommandSet::from_bytes` (UTF-8 / BOM check, TOML,
//! validation). Accepted sets must satisfy the documented guarantees and survive a `to_toml()`
//! round trip; `CommandLibrary` must keep its previous set when handed a broken file.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use voxcue::commands::{CommandLibrary, CommandSet};

#[path = "../common/invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| {
    match CommandSet::from_bytes(data) {
        Ok(set) => {
            invariants::assert_valid_set(&set);
            invariants::assert_round_trip(&set);

            // A library holding the fuzzed set keeps it when given a broken version of the file:
            // a trailing `[[command]]` with no fields is always an error (missing "id", or a
            // redefinition of an inline `command = [...]`).
            let text = std::str::from_utf8(data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data)).unwrap();
            let mut lib = CommandLibrary::new(Arc::new(set.clone()));
            let broken = format!("{text}\n[[command]]\n");
            assert!(CommandSet::parse(&broken).is_err(), "a command with no fields was accepted");
            assert!(!invariants::replace_and_check(&mut lib, &broken));
            assert_eq!(**lib.current(), set, "garbage replaced the previous set");
        }
        Err(e) => {
            // Formatting and line lookup never panic; lines are 1-based.
            let _ = e.to_string();
            assert!(e.line().map_or(true, |l| l >= 1), "line 0 in {e}");
        }
    }

    // The same bytes as text (lossily decoded, as an editor would show them) against a library
    // holding the built-in set: replaced exactly when valid, otherwise unchanged.
    let text = String::from_utf8_lossy(data);
    let mut lib = CommandLibrary::new(Arc::new(CommandSet::default_dj()));
    invariants::replace_and_check(&mut lib, &text);
});
