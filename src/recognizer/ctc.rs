//! CTC decoding and scoring on a [frames x vocabulary] matrix of log-probabilities.
//!
//! Pure functions, used on the engine thread. `scratch` buffers are passed in by the caller so
//! scoring many phrases against one utterance allocates nothing after the first call.

/// Log-probabilities of one utterance: `frames` rows of `vocab` columns, row-major.
#[derive(Clone, Copy, Debug)]
pub struct LogProbs<'a> {
    pub data: &'a [f32],
    pub vocab: usize,
}

impl<'a> LogProbs<'a> {
    /// Wraps `data` (its length must be a multiple of `vocab`).
    pub fn new(data: &'a [f32], vocab: usize) -> Self {
        debug_assert!(vocab > 0 && data.len() % vocab == 0);
        LogProbs { data, vocab }
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.data.len() / self.vocab
    }

    /// One frame's row.
    pub fn row(&self, t: usize) -> &'a [f32] {
        &self.data[t * self.vocab..(t + 1) * self.vocab]
    }
}

#[inline]
fn log_add(a: f32, b: f32) -> f32 {
    if a == f32::NEG_INFINITY {
        return b;
    }
    if b == f32::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// Index of the largest value.
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Greedy (best-path) decoding: argmax per frame, repeats merged, blanks removed.
pub fn greedy_decode(lp: LogProbs, blank: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev = usize::MAX;
    for t in 0..lp.frames() {
        let k = argmax(lp.row(t));
        if k != prev && k != blank {
            out.push(k);
        }
        prev = k;
    }
    out
}

/// Sum over frames of the best token's log-probability: the score of free decoding.
pub fn best_path_score(lp: LogProbs) -> f32 {
    (0..lp.frames()).map(|t| lp.row(t)[argmax(lp.row(t))]).sum()
}

/// One label of a phrase: a token id, and whether the phrase may skip it (word boundaries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label {
    pub token: usize,
    pub optional: bool,
}

impl Label {
    /// A label that must be spoken.
    pub fn required(token: usize) -> Self {
        Label { token, optional: false }
    }
}

/// CTC forward log-likelihood of `labels` explaining every frame of `lp`, with optional labels
/// skippable. `scratch` is reused between calls so scoring many phrases allocates once.
pub fn forward_score(lp: LogProbs, blank: usize, labels: &[Label], scratch: &mut Vec<f32>) -> f32 {
    let frames = lp.frames();
    if frames == 0 || labels.is_empty() {
        return f32::NEG_INFINITY;
    }
    let states = 2 * labels.len() + 1;
    let token_of = |s: usize| if s % 2 == 0 { blank } else { labels[s / 2].token };
    let optional = |s: usize| s % 2 == 1 && labels[s / 2].optional;
    scratch.clear();
    scratch.resize(2 * states, f32::NEG_INFINITY);
    let (alpha, next) = scratch.split_at_mut(states);
    let row = lp.row(0);
    alpha[0] = row[blank];
    alpha[1] = row[token_of(1)];
    if optional(1) && states > 3 {
        alpha[2] = row[blank];
        alpha[3] = row[token_of(3)];
    }
    for t in 1..frames {
        let row = lp.row(t);
        for s in 0..states {
            let k = token_of(s);
            let mut acc = alpha[s];
            if s >= 1 {
                acc = log_add(acc, alpha[s - 1]);
            }
            if k != blank && s >= 2 {
                if token_of(s - 2) != k {
                    acc = log_add(acc, alpha[s - 2]);
                }
                if optional(s - 2) {
                    if s >= 3 {
                        acc = log_add(acc, alpha[s - 3]);
                    }
                    if s >= 4 && token_of(s - 4) != k {
                        acc = log_add(acc, alpha[s - 4]);
                    }
                }
            }
            next[s] = if acc == f32::NEG_INFINITY { acc } else { acc + row[k] };
        }
        alpha.copy_from_slice(next);
    }
    let mut total = log_add(alpha[states - 1], alpha[states - 2]);
    if optional(states - 2) && states > 3 {
        total = log_add(total, log_add(alpha[states - 3], alpha[states - 4]));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds log-probs where each frame puts `p` on one token and spreads the rest.
    fn frames_of(tokens: &[usize], vocab: usize, p: f32) -> Vec<f32> {
        let other = ((1.0 - p) / (vocab - 1) as f32).ln();
        tokens
            .iter()
            .flat_map(|&k| (0..vocab).map(move |v| if v == k { p.ln() } else { other }))
            .collect()
    }

    const B: usize = 0;

    #[test]
    fn greedy_merges_repeats_and_drops_blanks() {
        let data = frames_of(&[B, 1, 1, B, 1, 2, 2, B, 3], 4, 0.9);
        assert_eq!(greedy_decode(LogProbs::new(&data, 4), B), vec![1, 1, 2, 3]);
    }

    fn req(tokens: &[usize]) -> Vec<Label> {
        tokens.iter().map(|&t| Label::required(t)).collect()
    }

    #[test]
    fn whole_score_matches_hand_computation() {
        // Two frames, vocab {blank, a}; label "a". Paths: (a,a) (a,_) (_,a).
        let p = [[0.4f32, 0.6], [0.7, 0.3]];
        let data: Vec<f32> = p.iter().flat_map(|r| r.iter().map(|x| x.ln())).collect();
        let mut scratch = Vec::new();
        let score = forward_score(LogProbs::new(&data, 2), B, &req(&[1]), &mut scratch);
        let expected = (0.6 * 0.3 + 0.6 * 0.7 + 0.4 * 0.3f32).ln();
        assert!((score - expected).abs() < 1e-5, "{score} vs {expected}");
    }

    #[test]
    fn repeated_labels_need_a_blank_between() {
        let data = frames_of(&[1, 1], 2, 0.9);
        let mut scratch = Vec::new();
        assert_eq!(forward_score(LogProbs::new(&data, 2), B, &req(&[1, 1]), &mut scratch), f32::NEG_INFINITY);
    }

    #[test]
    fn the_spoken_phrase_scores_best() {
        let vocab = 6;
        let data = frames_of(&[B, 1, 1, B, 2, 3, 3, B], vocab, 0.8);
        let lp = LogProbs::new(&data, vocab);
        let mut scratch = Vec::new();
        let right = forward_score(lp, B, &req(&[1, 2, 3]), &mut scratch);
        let wrong = forward_score(lp, B, &req(&[1, 2, 4]), &mut scratch);
        assert!(right > wrong + 1.0);
        assert!(best_path_score(lp) - right < 1.0);
    }

    #[test]
    fn optional_word_boundary_may_be_skipped_or_spoken() {
        let vocab = 5; // 4 = word boundary
        let with_boundary = frames_of(&[1, B, 4, 2, B], vocab, 0.9);
        let without = frames_of(&[1, B, 2, 2, B], vocab, 0.9);
        let labels = [Label::required(1), Label { token: 4, optional: true }, Label::required(2)];
        let mut scratch = Vec::new();
        for data in [&with_boundary, &without] {
            let lp = LogProbs::new(data, vocab);
            let score = forward_score(lp, B, &labels, &mut scratch);
            assert!(best_path_score(lp) - score < 0.5, "{score}");
        }
        // Required boundary cannot be skipped.
        let strict = [Label::required(1), Label::required(4), Label::required(2)];
        let lp = LogProbs::new(&without, vocab);
        assert!(forward_score(lp, B, &strict, &mut scratch) < best_path_score(lp) - 2.0);
    }
}
