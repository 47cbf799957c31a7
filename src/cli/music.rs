//! Music the project makes itself for the robustness sweep: synthesized club tracks (house,
//! techno, hip-hop, drum and bass, with a formant "vocal" line) and the path from the booth's
//! speakers to the microphone (delay, early reflections, a reverberant tail, mild speaker
//! saturation).
//!
//! Runs on the CLI's main thread. Deterministic: the same seed gives the same audio everywhere,
//! so sweep figures can be reproduced.

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

/// A small deterministic random source (SplitMix64).
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in [-1, 1).
    pub fn noise(&mut self) -> f32 {
        self.unit() * 2.0 - 1.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Track styles, so the sweep hears more than one kind of music.
#[derive(Clone, Copy, Debug)]
pub enum Style {
    House,
    Techno,
    HipHop,
    DrumAndBass,
}

pub const STYLES: [Style; 4] = [Style::House, Style::Techno, Style::HipHop, Style::DrumAndBass];

impl Style {
    fn bpm(self) -> f32 {
        match self {
            Style::House => 124.0,
            Style::Techno => 132.0,
            Style::HipHop => 92.0,
            Style::DrumAndBass => 172.0,
        }
    }

    /// 16-step patterns: kick, snare/clap, hat.
    fn drums(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Style::House => ("x...x...x...x...", "....x.......x...", "..x...x...x...x."),
            Style::Techno => ("x...x...x...x...", "................", "xxxxxxxxxxxxxxxx"),
            Style::HipHop => ("x.....x...x.....", "....x.......x...", "x.x.x.x.x.x.x.x."),
            Style::DrumAndBass => ("x.........x.....", "....x.......x...", "x.xxx.xxx.xxx.xx"),
        }
    }
}

/// Renders `seconds` of a track at `rate`, normalized to -20 dBFS RMS.
pub fn render_track(style: Style, seconds: f32, rate: u32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let rate_f = rate as f32;
    let len = (seconds * rate_f) as usize;
    let mut out = vec![0.0f32; len];
    let step = 60.0 / style.bpm() / 4.0;
    let steps = (seconds / step) as usize + 1;
    let (kick, snare, hat) = style.drums();
    let root = 40.0 + rng.below(8) as f32; // MIDI note of the bass root
    let progression = [0.0, -4.0, 3.0, -2.0];
    for s in 0..steps {
        let at = (s as f32 * step * rate_f) as usize;
        let swing = if matches!(style, Style::HipHop) && s % 2 == 1 { (0.12 * step * rate_f) as usize } else { 0 };
        let pos = s % 16;
        let bar = s / 16;
        let chord_root = root + progression[bar % 4];
        if kick.as_bytes()[pos] == b'x' {
            add(&mut out, at, &kick_drum(rate_f, 0.9));
        }
        if snare.as_bytes()[pos] == b'x' {
            add(&mut out, at, &snare_drum(rate_f, &mut rng, 0.5));
        }
        if hat.as_bytes()[pos] == b'x' {
            add(&mut out, at + swing, &hi_hat(rate_f, &mut rng, if pos % 4 == 2 { 0.25 } else { 0.12 }));
        }
        if bass_plays(style, pos) {
            let note = chord_root + [0.0, 0.0, 7.0, 12.0][rng.below(4)];
            add(&mut out, at, &bass(style, rate_f, note, step * 2.0, &mut rng));
        }
        if pos == 0 {
            add(&mut out, at, &pad(rate_f, chord_root + 24.0, step * 16.0, &mut rng));
        }
        if pos % 8 == 0 && bar % 2 == 1 {
            let vowel = rng.below(VOWELS.len());
            let pitch = chord_root + 24.0 + [0.0, 3.0, 7.0, 10.0][rng.below(4)];
            add(&mut out, at, &vocal(rate_f, pitch, step * 6.0, VOWELS[vowel], &mut rng));
        }
    }
    for x in out.iter_mut() {
        *x = (1.5 * *x).tanh() / 1.5;
    }
    normalize_rms(&mut out, -20.0);
    out
}

fn bass_plays(style: Style, pos: usize) -> bool {
    match style {
        Style::House => pos % 4 == 2,
        Style::Techno => pos % 2 == 1,
        Style::HipHop => pos == 0 || pos == 6 || pos == 10,
        Style::DrumAndBass => pos % 8 == 0 || pos == 11,
    }
}

fn add(out: &mut [f32], at: usize, sound: &[f32]) {
    for (o, s) in out.iter_mut().skip(at).zip(sound) {
        *o += s;
    }
}

fn midi_hz(note: f32) -> f32 {
    440.0 * 2f32.powf((note - 69.0) / 12.0)
}

fn kick_drum(rate: f32, gain: f32) -> Vec<f32> {
    let len = (0.35 * rate) as usize;
    let mut phase = 0.0f32;
    (0..len)
        .map(|i| {
            let t = i as f32 / rate;
            let hz = 50.0 + 110.0 * (-t * 30.0).exp();
            phase += 2.0 * std::f32::consts::PI * hz / rate;
            gain * phase.sin() * (-t * 9.0).exp()
        })
        .collect()
}

fn snare_drum(rate: f32, rng: &mut Rng, gain: f32) -> Vec<f32> {
    let len = (0.2 * rate) as usize;
    let mut bp = Svf::new(1800.0, 0.8, rate);
    (0..len)
        .map(|i| {
            let t = i as f32 / rate;
            let tone = (2.0 * std::f32::consts::PI * 190.0 * t).sin() * (-t * 25.0).exp();
            gain * (0.6 * bp.band(rng.noise()) * (-t * 18.0).exp() + 0.4 * tone)
        })
        .collect()
}

fn hi_hat(rate: f32, rng: &mut Rng, gain: f32) -> Vec<f32> {
    let len = (0.06 * rate) as usize;
    let mut hp = Svf::new(5500.0_f32.min(rate * 0.4), 0.7, rate);
    (0..len).map(|i| gain * hp.high(rng.noise()) * (-(i as f32 / rate) * 60.0).exp()).collect()
}

fn bass(style: Style, rate: f32, note: f32, seconds: f32, rng: &mut Rng) -> Vec<f32> {
    let len = (seconds * rate) as usize;
    let hz = midi_hz(note - 12.0);
    let detune = if matches!(style, Style::DrumAndBass) { 1.007 } else { 1.0 };
    let cutoff = match style {
        Style::Techno => rng.range(300.0, 1500.0),
        _ => 400.0,
    };
    let mut lp = Svf::new(cutoff, 2.5, rate);
    let (mut p1, mut p2) = (0.0f32, 0.3f32);
    (0..len)
        .map(|i| {
            let t = i as f32 / rate;
            p1 = (p1 + hz / rate) % 1.0;
            p2 = (p2 + hz * detune / rate) % 1.0;
            let saw = (2.0 * p1 - 1.0) + (2.0 * p2 - 1.0);
            let env = (1.0 - (-t * 200.0).exp()) * (-t * 3.0).exp();
            0.35 * lp.low(saw) * env
        })
        .collect()
}

fn pad(rate: f32, note: f32, seconds: f32, rng: &mut Rng) -> Vec<f32> {
    let len = (seconds * rate) as usize;
    let notes = [note, note + 3.0, note + 7.0];
    let mut phases: Vec<f32> = (0..6).map(|_| rng.unit()).collect();
    let mut lp = Svf::new(1200.0, 0.7, rate);
    (0..len)
        .map(|i| {
            let t = i as f32 / rate;
            let mut s = 0.0;
            for (k, p) in phases.iter_mut().enumerate() {
                let hz = midi_hz(notes[k % 3]) * if k < 3 { 1.0 } else { 1.004 };
                *p = (*p + hz / rate) % 1.0;
                s += 2.0 * *p - 1.0;
            }
            let env = (t / 0.3).min(1.0) * ((seconds - t) / 0.3).clamp(0.0, 1.0);
            0.05 * lp.low(s) * env
        })
        .collect()
}

/// Vowel formants (Hz) for the synthetic vocal line.
const VOWELS: [[f32; 3]; 4] = [[800.0, 1150.0, 2900.0], [450.0, 800.0, 2830.0], [400.0, 1700.0, 2600.0], [325.0, 700.0, 2530.0]];

/// A sung vowel: a glottal-like pulse train through three formant resonators, with vibrato.
fn vocal(rate: f32, note: f32, seconds: f32, formants: [f32; 3], rng: &mut Rng) -> Vec<f32> {
    let len = (seconds * rate) as usize;
    let hz = midi_hz(note);
    let mut filters: Vec<Svf> = formants.iter().map(|&f| Svf::new(f.min(rate * 0.45), 8.0, rate)).collect();
    let mut phase = rng.unit();
    (0..len)
        .map(|i| {
            let t = i as f32 / rate;
            let f0 = hz * (1.0 + 0.01 * (2.0 * std::f32::consts::PI * 5.5 * t).sin());
            phase = (phase + f0 / rate) % 1.0;
            let pulse = if phase < 0.1 { 1.0 - phase * 10.0 } else { 0.0 } + 0.05 * rng.noise();
            let voiced: f32 = filters.iter_mut().zip([1.0, 0.6, 0.3]).map(|(f, g)| g * f.band(pulse)).sum();
            let env = (t / 0.05).min(1.0) * ((seconds - t) / 0.2).clamp(0.0, 1.0);
            0.6 * voiced * env
        })
        .collect()
}

/// A state-variable filter (trapezoidal, stable at any cutoff below Nyquist).
struct Svf {
    a1: f32,
    a2: f32,
    a3: f32,
    k: f32,
    ic1: f32,
    ic2: f32,
}

impl Svf {
    fn new(cutoff: f32, resonance: f32, rate: f32) -> Self {
        let g = (std::f32::consts::PI * cutoff.min(rate * 0.45) / rate).tan();
        let k = 1.0 / resonance;
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        Svf { a1, a2, a3: g * a2, k, ic1: 0.0, ic2: 0.0 }
    }

    /// (low, band, high) outputs for one input sample.
    fn tick(&mut self, x: f32) -> (f32, f32, f32) {
        let v3 = x - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        (v2, v1, x - self.k * v1 - v2)
    }

    fn low(&mut self, x: f32) -> f32 {
        self.tick(x).0
    }

    fn band(&mut self, x: f32) -> f32 {
        self.tick(x).1
    }

    fn high(&mut self, x: f32) -> f32 {
        self.tick(x).2
    }
}

/// Scales `x` to an RMS of `db` dBFS.
pub fn normalize_rms(x: &mut [f32], db: f32) {
    let rms = rms(x);
    if rms > 0.0 {
        let gain = 10f32.powf(db / 20.0) / rms;
        x.iter_mut().for_each(|v| *v *= gain);
    }
}

pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
}

/// The acoustic path from the booth's speakers to the microphone.
pub struct RoomPath {
    /// Impulse response, including the delay.
    pub response: Vec<f32>,
    /// Speaker saturation drive (1 = none).
    pub drive: f32,
}

impl RoomPath {
    /// A random booth: 5-150 ms delay (sound path plus any latency between the sidechain and the
    /// microphone), four early reflections, a reverberant tail of RT60 0.15-0.4 s.
    pub fn random(rate: u32, rng: &mut Rng) -> Self {
        let rate_f = rate as f32;
        let delay = (rng.range(0.005, 0.150) * rate_f) as usize;
        let rt60 = rng.range(0.15, 0.4);
        let tail_len = (rt60 * rate_f * 0.8) as usize;
        let mut response = vec![0.0f32; delay + tail_len + 1];
        response[delay] = 1.0;
        for _ in 0..4 {
            let at = delay + (rng.range(0.001, 0.025) * rate_f) as usize;
            response[at] += rng.range(0.1, 0.4) * if rng.unit() < 0.5 { -1.0 } else { 1.0 };
        }
        let tail_start = delay + (0.01 * rate_f) as usize;
        let tail_gain = rng.range(0.02, 0.05);
        for (i, r) in response.iter_mut().enumerate().skip(tail_start) {
            let t = (i - tail_start) as f32 / rate_f;
            *r += tail_gain * rng.noise() * (-6.9 * t / rt60).exp();
        }
        RoomPath { response, drive: rng.range(1.0, 2.0) }
    }

    /// What the microphone hears of `music`.
    pub fn apply(&self, music: &[f32]) -> Vec<f32> {
        let driven: Vec<f32> = music.iter().map(|&x| (self.drive * x).tanh() / self.drive).collect();
        let mut out = convolve(&driven, &self.response);
        out.truncate(music.len());
        out
    }
}

/// Linear convolution by one FFT.
fn convolve(x: &[f32], h: &[f32]) -> Vec<f32> {
    let n = (x.len() + h.len()).next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(n);
    let ifft = planner.plan_fft_inverse(n);
    let spectrum = |signal: &[f32]| {
        let mut time = vec![0.0f32; n];
        time[..signal.len()].copy_from_slice(signal);
        let mut freq = fft.make_output_vec();
        let _ = fft.process(&mut time, &mut freq);
        freq
    };
    let (a, b) = (spectrum(x), spectrum(h));
    let mut product: Vec<Complex<f32>> = a.iter().zip(&b).map(|(p, q)| p * q).collect();
    if let Some(first) = product.first_mut() {
        first.im = 0.0;
    }
    if let Some(last) = product.last_mut() {
        last.im = 0.0;
    }
    let mut out = vec![0.0f32; n];
    let _ = ifft.process(&mut product, &mut out);
    let scale = 1.0 / n as f32;
    out.truncate(x.len() + h.len() - 1);
    out.iter_mut().for_each(|v| *v *= scale);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_are_deterministic_and_at_the_requested_level() {
        for style in STYLES {
            let a = render_track(style, 3.0, 16_000, 4);
            let b = render_track(style, 3.0, 16_000, 4);
            assert_eq!(a, b);
            assert!((20.0 * rms(&a).log10() + 20.0).abs() < 0.1, "{style:?}");
            assert!(a.iter().all(|x| x.is_finite()));
        }
    }

    #[test]
    fn room_path_delays_the_music() {
        let mut rng = Rng::new(1);
        let room = RoomPath::random(16_000, &mut rng);
        let delay = room.response.iter().position(|&r| r != 0.0).unwrap();
        let mut click = vec![0.0f32; 8000];
        click[0] = 0.01;
        let heard = room.apply(&click);
        let first = heard.iter().position(|v| v.abs() > 1e-4).unwrap();
        assert!(first.abs_diff(delay) <= 1, "{first} vs {delay}");
    }
}
