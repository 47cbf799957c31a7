//! Music-bleed canceller: subtracts the music the microphone picks up, using the music itself as
//! it arrives on the plugin's sidechain ("Music reference") input.
//!
//! Owned by the engine thread; runs at 16 kHz between the resampler and the segmenter, so the
//! voice-activity detector and the recognizers both hear the cleaned signal.
//!
//! Guarantees:
//! - With a silent or unconnected reference the microphone passes through unchanged, sample for
//!   sample and without delay.
//! - An output block never carries more energy than the microphone block it came from: a filter
//!   that has not converged, or a reference that does not match what the microphone hears
//!   (misaligned, another track), cannot add anything. The voice is uncorrelated with the music, so
//!   a filter driven by the music cannot take it away.
//! - No allocation after construction.
//!
//! Method: partitioned-block frequency-domain NLMS (overlap-save, 256-sample blocks, 8 partitions
//! = 128 ms of room response) behind a coarse delay found by GCC-PHAT over the last second (0 to
//! 512 ms). Two filters: a background filter adapts all the time; the foreground filter, which
//! makes the output, takes its coefficients only after the background one has cancelled clearly
//! better for a while. Speech over the music (double talk) throws the background filter off; it
//! is then reset from the foreground, so speech never spoils the filter in use.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// Samples per filter block (16 ms at 16 kHz): also the canceller's added latency.
pub const BLOCK: usize = 256;
/// Filter partitions; `BLOCK * PARTITIONS` samples of room response are modelled.
pub const PARTITIONS: usize = 8;
/// Longest reference-to-microphone delay searched (512 ms at 16 kHz).
pub const MAX_DELAY: usize = 8192;

const FFT_LEN: usize = 2 * BLOCK;
const BINS: usize = BLOCK + 1;
/// Microphone samples correlated per delay estimate.
const DELAY_WINDOW: usize = 16384;
/// Samples between delay estimates.
const DELAY_EVERY: usize = 8192;
const DELAY_FFT: usize = 32768;
/// The filter starts this many samples before the estimated direct path.
const DELAY_MARGIN: usize = 64;
/// Reference blocks with a lower mean square are silence (-100 dBFS).
const SILENT_POWER: f32 = 1.0e-10;
/// Silent reference blocks (about 1 s) before the canceller goes back to pass-through.
const SILENT_BLOCKS_TO_BYPASS: usize = 63;
/// Background filter step size (normalized).
const STEP: f32 = 0.5;
/// Smoothing of per-bin reference power.
const POWER_SMOOTHING: f32 = 0.9;
/// Smoothing of block energies compared between the two filters.
const ENERGY_SMOOTHING: f32 = 0.7;
/// Delay estimates in a row without a clear peak before the reference counts as lost (3 s).
const MISSES_TO_UNLOCK: u32 = 6;
/// The background filter must remove this share of the microphone energy (9 dB) to be copied.
const MIN_REDUCTION_TO_COPY: f32 = 8.0;
/// Consecutive clearly-better blocks before the background filter is copied to the foreground.
const BETTER_BLOCKS_TO_COPY: usize = 4;

/// What the canceller is doing, for the editor and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CancellerStatus {
    /// A reference signal is present and being cancelled.
    pub active: bool,
    /// The reference was found in the microphone signal (only then is anything subtracted).
    pub locked: bool,
    /// Estimated reference-to-microphone delay in ms.
    pub delay_ms: f32,
    /// Echo return loss enhancement: how much the bleed is reduced, in dB (smoothed).
    pub reduction_db: f32,
}

/// The canceller. One per stream; build it off the audio thread.
pub struct BleedCanceller {
    /// Block FFTs (2 x BLOCK) and their scratch.
    fft: Arc<dyn RealToComplex<f32>>,
    ifft: Arc<dyn ComplexToReal<f32>>,
    fft_scratch: Vec<Complex<f32>>,
    ifft_scratch: Vec<Complex<f32>>,
    time: Vec<f32>,
    freq: Vec<Complex<f32>>,
    /// Input waiting for a whole block.
    mic_block: Vec<f32>,
    ref_block: Vec<f32>,
    /// Recent reference and microphone samples, for the delay line and the estimator.
    ref_history: History,
    mic_history: History,
    /// The delayed reference: previous and current block (overlap-save input).
    x_prev: Vec<f32>,
    x_new: Vec<f32>,
    /// Reference spectra of the last `PARTITIONS` blocks; `head` is the newest.
    x_spectra: Vec<Vec<Complex<f32>>>,
    head: usize,
    /// Smoothed reference power per bin (step normalization).
    x_power: Vec<f32>,
    /// Filter making the output.
    foreground: Vec<Vec<Complex<f32>>>,
    /// Freely adapting filter.
    background: Vec<Vec<Complex<f32>>>,
    /// Echo estimates and errors of one block.
    y_fg: Vec<f32>,
    y_bg: Vec<f32>,
    e_fg: Vec<f32>,
    e_bg: Vec<f32>,
    /// Smoothed block energies: microphone, foreground error, background error.
    energy_mic: f32,
    energy_fg: f32,
    energy_bg: f32,
    better_blocks: usize,
    /// Delay applied to the reference, in samples.
    delay: usize,
    estimator: DelayEstimator,
    since_estimate: usize,
    /// The delay estimator has found the reference in the microphone signal.
    has_lock: bool,
    /// Estimates in a row that found no clear peak.
    misses: u32,
    silent_blocks: usize,
    active: bool,
}

impl Default for BleedCanceller {
    fn default() -> Self {
        Self::new()
    }
}

impl BleedCanceller {
    /// Allocates everything the canceller will ever use.
    pub fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(FFT_LEN);
        let ifft = planner.plan_fft_inverse(FFT_LEN);
        let spectra = || vec![vec![Complex::new(0.0, 0.0); BINS]; PARTITIONS];
        BleedCanceller {
            fft_scratch: fft.make_scratch_vec(),
            ifft_scratch: ifft.make_scratch_vec(),
            fft,
            ifft,
            time: vec![0.0; FFT_LEN],
            freq: vec![Complex::new(0.0, 0.0); BINS],
            mic_block: Vec::with_capacity(BLOCK),
            ref_block: Vec::with_capacity(BLOCK),
            ref_history: History::new(MAX_DELAY + DELAY_WINDOW + BLOCK),
            mic_history: History::new(DELAY_WINDOW),
            x_prev: vec![0.0; BLOCK],
            x_new: vec![0.0; BLOCK],
            x_spectra: spectra(),
            head: 0,
            x_power: vec![0.0; BINS],
            foreground: spectra(),
            background: spectra(),
            y_fg: vec![0.0; BLOCK],
            y_bg: vec![0.0; BLOCK],
            e_fg: vec![0.0; BLOCK],
            e_bg: vec![0.0; BLOCK],
            energy_mic: 0.0,
            energy_fg: 0.0,
            energy_bg: 0.0,
            better_blocks: 0,
            delay: 0,
            estimator: DelayEstimator::new(&mut planner),
            since_estimate: 0,
            has_lock: false,
            misses: 0,
            silent_blocks: 0,
            active: false,
        }
    }

    /// Cancels the bleed of `reference` from `mic` (both 16 kHz, same length) and appends the
    /// result to `out`. While a reference is present the output lags the input by up to one block.
    pub fn process(&mut self, mic: &[f32], reference: &[f32], out: &mut Vec<f32>) {
        let n = mic.len().min(reference.len());
        let (mic, reference) = (&mic[..n], &reference[..n]);
        if !self.active {
            if mean_square(reference) < SILENT_POWER {
                out.extend_from_slice(mic);
                return;
            }
            self.active = true;
            self.silent_blocks = 0;
        }
        for (i, (&m, &r)) in mic.iter().zip(reference).enumerate() {
            self.mic_block.push(m);
            self.ref_block.push(r);
            if self.mic_block.len() < BLOCK {
                continue;
            }
            self.run_block(out);
            if self.silent_blocks >= SILENT_BLOCKS_TO_BYPASS {
                // The music stopped: pass the rest straight through until it comes back.
                self.active = false;
                out.extend_from_slice(&mic[i + 1..]);
                return;
            }
        }
    }

    /// What the canceller is doing now.
    pub fn status(&self) -> CancellerStatus {
        let reduction = if self.energy_fg > 0.0 { 10.0 * (self.energy_mic / self.energy_fg).log10() } else { 0.0 };
        CancellerStatus {
            active: self.active,
            locked: self.locked(),
            delay_ms: (self.delay + DELAY_MARGIN * usize::from(self.delay > 0)) as f32 / 16.0,
            reduction_db: reduction.max(0.0),
        }
    }

    /// Forgets the room and the music (a new stream).
    pub fn reset(&mut self) {
        for filter in [&mut self.foreground, &mut self.background, &mut self.x_spectra] {
            filter.iter_mut().for_each(|p| p.fill(Complex::new(0.0, 0.0)));
        }
        self.x_power.fill(0.0);
        self.x_prev.fill(0.0);
        self.mic_block.clear();
        self.ref_block.clear();
        self.ref_history.clear();
        self.mic_history.clear();
        self.estimator.clear();
        (self.energy_mic, self.energy_fg, self.energy_bg) = (0.0, 0.0, 0.0);
        self.better_blocks = 0;
        self.delay = 0;
        self.since_estimate = 0;
        self.has_lock = false;
        self.misses = 0;
        self.silent_blocks = 0;
        self.active = false;
    }

    /// One full block: delay tracking, filtering, adaptation, output.
    fn run_block(&mut self, out: &mut Vec<f32>) {
        self.ref_history.push(&self.ref_block);
        self.mic_history.push(&self.mic_block);
        self.track_silence();
        self.track_delay();
        self.ref_history.copy_ending_at(self.delay, &mut self.x_new);
        self.push_reference_spectrum();
        filter_output(self, Filter::Foreground);
        filter_output(self, Filter::Background);
        for i in 0..BLOCK {
            self.e_fg[i] = self.mic_block[i] - self.y_fg[i];
            self.e_bg[i] = self.mic_block[i] - self.y_bg[i];
        }
        self.adapt_background();
        self.compare_filters();
        let mic_energy = energy(&self.mic_block);
        if self.locked() && energy(&self.e_fg) <= mic_energy {
            out.extend_from_slice(&self.e_fg);
        } else {
            out.extend_from_slice(&self.mic_block);
        }
        self.mic_block.clear();
        self.ref_block.clear();
    }

    fn track_silence(&mut self) {
        if mean_square(&self.ref_block) < SILENT_POWER {
            self.silent_blocks += 1;
        } else {
            self.silent_blocks = 0;
        }
    }

    /// Re-estimates the delay every [`DELAY_EVERY`] samples; a new delay restarts both filters.
    fn track_delay(&mut self) {
        self.since_estimate += BLOCK;
        if self.since_estimate < DELAY_EVERY || self.silent_blocks > 0 {
            return;
        }
        self.since_estimate = 0;
        let Some(lag) = self.estimator.estimate(&self.mic_history, &self.ref_history) else {
            self.misses = self.misses.saturating_add(1);
            return;
        };
        self.misses = 0;
        self.has_lock = true;
        let delay = lag.saturating_sub(DELAY_MARGIN);
        if delay.abs_diff(self.delay) > DELAY_MARGIN / 2 {
            self.delay = delay;
            for filter in [&mut self.foreground, &mut self.background] {
                filter.iter_mut().for_each(|p| p.fill(Complex::new(0.0, 0.0)));
            }
            self.better_blocks = 0;
        }
    }

    /// Whether the reference has been found in the microphone signal recently: until then (and
    /// after [`MISSES_TO_UNLOCK`] failed estimates) the microphone passes unchanged, so a
    /// reference that is not what the microphone hears is never used.
    fn locked(&self) -> bool {
        self.has_lock && self.misses < MISSES_TO_UNLOCK
    }

    /// FFT of [previous, current] delayed reference block into the newest partition slot.
    fn push_reference_spectrum(&mut self) {
        self.head = (self.head + PARTITIONS - 1) % PARTITIONS;
        self.time[..BLOCK].copy_from_slice(&self.x_prev);
        self.time[BLOCK..].copy_from_slice(&self.x_new);
        self.x_prev.copy_from_slice(&self.x_new);
        let spectrum = &mut self.x_spectra[self.head];
        let _ = self.fft.process_with_scratch(&mut self.time, spectrum, &mut self.fft_scratch);
        for (p, x) in self.x_power.iter_mut().zip(spectrum.iter()) {
            *p = POWER_SMOOTHING * *p + (1.0 - POWER_SMOOTHING) * x.norm_sqr();
        }
    }

    /// Constrained NLMS step of the background filter towards this block's error.
    fn adapt_background(&mut self) {
        self.time[..BLOCK].fill(0.0);
        self.time[BLOCK..].copy_from_slice(&self.e_bg);
        let _ = self.fft.process_with_scratch(&mut self.time, &mut self.freq, &mut self.fft_scratch);
        let mean_power = self.x_power.iter().sum::<f32>() / BINS as f32;
        let regularization = 0.01 * mean_power + 1.0e-10;
        for p in 0..PARTITIONS {
            let x = &self.x_spectra[(self.head + p) % PARTITIONS];
            let w = &mut self.background[p];
            for k in 0..BINS {
                let norm = STEP / (PARTITIONS as f32 * self.x_power[k] + regularization);
                w[k] += x[k].conj() * self.freq[k] * norm;
            }
            constrain(w, &mut self.time, &self.fft, &self.ifft, &mut self.fft_scratch, &mut self.ifft_scratch);
        }
    }

    /// Two-path logic: promote a background filter that cancels clearly better, reset one that
    /// went astray.
    fn compare_filters(&mut self) {
        let smooth = |acc: f32, block: &[f32]| ENERGY_SMOOTHING * acc + (1.0 - ENERGY_SMOOTHING) * energy(block);
        self.energy_mic = smooth(self.energy_mic, &self.mic_block);
        self.energy_fg = smooth(self.energy_fg, &self.e_fg);
        self.energy_bg = smooth(self.energy_bg, &self.e_bg);
        // Over speech the background filter can briefly track the voice itself; it is only
        // trusted when it removes most of the microphone signal, which happens on music alone.
        if self.energy_bg < 0.7 * self.energy_fg && self.energy_bg * MIN_REDUCTION_TO_COPY < self.energy_mic {
            self.better_blocks += 1;
        } else {
            self.better_blocks = 0;
        }
        if self.better_blocks >= BETTER_BLOCKS_TO_COPY {
            copy_filter(&mut self.foreground, &self.background);
            self.energy_fg = self.energy_bg;
            self.better_blocks = 0;
        } else if self.energy_bg > 8.0 * self.energy_fg.max(1.0e-12) {
            copy_filter(&mut self.background, &self.foreground);
            self.energy_bg = self.energy_fg;
        }
    }
}

#[derive(Clone, Copy)]
enum Filter {
    Foreground,
    Background,
}

/// Echo estimate of one filter for the current block.
fn filter_output(c: &mut BleedCanceller, which: Filter) {
    let (weights, out) = match which {
        Filter::Foreground => (&c.foreground, &mut c.y_fg),
        Filter::Background => (&c.background, &mut c.y_bg),
    };
    c.freq.fill(Complex::new(0.0, 0.0));
    for (p, w) in weights.iter().enumerate() {
        let x = &c.x_spectra[(c.head + p) % PARTITIONS];
        for k in 0..BINS {
            c.freq[k] += w[k] * x[k];
        }
    }
    zero_edge_imaginary(&mut c.freq);
    let _ = c.ifft.process_with_scratch(&mut c.freq, &mut c.time, &mut c.ifft_scratch);
    let scale = 1.0 / FFT_LEN as f32;
    for (o, t) in out.iter_mut().zip(&c.time[BLOCK..]) {
        *o = t * scale;
    }
}

/// Keeps a partition's impulse response to its first `BLOCK` taps (linear, not circular,
/// convolution).
fn constrain(
    w: &mut [Complex<f32>],
    time: &mut [f32],
    fft: &Arc<dyn RealToComplex<f32>>,
    ifft: &Arc<dyn ComplexToReal<f32>>,
    fft_scratch: &mut [Complex<f32>],
    ifft_scratch: &mut [Complex<f32>],
) {
    zero_edge_imaginary(w);
    let _ = ifft.process_with_scratch(w, time, ifft_scratch);
    let scale = 1.0 / FFT_LEN as f32;
    time[..BLOCK].iter_mut().for_each(|t| *t *= scale);
    time[BLOCK..].fill(0.0);
    let _ = fft.process_with_scratch(time, w, fft_scratch);
}

/// A real signal's spectrum has real DC and Nyquist bins; the inverse FFT insists on it.
fn zero_edge_imaginary(spectrum: &mut [Complex<f32>]) {
    if let Some(first) = spectrum.first_mut() {
        first.im = 0.0;
    }
    if let Some(last) = spectrum.last_mut() {
        last.im = 0.0;
    }
}

fn copy_filter(to: &mut [Vec<Complex<f32>>], from: &[Vec<Complex<f32>>]) {
    for (t, f) in to.iter_mut().zip(from) {
        t.copy_from_slice(f);
    }
}

fn energy(x: &[f32]) -> f32 {
    x.iter().map(|v| v * v).sum()
}

fn mean_square(x: &[f32]) -> f32 {
    if x.is_empty() {
        0.0
    } else {
        energy(x) / x.len() as f32
    }
}

/// A fixed-size circular record of the newest samples.
struct History {
    data: Vec<f32>,
    /// Index of the next write.
    next: usize,
}

impl History {
    fn new(len: usize) -> Self {
        History { data: vec![0.0; len], next: 0 }
    }

    fn push(&mut self, samples: &[f32]) {
        for &s in samples {
            self.data[self.next] = s;
            self.next = (self.next + 1) % self.data.len();
        }
    }

    /// Fills `out` with the samples that end `back` samples before the newest one.
    fn copy_ending_at(&self, back: usize, out: &mut [f32]) {
        let len = self.data.len();
        let start = (self.next + 2 * len - back - out.len()) % len;
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.data[(start + i) % len];
        }
    }

    fn clear(&mut self) {
        self.data.fill(0.0);
        self.next = 0;
    }
}

/// Finds the reference-to-microphone delay with GCC-PHAT over the last [`DELAY_WINDOW`] samples.
struct DelayEstimator {
    fft: Arc<dyn RealToComplex<f32>>,
    ifft: Arc<dyn ComplexToReal<f32>>,
    scratch: Vec<Complex<f32>>,
    mic: Vec<f32>,
    reference: Vec<f32>,
    mic_spectrum: Vec<Complex<f32>>,
    ref_spectrum: Vec<Complex<f32>>,
    /// Cross spectrum, smoothed over estimates.
    cross: Vec<Complex<f32>>,
    correlation: Vec<f32>,
    /// The last lag seen, so a new delay is only taken when it repeats.
    candidate: Option<usize>,
}

impl DelayEstimator {
    fn new(planner: &mut RealFftPlanner<f32>) -> Self {
        let fft = planner.plan_fft_forward(DELAY_FFT);
        let ifft = planner.plan_fft_inverse(DELAY_FFT);
        let bins = DELAY_FFT / 2 + 1;
        let scratch_len = fft.get_scratch_len().max(ifft.get_scratch_len());
        DelayEstimator {
            fft,
            ifft,
            scratch: vec![Complex::new(0.0, 0.0); scratch_len],
            mic: vec![0.0; DELAY_FFT],
            reference: vec![0.0; DELAY_FFT],
            mic_spectrum: vec![Complex::new(0.0, 0.0); bins],
            ref_spectrum: vec![Complex::new(0.0, 0.0); bins],
            cross: vec![Complex::new(0.0, 0.0); bins],
            correlation: vec![0.0; DELAY_FFT],
            candidate: None,
        }
    }

    fn clear(&mut self) {
        self.cross.fill(Complex::new(0.0, 0.0));
        self.candidate = None;
    }

    /// The lag (microphone behind reference, in samples) once the same clear peak is seen twice.
    fn estimate(&mut self, mic: &History, reference: &History) -> Option<usize> {
        // mic[i] = m(t0 + MAX_DELAY + i); reference[j] = r(t0 + j): correlation at shift j is the
        // lag MAX_DELAY - j.
        self.mic.fill(0.0);
        mic.copy_ending_at(0, &mut self.mic[..DELAY_WINDOW]);
        self.reference.fill(0.0);
        reference.copy_ending_at(0, &mut self.reference[..DELAY_WINDOW + MAX_DELAY]);
        let _ = self.fft.process_with_scratch(&mut self.mic, &mut self.mic_spectrum, &mut self.scratch);
        let _ = self.fft.process_with_scratch(&mut self.reference, &mut self.ref_spectrum, &mut self.scratch);
        for ((c, m), r) in self.cross.iter_mut().zip(&self.mic_spectrum).zip(&self.ref_spectrum) {
            let x = m.conj() * r;
            let phat = x / (x.norm() + 1.0e-12);
            *c = *c * 0.5 + phat * 0.5;
        }
        self.mic_spectrum.copy_from_slice(&self.cross);
        zero_edge_imaginary(&mut self.mic_spectrum);
        let _ = self.ifft.process_with_scratch(&mut self.mic_spectrum, &mut self.correlation, &mut self.scratch);
        let lag = self.clear_peak()?;
        let repeated = self.candidate.is_some_and(|c| c.abs_diff(lag) <= 2);
        self.candidate = Some(lag);
        repeated.then_some(lag)
    }

    /// The smallest lag whose correlation is within 80% of the highest, if the highest stands
    /// well above the rest.
    fn clear_peak(&self) -> Option<usize> {
        let values = &self.correlation[..=MAX_DELAY];
        let (best_shift, best) = values.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1))?;
        let mean_abs = values.iter().map(|v| v.abs()).sum::<f32>() / values.len() as f32;
        if best <= 0.0 || best < 12.0 * mean_abs {
            return None;
        }
        // Repeating music (loops) correlates at whole beats too: prefer the shortest path.
        let shift = (best_shift..=MAX_DELAY).rev().find(|&j| values[j] >= 0.8 * best).unwrap_or(best_shift);
        Some(MAX_DELAY - shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic noise-like "music" in [-1, 1].
    fn noise(len: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// The microphone's view of `music`: `delay` samples late through a short decaying response.
    fn bleed(music: &[f32], delay: usize) -> Vec<f32> {
        let taps = [0.6f32, 0.0, 0.25, -0.1, 0.0, 0.0, 0.08, 0.05, -0.03];
        (0..music.len())
            .map(|n| {
                taps.iter()
                    .enumerate()
                    .filter_map(|(k, h)| n.checked_sub(delay + k * 7).map(|i| h * music[i]))
                    .sum()
            })
            .collect()
    }

    fn run(canceller: &mut BleedCanceller, mic: &[f32], reference: &[f32], chunk: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(mic.len() + BLOCK);
        for (m, r) in mic.chunks(chunk).zip(reference.chunks(chunk)) {
            canceller.process(m, r, &mut out);
        }
        out
    }

    fn power(x: &[f32]) -> f32 {
        mean_square(x)
    }

    #[test]
    fn silent_reference_passes_the_microphone_unchanged() {
        let mic = noise(40_000, 3);
        let mut c = BleedCanceller::new();
        let out = run(&mut c, &mic, &vec![0.0; mic.len()], 333);
        assert_eq!(out, mic);
        assert!(!c.status().active);
    }

    #[test]
    fn cancels_delayed_filtered_bleed_by_more_than_20_db() {
        let music: Vec<f32> = noise(16_000 * 8, 7).iter().map(|x| 0.1 * x).collect();
        let mic = bleed(&music, 1000);
        let mut c = BleedCanceller::new();
        let out = run(&mut c, &mic, &music, 160);
        let tail = out.len() - 16_000..out.len() - BLOCK;
        let reduction = 10.0 * (power(&mic[tail.clone()]) / power(&out[tail])).log10();
        assert!(reduction > 20.0, "reduction {reduction:.1} dB, status {:?}", c.status());
        let delay = c.status().delay_ms;
        assert!((delay - 62.5).abs() < 2.0, "delay {delay} ms");
    }

    #[test]
    fn keeps_the_voice_while_removing_the_music() {
        let rate = 16_000;
        let music: Vec<f32> = noise(rate * 8, 11).iter().map(|x| 0.1 * x).collect();
        // A "voice": a pitched tone with vibrato over the last 2 s, as loud as the bleed.
        let voice: Vec<f32> = (0..music.len())
            .map(|n| {
                if n < rate * 6 {
                    return 0.0;
                }
                let t = n as f32 / rate as f32;
                0.08 * (2.0 * std::f32::consts::PI * (180.0 * t + 3.0 * (5.0 * t).sin())).sin()
            })
            .collect();
        let bleed = bleed(&music, 400);
        let mic: Vec<f32> = bleed.iter().zip(&voice).map(|(b, v)| b + v).collect();
        let mut c = BleedCanceller::new();
        let out = run(&mut c, &mic, &music, 256);
        let window = rate * 6 + 4000..rate * 8 - 2 * BLOCK;
        let residual: f32 = window.clone().map(|n| (out[n] - voice[n]).powi(2)).sum::<f32>() / window.len() as f32;
        let voice_power = power(&voice[window.clone()]);
        let bleed_power = power(&bleed[window.clone()]);
        assert!(residual < voice_power / 30.0, "residual {residual:e} voice {voice_power:e} bleed {bleed_power:e}");
    }

    #[test]
    fn unrelated_reference_never_removes_the_voice() {
        let rate = 16_000;
        let voice: Vec<f32> = (0..rate * 6)
            .map(|n| 0.1 * (2.0 * std::f32::consts::PI * 220.0 * n as f32 / rate as f32).sin())
            .collect();
        // The microphone hears only the voice; the reference is music that never reaches it.
        let reference: Vec<f32> = noise(voice.len(), 5).iter().map(|x| 0.3 * x).collect();
        let mut c = BleedCanceller::new();
        let out = run(&mut c, &voice, &reference, 512);
        let window = rate..rate * 6 - 2 * BLOCK;
        let out_power = power(&out[window.clone()]);
        let voice_power = power(&voice[window]);
        let change_db = 10.0 * (out_power / voice_power).log10();
        assert!(change_db.abs() < 0.5, "voice level changed by {change_db:.2} dB");
    }

    #[test]
    fn goes_back_to_pass_through_when_the_music_stops() {
        let music: Vec<f32> = noise(16_000 * 2, 9).iter().map(|x| 0.1 * x).collect();
        let mut reference = music.clone();
        reference.extend(std::iter::repeat(0.0).take(16_000 * 2));
        let mic = noise(reference.len(), 13);
        let mut c = BleedCanceller::new();
        let out = run(&mut c, &mic, &reference, 400);
        assert!(!c.status().active);
        // Everything came out (nothing held back), and the end is the microphone itself.
        assert_eq!(out.len(), mic.len());
        assert_eq!(out[out.len() - 8000..], mic[mic.len() - 8000..]);
    }
}
