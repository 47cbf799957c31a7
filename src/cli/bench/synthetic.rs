//! Synthetic command sets for `voxcue bench --phrases N`: a real set (cut to N phrases, or
//! padded with "<verb> <object> <deck>" distractors up to N), so that real clips still have their
//! true command among thousands of look-alikes ("load track deck c" beside "load track deck a").
//!
//! Runs on the CLI's main thread; deterministic (same N, same set).

use voxcue::commands::{ActionKind, Command, CommandFileError, CommandSet, MidiAction};

const VERBS: [&str; 40] = [
    "play", "pause", "stop", "cue", "sync", "loop", "exit", "load", "eject", "mute", "unmute", "solo", "reset", "boost",
    "cut", "kill", "nudge", "jump", "skip", "seek", "scratch", "brake", "spin", "shift", "slip", "lock", "unlock",
    "reverse", "roll", "slice", "match", "fade", "sweep", "double", "halve", "save", "delete", "set", "clear", "toggle",
];
const OBJECTS: [&str; 40] = [
    "track", "bass", "mids", "highs", "lows", "filter", "echo", "reverb", "delay", "flanger", "phaser", "gain", "trim",
    "tempo", "pitch", "key", "beat", "bar", "loop", "sample", "vocal", "drums", "pad", "hot cue", "cue point", "grid",
    "quantize", "keylock", "stem", "acapella", "noise", "crush", "wash", "gate", "volume", "intro", "outro", "break",
    "drop", "playlist",
];
const TARGETS: [&str; 12] = [
    "deck a", "deck b", "deck c", "deck d", "left", "right", "deck one", "deck two", "deck three", "deck four",
    "both decks", "master",
];

/// `base`'s phrases (in file order) cut to `phrases` phrases, or padded with distractor commands
/// of one phrase each up to `phrases` (at most `VERBS x OBJECTS x TARGETS` = 19,200 more).
pub fn scaled_set(base: &CommandSet, phrases: usize) -> Result<CommandSet, CommandFileError> {
    let mut commands: Vec<Command> = Vec::new();
    let mut count = 0;
    for command in base.commands() {
        if count >= phrases {
            break;
        }
        let take = (phrases - count).min(command.phrases.len());
        commands.push(Command { phrases: command.phrases[..take].to_vec(), ..command.clone() });
        count += take;
    }
    let taken: std::collections::HashSet<String> = base.phrases().map(|(_, p)| p.to_string()).collect();
    for (n, phrase) in distractors().filter(|p| !taken.contains(p)).take(phrases.saturating_sub(count)).enumerate() {
        let action = MidiAction { kind: ActionKind::Note, channel: (n / 128 % 16) as u8, number: (n % 128) as u8, value: 127 };
        commands.push(Command { id: format!("synthetic_{n}"), phrases: vec![phrase], action });
    }
    CommandSet::new(commands)
}

/// Every "<verb> <object> <target>" once, in a fixed pseudo-random order so that any prefix mixes
/// all verbs, objects and targets.
fn distractors() -> impl Iterator<Item = String> {
    let total = VERBS.len() * OBJECTS.len() * TARGETS.len();
    // A multiplier coprime with `total` (19,200 = 2^8 * 3 * 5^2) walks every index once.
    const STEP: usize = 7_919;
    (0..total).map(move |i| {
        let k = (i * STEP + 11) % total;
        let (verb, rest) = (k % VERBS.len(), k / VERBS.len());
        let (object, target) = (rest % OBJECTS.len(), rest / OBJECTS.len());
        format!("{} {} {}", VERBS[verb], OBJECTS[object], TARGETS[target])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_have_exactly_the_asked_phrase_count_and_keep_the_real_commands() {
        let base = CommandSet::default_dj();
        for n in [10, 100, 1000, 10_000] {
            let set = scaled_set(&base, n).unwrap();
            assert_eq!(set.phrases().count(), n);
            if n >= base.phrases().count() {
                assert!(base.commands().iter().all(|c| set.index_of(&c.id).is_some()));
            }
        }
    }
}
