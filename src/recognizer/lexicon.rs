//! Spelling command phrases in the acoustic model's tokens: letters for character CTC models
//! (wav2vec2 style), phonemes via CMUdict for phoneme CTC models.
//!
//! Built once per model on the engine thread and shared read-only by `Arc`. Unknown words never
//! fail: characters are always spellable, and phoneme spelling falls back to letter rules.

use std::collections::HashMap;
use std::path::Path;

use crate::onnx::ModelError;
use crate::recognizer::ctc::Label;

/// Pronunciation variants kept per phrase (CMUdict alternatives multiply).
const MAX_VARIANTS: usize = 16;

/// How phrases become token sequences.
pub enum Lexicon {
    /// Character vocabulary: uppercase letters and apostrophe; `boundary` between words.
    Characters { ids: HashMap<String, usize>, boundary: Option<usize> },
    /// Phoneme vocabulary: words -> ARPAbet (CMUdict) -> model tokens.
    Phonemes { dict: HashMap<String, Vec<Vec<String>>>, arpabet: HashMap<String, Vec<usize>>, boundary: Option<usize> },
}

impl Lexicon {
    /// A character lexicon over `tokens`.
    pub fn characters(tokens: &[String], boundary: Option<usize>) -> Self {
        let ids = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i)).collect();
        Lexicon::Characters { ids, boundary }
    }

    /// A phoneme lexicon from a CMUdict file and a JSON map {ARPAbet: [model tokens]}.
    pub fn phonemes(tokens: &[String], boundary: Option<usize>, cmudict: &Path, mapping: &Path) -> Result<Self, ModelError> {
        let broken = |p: &Path, reason: String| ModelError::ModelBroken { path: p.to_path_buf(), reason };
        let missing = |p: &Path| ModelError::ModelMissing { path: p.to_path_buf() };
        let dict_text = std::fs::read_to_string(cmudict).map_err(|_| missing(cmudict))?;
        let map_text = std::fs::read_to_string(mapping).map_err(|_| missing(mapping))?;
        let raw: HashMap<String, Vec<String>> = serde_json::from_str(&map_text).map_err(|e| broken(mapping, e.to_string()))?;
        let mut arpabet = HashMap::new();
        for (phone, symbols) in raw {
            let ids = symbols
                .iter()
                .map(|s| tokens.iter().position(|t| t == s).ok_or_else(|| broken(mapping, format!("{phone}: symbol {s:?} is not in the model's vocabulary"))))
                .collect::<Result<Vec<_>, _>>()?;
            arpabet.insert(phone, ids);
        }
        Ok(Lexicon::Phonemes { dict: parse_cmudict(&dict_text), arpabet, boundary })
    }

    /// Token sequences for a normalized phrase (one per pronunciation variant).
    pub fn spell(&self, phrase: &str) -> Vec<Vec<Label>> {
        let words: Vec<String> = phrase.split_whitespace().flat_map(expand_word).collect();
        let (per_word, boundary): (Vec<Vec<Vec<usize>>>, Option<usize>) = match self {
            Lexicon::Characters { ids, boundary } => (words.iter().map(|w| vec![spell_letters(w, ids)]).collect(), *boundary),
            Lexicon::Phonemes { dict, arpabet, boundary } => {
                (words.iter().map(|w| word_phonemes(w, dict).iter().map(|p| to_tokens(p, arpabet)).collect()).collect(), *boundary)
            }
        };
        let mut variants: Vec<Vec<Label>> = vec![Vec::new()];
        for (i, options) in per_word.iter().enumerate() {
            let mut grown = Vec::new();
            for prefix in &variants {
                for option in options.iter().filter(|o| !o.is_empty()) {
                    let mut v = prefix.clone();
                    if i > 0 && !v.is_empty() {
                        if let Some(b) = boundary {
                            v.push(Label { token: b, optional: true });
                        }
                    }
                    v.extend(option.iter().map(|&t| Label::required(t)));
                    if !grown.contains(&v) {
                        grown.push(v);
                    }
                }
            }
            if !grown.is_empty() {
                grown.truncate(MAX_VARIANTS);
                variants = grown;
            }
        }
        variants.retain(|v| !v.is_empty());
        variants
    }
}

/// Reads CMUdict ("word(2) P R AH0 N ..." lines), stress marks removed.
fn parse_cmudict(text: &str) -> HashMap<String, Vec<Vec<String>>> {
    let mut dict: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let Some(head) = parts.next() else { continue };
        let word = head.split('(').next().unwrap_or(head).to_lowercase();
        let phones: Vec<String> = parts
            .take_while(|p| !p.starts_with('#'))
            .map(|p| p.trim_end_matches(|c: char| c.is_ascii_digit()).to_string())
            .collect();
        if !phones.is_empty() {
            dict.entry(word).or_default().push(phones);
        }
    }
    dict
}

/// Digits become number words ("8" -> "eight"); everything else passes.
fn expand_word(word: &str) -> Vec<String> {
    match word.parse::<u32>() {
        Ok(n) if n < 100 => number_words(n).split(' ').map(str::to_string).collect(),
        _ => vec![word.to_string()],
    }
}

fn number_words(n: u32) -> String {
    const ONES: [&str; 20] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];
    const TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    match n {
        0..=19 => ONES[n as usize].to_string(),
        _ if n % 10 == 0 => TENS[(n / 10) as usize].to_string(),
        _ => format!("{} {}", TENS[(n / 10) as usize], ONES[(n % 10) as usize]),
    }
}

fn spell_letters(word: &str, ids: &HashMap<String, usize>) -> Vec<usize> {
    word.chars()
        .filter_map(|c| ids.get(&c.to_uppercase().to_string()).or_else(|| ids.get(&c.to_string())).copied())
        .collect()
}

/// Letter names, as a DJ says "deck a".
fn letter_name(c: char) -> Option<&'static str> {
    const NAMES: [&str; 26] = [
        "EY", "B IY", "S IY", "D IY", "IY", "EH F", "JH IY", "EY CH", "AY", "JH EY", "K EY", "EH L", "EH M", "EH N", "OW",
        "P IY", "K Y UW", "AA R", "EH S", "T IY", "Y UW", "V IY", "D AH B AH L Y UW", "EH K S", "W AY", "Z IY",
    ];
    c.is_ascii_lowercase().then(|| NAMES[(c as u8 - b'a') as usize])
}

fn word_phonemes(word: &str, dict: &HashMap<String, Vec<Vec<String>>>) -> Vec<Vec<String>> {
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if let Some(name) = letter_name(c) {
            return vec![name.split(' ').map(str::to_string).collect()];
        }
    }
    if let Some(prons) = dict.get(word) {
        return prons.clone();
    }
    vec![letter_rules(word)]
}

/// Rough letter-to-sound rules for words CMUdict lacks (brand names, slang).
fn letter_rules(word: &str) -> Vec<String> {
    const DIGRAPHS: [(&str, &str); 10] = [
        ("sh", "SH"), ("ch", "CH"), ("th", "TH"), ("ng", "NG"), ("ph", "F"), ("ck", "K"), ("ee", "IY"), ("oo", "UW"),
        ("ai", "EY"), ("ou", "AW"),
    ];
    const SINGLE: [&str; 26] = [
        "AE", "B", "K", "D", "EH", "F", "G", "HH", "IH", "JH", "K", "L", "M", "N", "AA", "P", "K", "R", "S", "T", "AH", "V",
        "W", "K S", "Y", "Z",
    ];
    let w: Vec<char> = word.chars().filter(|c| c.is_ascii_lowercase()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < w.len() {
        if i + 1 < w.len() {
            let pair: String = w[i..i + 2].iter().collect();
            if let Some((_, p)) = DIGRAPHS.iter().find(|(g, _)| *g == pair) {
                out.push(p.to_string());
                i += 2;
                continue;
            }
        }
        out.extend(SINGLE[(w[i] as u8 - b'a') as usize].split(' ').map(str::to_string));
        i += 1;
    }
    out.dedup();
    out
}

fn to_tokens(phones: &[String], arpabet: &HashMap<String, Vec<usize>>) -> Vec<usize> {
    phones.iter().flat_map(|p| arpabet.get(p).cloned().unwrap_or_default()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn characters_spell_words_with_optional_boundaries_and_numbers() {
        let vocab = tokens(&["<pad>", "|", "A", "B", "D", "E", "C", "K", "I", "G", "H", "T"]);
        let lex = Lexicon::characters(&vocab, Some(1));
        let v = lex.spell("deck 8");
        assert_eq!(v.len(), 1);
        let ids: Vec<usize> = v[0].iter().map(|l| l.token).collect();
        // D E C K | E I G H T
        assert_eq!(ids, vec![4, 5, 6, 7, 1, 5, 8, 9, 10, 11]);
        assert!(v[0][4].optional);
    }

    #[test]
    fn phonemes_use_cmudict_variants_letter_names_and_fallback_rules() {
        let dict = parse_cmudict("deck  D EH1 K\nplay P L EY1\nthe DH AH0\nthe(2) DH IY0\n");
        assert_eq!(dict["the"].len(), 2);
        assert_eq!(word_phonemes("a", &dict), vec![vec!["EY".to_string()]]);
        assert_eq!(word_phonemes("deck", &dict), vec![vec!["D".to_string(), "EH".into(), "K".into()]]);
        assert_eq!(letter_rules("shazz"), vec!["SH", "AE", "Z"]);
    }
}
