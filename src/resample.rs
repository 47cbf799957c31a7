//! Streaming conversion of mono audio at any host rate (8-192 kHz) to the recognizers' 16 kHz.
//!
//! Owned by the engine thread (and the CLI). Guarantees: buffers are allocated at construction;
//! `push` may be called with any number of samples.

use rubato::{FftFixedIn, Resampler};

use crate::segmenter::RATE;

/// Input chunk handed to rubato at a time, in input samples (about 10-20 ms at common rates).
const CHUNK: usize = 512;

/// Mono resampler to 16 kHz; a plain copy when the input already is 16 kHz.
pub struct ToSixteenK {
    inner: Option<FftFixedIn<f32>>,
    input: Vec<f32>,
    output: Vec<Vec<f32>>,
}

/// The resampler could not be built for this rate.
#[derive(Debug, thiserror::Error)]
#[error("cannot resample {rate} Hz to 16 kHz: {reason}")]
pub struct ResampleError {
    pub rate: u32,
    pub reason: String,
}

impl ToSixteenK {
    /// A resampler from `rate` Hz.
    pub fn new(rate: u32) -> Result<Self, ResampleError> {
        if rate as usize == RATE {
            return Ok(ToSixteenK { inner: None, input: Vec::new(), output: Vec::new() });
        }
        let inner = FftFixedIn::<f32>::new(rate as usize, RATE, CHUNK, 2, 1)
            .map_err(|e| ResampleError { rate, reason: e.to_string() })?;
        let output = vec![vec![0.0; inner.output_frames_max()]];
        Ok(ToSixteenK { inner: Some(inner), input: Vec::with_capacity(2 * CHUNK), output })
    }

    /// Converts `samples` and appends the 16 kHz result to `out`.
    pub fn push(&mut self, samples: &[f32], out: &mut Vec<f32>) {
        let Some(inner) = self.inner.as_mut() else {
            out.extend_from_slice(samples);
            return;
        };
        let mut rest = samples;
        while !rest.is_empty() {
            let need = inner.input_frames_next() - self.input.len();
            let take = need.min(rest.len());
            self.input.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.input.len() == inner.input_frames_next() {
                if let Ok((_, produced)) = inner.process_into_buffer(&[&self.input], &mut self.output, None) {
                    out.extend_from_slice(&self.output[0][..produced]);
                }
                self.input.clear();
            }
        }
    }

    /// Converts a whole clip at once, flushing the tail (for the CLI and tests).
    pub fn convert_all(rate: u32, samples: &[f32]) -> Result<Vec<f32>, ResampleError> {
        let mut resampler = ToSixteenK::new(rate)?;
        let mut out = Vec::with_capacity(samples.len() * RATE / rate as usize + CHUNK);
        resampler.push(samples, &mut out);
        let delay = resampler.delay();
        // Push silence to flush what is still inside the filter.
        let flush = vec![0.0; CHUNK * 2 + delay * rate as usize / RATE];
        resampler.push(&flush, &mut out);
        let expected = (samples.len() as u64 * RATE as u64 / rate as u64) as usize;
        let start = delay.min(out.len());
        let mut trimmed = out.split_off(start);
        trimmed.truncate(expected);
        Ok(trimmed)
    }

    /// Output delay in 16 kHz samples.
    pub fn delay(&self) -> usize {
        self.inner.as_ref().map_or(0, |r| r.output_delay())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, hz: f32, seconds: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn every_rate_converts_to_16k_with_the_right_length_and_level() {
        for rate in [8_000, 11_025, 16_000, 22_050, 44_100, 48_000, 88_200, 96_000, 192_000] {
            let input = sine(rate, 440.0, 1.0);
            let out = ToSixteenK::convert_all(rate, &input).unwrap();
            assert_eq!(out.len(), 16_000, "rate {rate}");
            let mid = &out[4000..12000];
            let rms = (mid.iter().map(|x| x * x).sum::<f32>() / mid.len() as f32).sqrt();
            assert!((rms - 0.707).abs() < 0.05, "rate {rate}: rms {rms}");
        }
    }

    #[test]
    fn streaming_in_odd_blocks_matches_total_length() {
        let input = sine(44_100, 300.0, 2.0);
        let mut r = ToSixteenK::new(44_100).unwrap();
        let mut out = Vec::new();
        for block in input.chunks(7) {
            r.push(block, &mut out);
        }
        let expected = 32_000;
        assert!(out.len() <= expected && out.len() + 1000 > expected, "{}", out.len());
    }
}
