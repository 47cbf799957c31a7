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

/// How the frames outside the phrase are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// The phrase must explain every frame (classic CTC likelihood).
    Whole,
    /// The phrase may start and end anywhere; frames before and after are free "filler" frames
    /// scored as the best token of that frame (keyword spotting). Comparing with
    /// [`best_path_score`] then measures only how well the phrase explains its own frames.
    Spotting,
}

/// Result of aligning one label sequence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Alignment {
    /// Log-likelihood (sum over alignments; fillers count with their best token).
    pub log_likelihood: f32,
    /// Frames covered by the phrase on the best path (for per-frame normalization).
    pub phrase_frames: usize,
}

/// CTC forward score of `labels` (no blanks inside) against `lp`.
///
/// `scratch` is resized as needed and reused between calls.
pub fn forward_score(lp: LogProbs, blank: usize, labels: &[usize], span: Span, scratch: &mut Vec<f32>) -> Alignment {
    let frames = lp.frames();
    let states = 2 * labels.len() + 1;
    if frames == 0 || labels.is_empty() {
        return Alignment { log_likelihood: f32::NEG_INFINITY, phrase_frames: 0 };
    }
    let label_of = |s: usize| if s % 2 == 0 { blank } else { labels[s / 2] };
    // Two rows of alpha plus two rows of "frames inside the phrase" for the best path.
    scratch.clear();
    scratch.resize(4 * states, f32::NEG_INFINITY);
    let (alpha, rest) = scratch.split_at_mut(states);
    let (next, rest) = rest.split_at_mut(states);
    let (len, next_len) = rest.split_at_mut(states);
    len.fill(0.0);
    next_len.fill(0.0);

    let mut filler_before = 0.0f32; // best-token score of every frame so far (prefix filler)
    let mut best_end = f32::NEG_INFINITY;
    let mut best_end_len = 0.0f32;
    let mut filler_after_total = 0.0f32; // suffix filler is folded in via `end_at`

    // Suffix filler: precompute best-token scores from the end.
    let best_token: Vec<f32> = (0..frames).map(|t| lp.row(t)[argmax(lp.row(t))]).collect();
    let mut suffix = vec![0.0f32; frames + 1];
    for t in (0..frames).rev() {
        suffix[t] = suffix[t + 1] + best_token[t];
    }

    for t in 0..frames {
        let row = lp.row(t);
        for s in 0..states {
            let k = label_of(s);
            let mut acc = alpha[s];
            let mut acc_len = len[s];
            if s >= 1 && alpha[s - 1] > f32::NEG_INFINITY {
                if alpha[s - 1] > acc {
                    acc_len = len[s - 1];
                }
                acc = log_add(acc, alpha[s - 1]);
            }
            if s >= 2 && k != blank && label_of(s - 2) != k && alpha[s - 2] > f32::NEG_INFINITY {
                if alpha[s - 2] > alpha[s].max(if s >= 1 { alpha[s - 1] } else { f32::NEG_INFINITY }) {
                    acc_len = len[s - 2];
                }
                acc = log_add(acc, alpha[s - 2]);
            }
            // Entering the phrase at this frame.
            if s <= 1 {
                let enter = if t == 0 { 0.0 } else if span == Span::Spotting { filler_before } else { f32::NEG_INFINITY };
                if t == 0 || span == Span::Spotting {
                    if enter > acc {
                        acc_len = 0.0;
                    }
                    acc = log_add(acc, enter);
                }
            }
            next[s] = if acc == f32::NEG_INFINITY { acc } else { acc + row[k] };
            next_len[s] = acc_len + 1.0;
        }
        alpha.copy_from_slice(next);
        len.copy_from_slice(next_len);
        filler_before += best_token[t];
        // Leaving the phrase after this frame.
        let end_here = log_add(alpha[states - 1], alpha[states - 2]);
        let end_len = if alpha[states - 1] >= alpha[states - 2] { len[states - 1] } else { len[states - 2] };
        let with_suffix = end_here + if span == Span::Spotting { suffix[t + 1] } else { 0.0 };
        if span == Span::Spotting || t == frames - 1 {
            if with_suffix > best_end {
                best_end_len = end_len;
            }
            best_end = log_add(best_end, with_suffix);
        }
    }
    let _ = &mut filler_after_total;
    Alignment { log_likelihood: best_end, phrase_frames: best_end_len.max(1.0) as usize }
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

    #[test]
    fn whole_score_matches_hand_computation() {
        // Two frames, vocab {blank, a}; label "a". Paths: (a,a) (a,_) (_,a).
        let p = [[0.4f32, 0.6], [0.7, 0.3]];
        let data: Vec<f32> = p.iter().flat_map(|r| r.iter().map(|x| x.ln())).collect();
        let mut scratch = Vec::new();
        let a = forward_score(LogProbs::new(&data, 2), B, &[1], Span::Whole, &mut scratch);
        let expected = (0.6 * 0.3 + 0.6 * 0.7 + 0.4 * 0.3f32).ln();
        assert!((a.log_likelihood - expected).abs() < 1e-5, "{} vs {}", a.log_likelihood, expected);
    }

    #[test]
    fn repeated_labels_need_a_blank_between() {
        // "aa" in two frames is impossible without a blank between them.
        let data = frames_of(&[1, 1], 2, 0.9);
        let mut scratch = Vec::new();
        let a = forward_score(LogProbs::new(&data, 2), B, &[1, 1], Span::Whole, &mut scratch);
        assert_eq!(a.log_likelihood, f32::NEG_INFINITY);
    }

    #[test]
    fn the_spoken_phrase_scores_best_and_spotting_ignores_surrounding_noise() {
        let vocab = 6;
        // noise (tokens 4,5) then "1 2 3" then noise.
        let data = frames_of(&[5, 4, B, 1, 1, B, 2, 3, 3, B, 4, 5], vocab, 0.8);
        let lp = LogProbs::new(&data, vocab);
        let mut scratch = Vec::new();
        let right = forward_score(lp, B, &[1, 2, 3], Span::Spotting, &mut scratch);
        let wrong = forward_score(lp, B, &[1, 2, 4], Span::Spotting, &mut scratch);
        assert!(right.log_likelihood > wrong.log_likelihood + 1.0);
        // The phrase explains its frames about as well as free decoding does.
        let free = best_path_score(lp);
        assert!(free - right.log_likelihood < 1.0, "free {free} right {}", right.log_likelihood);
        assert!((5..=9).contains(&right.phrase_frames), "{}", right.phrase_frames);
        let whole = forward_score(lp, B, &[1, 2, 3], Span::Whole, &mut scratch);
        assert!(whole.log_likelihood < right.log_likelihood - 3.0);
    }
}
