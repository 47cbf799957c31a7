//! Phonetic normalization of transcripts: each word gets a phonetic key (a compact
//! metaphone-style code), and a transcript word that is not in the command vocabulary is replaced
//! by the vocabulary word whose key is closest ("hey laughed" -> "play left"), so ASR spelling
//! errors do not reach the text embedding.
//!
//! Pure functions; the vocabulary is built with the command set on the engine thread.

use std::collections::BTreeSet;

/// Phonetic key of one lowercase word: consonant skeleton with sound-alike letters merged and
/// vowels kept only at the start (as a single 'A').
pub fn phonetic_key(word: &str) -> String {
    let w: Vec<char> = word.chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_lowercase()).collect();
    let mut key = String::new();
    let mut i = 0;
    while i < w.len() {
        let c = w[i];
        let next = w.get(i + 1).copied();
        let (code, skip) = match (c, next) {
            ('p', Some('h')) => ("F", 2),
            // "laugh", "tough" sound an F; "eight", "night" are silent.
            ('g', Some('h')) if i > 0 && w[i - 1] != 'i' && w.get(i + 2) != Some(&'t') => ("F", 2),
            ('g', Some('h')) => ("", 2),
            ('s', Some('h')) | ('c', Some('h')) => ("X", 2),
            ('t', Some('h')) => ("0", 2),
            ('c', Some('k')) => ("K", 2),
            ('c', Some('e' | 'i' | 'y')) => ("S", 1),
            ('c' | 'k' | 'q', _) => ("K", 1),
            ('x', _) => ("KS", 1),
            ('g', Some('e' | 'i' | 'y')) => ("J", 1),
            ('j', _) => ("J", 1),
            ('g', _) => ("K", 1),
            ('b' | 'p', _) => ("P", 1),
            ('d' | 't', _) => ("T", 1),
            ('v' | 'f', _) => ("F", 1),
            ('s' | 'z', _) => ("S", 1),
            ('w' | 'y' | 'h', _) if i > 0 => ("", 1),
            ('w', _) => ("W", 1),
            ('y', _) => ("Y", 1),
            ('h', _) => ("H", 1),
            ('a' | 'e' | 'i' | 'o' | 'u', _) if i == 0 => ("A", 1),
            ('a' | 'e' | 'i' | 'o' | 'u', _) => ("", 1),
            ('l', _) => ("L", 1),
            ('m', _) => ("M", 1),
            ('n', _) => ("N", 1),
            ('r', _) => ("R", 1),
            _ => ("", 1),
        };
        if !key.ends_with(code) || code.is_empty() {
            key.push_str(code);
        }
        i += skip;
    }
    key
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The words of a command set, with their keys.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    words: Vec<(String, String)>,
}

impl Vocabulary {
    /// Collects the distinct words of `phrases`.
    pub fn from_phrases<'a>(phrases: impl Iterator<Item = &'a str>) -> Self {
        let set: BTreeSet<&str> = phrases.flat_map(str::split_whitespace).collect();
        Vocabulary { words: set.into_iter().map(|w| (w.to_string(), phonetic_key(w))).collect() }
    }

    /// Replaces each out-of-vocabulary word with the closest-sounding vocabulary word (key edit
    /// distance at most one third of the key length); other words stay.
    pub fn normalize(&self, transcript: &str) -> String {
        transcript
            .split_whitespace()
            .map(|w| {
                let w = w.to_lowercase();
                if self.words.iter().any(|(v, _)| *v == w) {
                    return w;
                }
                let key = phonetic_key(&w);
                let best = self.words.iter().map(|(v, k)| (edit_distance(&key, k), v)).min_by_key(|(d, _)| *d);
                match best {
                    Some((d, v)) if d <= key.len() / 3 && !key.is_empty() => v.clone(),
                    _ => w,
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sound_alike_words_share_keys() {
        assert_eq!(phonetic_key("phase"), phonetic_key("faze"));
        assert_eq!(phonetic_key("cue"), phonetic_key("queue"));
        assert_eq!(phonetic_key("deck"), phonetic_key("dec"));
        assert_ne!(phonetic_key("play"), phonetic_key("pause"));
    }

    #[test]
    fn misheard_words_snap_to_the_command_vocabulary() {
        let vocab = Vocabulary::from_phrases(["play left", "sync deck a", "loop eight deck b"].into_iter());
        assert_eq!(vocab.normalize("hey laughed"), "hey left");
        assert_eq!(vocab.normalize("sink deck a"), "sync deck a");
        assert_eq!(vocab.normalize("loop ate dec b"), "loop eight deck b");
        assert_eq!(vocab.normalize("blay left"), "play left");
    }
}
