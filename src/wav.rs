//! Reading (and, for test fixtures, writing) WAV files.
//!
//! Threads: used by the CLI and by tests only, never by the audio thread (it
//! reads whole files into memory and allocates freely).
//!
//! Guarantees: [`read_wav`] accepts 8/16/24/32-bit integer PCM and 32-bit
//! float with any number of channels at 8000-192000 Hz, and returns
//! interleaved `f32` samples in [-1, 1]. Anything else is a [`WavError`] that
//! names the file and says why in plain words. No resampling happens here.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Lowest sample rate accepted; below this speech is unintelligible.
pub const MIN_SAMPLE_RATE: u32 = 8_000;
/// Highest sample rate accepted.
pub const MAX_SAMPLE_RATE: u32 = 192_000;

/// What the readable formats are, for error messages.
const SUPPORTED_FORMATS: &str = "8, 16, 24 or 32-bit integer PCM, or 32-bit float";

/// Decoded audio.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    /// Frames per second, as stored in the file (callers resample if they need another rate).
    pub sample_rate: u32,
    /// Samples per frame; `samples` holds whole frames.
    pub channels: usize,
    /// interleaved f32 in [-1, 1]
    pub samples: Vec<f32>,
}

impl Audio {
    /// Number of whole frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len().checked_div(self.channels).unwrap_or(0)
    }

    /// One channel: the average of all channels of each frame.
    pub fn to_mono(&self) -> Vec<f32> {
        match self.channels {
            0 => Vec::new(),
            1 => self.samples.clone(),
            n => self.samples.chunks_exact(n).map(|frame| frame.iter().sum::<f32>() / n as f32).collect(),
        }
    }

    /// Length in seconds (0 if the sample rate is 0).
    pub fn duration_s(&self) -> f64 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        self.frames() as f64 / f64::from(self.sample_rate)
    }
}

/// Why a WAV file could not be read or written; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// There is no file at the path.
    #[error("{}: file not found", path.display())]
    NotFound {
        /// The path that was tried.
        path: PathBuf,
    },
    /// Some other I/O failure (permissions, disk full, ...).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file has zero bytes or no audio frames.
    #[error("{}: the file is empty ({reason})", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// "0 bytes" or "no audio frames".
        reason: &'static str,
    },
    /// Not a WAV file, or its header is corrupt or cut short.
    #[error("{}: not a valid WAV file ({reason})", path.display())]
    NotWav {
        /// The file.
        path: PathBuf,
        /// What is wrong, from hound or from our own header check.
        reason: String,
    },
    /// The header is fine but the sample data ends early.
    #[error("{}: the file is truncated: the audio data ends after {samples_read} samples ({reason})", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// How many samples were decoded before the data ran out.
        samples_read: usize,
        /// The underlying error.
        reason: String,
    },
    /// A valid WAV we cannot decode (e.g. 64-bit float, 12-bit, ADPCM).
    #[error("{}: unsupported WAV format: {format} (supported: {SUPPORTED_FORMATS})", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What the file contains, e.g. "64-bit float samples".
        format: String,
    },
    /// The sample rate is outside [`MIN_SAMPLE_RATE`]..=[`MAX_SAMPLE_RATE`].
    #[error("{}: sample rate {sample_rate} Hz is outside {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz", path.display())]
    SampleRate {
        /// The file.
        path: PathBuf,
        /// The rate in the header.
        sample_rate: u32,
    },
    /// The header says zero channels (or, when writing, `Audio::channels` is 0).
    #[error("{}: the file has zero audio channels", path.display())]
    NoChannels {
        /// The file.
        path: PathBuf,
    },
    /// `write_wav` was given audio that cannot be written (e.g. a partial frame).
    #[error("{}: cannot write this audio: {reason}", path.display())]
    InvalidAudio {
        /// The file.
        path: PathBuf,
        /// What is wrong with the `Audio`.
        reason: String,
    },
}

/// Reads a whole WAV file into interleaved `f32` samples in [-1, 1].
pub fn read_wav(path: &Path) -> Result<Audio, WavError> {
    let bytes = fs::read(path).map_err(|e| io_error(path, e))?;
    if bytes.is_empty() {
        return Err(WavError::Empty { path: path.to_path_buf(), reason: "0 bytes" });
    }
    let reader =
        hound::WavReader::new(io::Cursor::new(bytes.as_slice())).map_err(|e| explain_header_error(path, &bytes, e))?;
    let spec = reader.spec();
    check_spec(path, &spec)?;
    // Header lengths can lie; never reserve more samples than the file has bytes.
    let samples = decode_samples(path, reader, bytes.len())?;
    if samples.is_empty() {
        return Err(WavError::Empty { path: path.to_path_buf(), reason: "no audio frames" });
    }
    Ok(Audio { sample_rate: spec.sample_rate, channels: usize::from(spec.channels), samples })
}

/// Writes 16-bit PCM (samples are clamped to [-1, 1]); any sample rate hound accepts, so
/// tests can also make fixtures that [`read_wav`] rejects.
pub fn write_wav(path: &Path, audio: &Audio) -> Result<(), WavError> {
    let spec = write_spec(path, audio)?;
    let mut writer = hound::WavWriter::create(path, spec).map_err(|e| write_error(path, e))?;
    for &s in &audio.samples {
        writer.write_sample(f32_to_i16(s)).map_err(|e| write_error(path, e))?;
    }
    writer.finalize().map_err(|e| write_error(path, e))
}

/// Validates `audio` for writing and builds the 16-bit PCM spec.
fn write_spec(path: &Path, audio: &Audio) -> Result<hound::WavSpec, WavError> {
    if audio.channels == 0 {
        return Err(WavError::NoChannels { path: path.to_path_buf() });
    }
    let invalid = |reason: String| WavError::InvalidAudio { path: path.to_path_buf(), reason };
    let channels = u16::try_from(audio.channels)
        .map_err(|_| invalid(format!("{} channels is more than a WAV file can hold", audio.channels)))?;
    if !audio.samples.len().is_multiple_of(audio.channels) {
        return Err(invalid(format!(
            "{} samples is not a whole number of {}-channel frames",
            audio.samples.len(),
            audio.channels
        )));
    }
    if audio.sample_rate == 0 {
        return Err(invalid("sample rate is 0 Hz".to_owned()));
    }
    Ok(hound::WavSpec {
        channels,
        sample_rate: audio.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    })
}

/// Rounds a [-1, 1] sample to 16-bit, clamping out-of-range values (NaN becomes 0).
fn f32_to_i16(s: f32) -> i16 {
    let s = if s.is_nan() { 0.0 } else { s.clamp(-1.0, 1.0) };
    (s * f32::from(i16::MAX)).round() as i16
}

/// Maps an error from `fs::read`.
fn io_error(path: &Path, e: io::Error) -> WavError {
    match e.kind() {
        io::ErrorKind::NotFound => WavError::NotFound { path: path.to_path_buf() },
        _ => WavError::Io { path: path.to_path_buf(), source: e },
    }
}

/// Maps a hound error while writing.
fn write_error(path: &Path, e: hound::Error) -> WavError {
    match e {
        hound::Error::IoError(source) => io_error(path, source),
        other => WavError::InvalidAudio { path: path.to_path_buf(), reason: other.to_string() },
    }
}

/// Rejects formats we do not decode and sample rates outside the supported range.
fn check_spec(path: &Path, spec: &hound::WavSpec) -> Result<(), WavError> {
    if spec.channels == 0 {
        return Err(WavError::NoChannels { path: path.to_path_buf() });
    }
    let supported = match spec.sample_format {
        hound::SampleFormat::Int => matches!(spec.bits_per_sample, 8 | 16 | 24 | 32),
        hound::SampleFormat::Float => spec.bits_per_sample == 32,
    };
    if !supported {
        let format = describe_format(spec.sample_format == hound::SampleFormat::Float, spec.bits_per_sample);
        return Err(WavError::Unsupported { path: path.to_path_buf(), format });
    }
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&spec.sample_rate) {
        return Err(WavError::SampleRate { path: path.to_path_buf(), sample_rate: spec.sample_rate });
    }
    Ok(())
}

/// "64-bit float samples", "12-bit integer samples".
fn describe_format(float: bool, bits: u16) -> String {
    format!("{bits}-bit {} samples", if float { "float" } else { "integer" })
}

/// Decodes every sample, scaling integers by their full-scale value.
fn decode_samples<R: io::Read>(
    path: &Path,
    reader: hound::WavReader<R>,
    max_samples: usize,
) -> Result<Vec<f32>, WavError> {
    let spec = reader.spec();
    let mut out = Vec::with_capacity((reader.len() as usize).min(max_samples));
    let truncated = |samples_read: usize, e: hound::Error| WavError::Truncated {
        path: path.to_path_buf(),
        samples_read,
        reason: e.to_string(),
    };
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for s in reader.into_samples::<f32>() {
                let s = s.map_err(|e| truncated(out.len(), e))?;
                out.push(if s.is_nan() { 0.0 } else { s.clamp(-1.0, 1.0) });
            }
        }
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f64;
            for s in reader.into_samples::<i32>() {
                let s = s.map_err(|e| truncated(out.len(), e))?;
                out.push((f64::from(s) * scale) as f32);
            }
        }
    }
    Ok(out)
}

/// Turns hound's header error into the clearest [`WavError`], looking at the
/// `fmt ` chunk ourselves to name unsupported formats and zero channels
/// (hound reports those as generic format errors).
fn explain_header_error(path: &Path, bytes: &[u8], e: hound::Error) -> WavError {
    let path_buf = path.to_path_buf();
    if let Some(fmt) = FmtChunk::find(bytes) {
        if fmt.channels == 0 {
            return WavError::NoChannels { path: path_buf };
        }
        if let Some(format) = fmt.unsupported_reason() {
            return WavError::Unsupported { path: path_buf, format };
        }
    }
    match e {
        // hound reads from our in-memory copy, so an I/O error here can only mean the bytes ran out.
        hound::Error::IoError(_) => WavError::NotWav { path: path_buf, reason: "the header is cut short".to_owned() },
        hound::Error::Unsupported => WavError::Unsupported { path: path_buf, format: "an unknown encoding".to_owned() },
        other => WavError::NotWav { path: path_buf, reason: other.to_string() },
    }
}

/// The fields of a `fmt ` chunk needed to explain why a file is rejected.
#[derive(Debug, PartialEq)]
struct FmtChunk {
    /// WAVE format tag (1 = PCM, 3 = IEEE float, 0xFFFE = extensible, ...).
    format_tag: u16,
    /// Channel count.
    channels: u16,
    /// Bits per sample.
    bits: u16,
}

impl FmtChunk {
    const PCM: u16 = 0x0001;
    const IEEE_FLOAT: u16 = 0x0003;
    const EXTENSIBLE: u16 = 0xFFFE;

    /// Finds and reads the `fmt ` chunk of a RIFF/WAVE file, if the file is that far intact.
    fn find(bytes: &[u8]) -> Option<FmtChunk> {
        if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
            return None;
        }
        let mut pos = 12;
        while let Some(header) = bytes.get(pos..pos + 8) {
            let len = u32::from_le_bytes(header[4..8].try_into().ok()?) as usize;
            let body = bytes.get(pos + 8..)?;
            if &header[0..4] == b"fmt " {
                return FmtChunk::from_body(body.get(..len.min(body.len()))?);
            }
            pos = pos.checked_add(8 + len + (len & 1))?;
        }
        None
    }

    /// Reads the fields from the chunk body, resolving the extensible sub-format.
    fn from_body(body: &[u8]) -> Option<FmtChunk> {
        let u16_at = |i: usize| Some(u16::from_le_bytes(body.get(i..i + 2)?.try_into().ok()?));
        let mut fmt = FmtChunk { format_tag: u16_at(0)?, channels: u16_at(2)?, bits: u16_at(14)? };
        if fmt.format_tag == Self::EXTENSIBLE {
            if let (Some(valid_bits), Some(sub_tag)) = (u16_at(18), u16_at(24)) {
                fmt.format_tag = sub_tag;
                if valid_bits > 0 {
                    fmt.bits = valid_bits;
                }
            }
        }
        Some(fmt)
    }

    /// Why this format cannot be decoded, or `None` if it can (so the problem is elsewhere).
    fn unsupported_reason(&self) -> Option<String> {
        match self.format_tag {
            Self::PCM if matches!(self.bits, 8 | 16 | 24 | 32) => None,
            Self::IEEE_FLOAT if self.bits == 32 => None,
            Self::PCM => Some(describe_format(false, self.bits)),
            Self::IEEE_FLOAT => Some(describe_format(true, self.bits)),
            0x0002 => Some("ADPCM-compressed audio".to_owned()),
            0x0006 => Some("A-law audio".to_owned()),
            0x0007 => Some("mu-law audio".to_owned()),
            0x0055 => Some("MP3 audio inside a WAV".to_owned()),
            tag => Some(format!("format code 0x{tag:04X}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A unique path in the system temp dir, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str) -> TempFile {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let file = format!("voxcue-wav-test-{}-{n}-{name}", std::process::id());
            TempFile(std::env::temp_dir().join(file))
        }

        fn with_bytes(name: &str, bytes: &[u8]) -> TempFile {
            let f = TempFile::new(name);
            fs::write(&f.0, bytes).unwrap();
            f
        }

        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = fs::remove_file(&self.0);
        }
    }

    /// Writes a file with hound in an arbitrary format.
    fn write_with_hound<S: hound::Sample + Copy>(name: &str, spec: hound::WavSpec, samples: &[S]) -> TempFile {
        let f = TempFile::new(name);
        let mut w = hound::WavWriter::create(f.path(), spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
        f
    }

    fn spec(channels: u16, sample_rate: u32, bits: u16, float: bool) -> hound::WavSpec {
        let sample_format = if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int };
        hound::WavSpec { channels, sample_rate, bits_per_sample: bits, sample_format }
    }

    /// A hand-made canonical WAV (16-byte fmt chunk) for headers hound will not write.
    fn raw_wav(format_tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let block_align = channels * bits.div_ceil(8);
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&format_tag.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
        v.extend_from_slice(&block_align.to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    fn assert_close(got: &[f32], want: &[f32], tol: f32) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= tol, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn write_then_read_16bit_round_trip() {
        let audio = Audio { sample_rate: 16_000, channels: 1, samples: vec![0.0, 0.5, -0.5, 1.0, -1.0, 2.0] };
        let f = TempFile::new("rt.wav");
        write_wav(f.path(), &audio).unwrap();
        let back = read_wav(f.path()).unwrap();
        assert_eq!((back.sample_rate, back.channels, back.frames()), (16_000, 1, 6));
        // 2.0 is clamped to full scale.
        assert_close(&back.samples, &[0.0, 0.5, -0.5, 1.0, -1.0, 1.0], 1.0 / 32768.0 + 1e-6);
        assert!((back.duration_s() - 6.0 / 16_000.0).abs() < 1e-12);
    }

    #[test]
    fn reads_8bit_unsigned() {
        // 8-bit WAV stores unsigned bytes with 128 as silence.
        let f = TempFile::with_bytes("u8.wav", &raw_wav(1, 1, 8_000, 8, &[128, 255, 0, 192]));
        let a = read_wav(f.path()).unwrap();
        assert_close(&a.samples, &[0.0, 127.0 / 128.0, -1.0, 0.5], 1e-6);
    }

    #[test]
    fn reads_24bit_and_32bit_int() {
        let f = write_with_hound("i24.wav", spec(1, 48_000, 24, false), &[0i32, 4_194_304, -8_388_608, 8_388_607]);
        let a = read_wav(f.path()).unwrap();
        assert_close(&a.samples, &[0.0, 0.5, -1.0, 1.0], 1e-6);

        let f = write_with_hound("i32.wav", spec(1, 44_100, 32, false), &[i32::MIN, 1 << 30]);
        let a = read_wav(f.path()).unwrap();
        assert_close(&a.samples, &[-1.0, 0.5], 1e-6);
    }

    #[test]
    fn reads_float_and_clamps() {
        let f = write_with_hound("f32.wav", spec(1, 22_050, 32, true), &[0.25f32, -0.75, 1.5, f32::NAN]);
        let a = read_wav(f.path()).unwrap();
        assert_eq!(a.sample_rate, 22_050);
        assert_close(&a.samples, &[0.25, -0.75, 1.0, 0.0], 0.0);
    }

    #[test]
    fn stereo_and_multichannel_downmix_to_average() {
        let stereo = Audio { sample_rate: 8_000, channels: 2, samples: vec![0.5, -0.5, 1.0, 0.0, 0.25, 0.75] };
        let f = TempFile::new("stereo.wav");
        write_wav(f.path(), &stereo).unwrap();
        let a = read_wav(f.path()).unwrap();
        assert_eq!((a.channels, a.frames()), (2, 3));
        assert_close(&a.to_mono(), &[0.0, 0.5, 0.5], 1e-4);

        let f = write_with_hound(
            "six.wav",
            spec(6, 48_000, 16, false),
            &[6_000i16, 0, 0, 0, 0, 0, 600, 600, 600, 600, 600, 600],
        );
        let a = read_wav(f.path()).unwrap();
        assert_eq!((a.channels, a.frames()), (6, 2));
        assert_close(&a.to_mono(), &[1_000.0 / 32768.0, 600.0 / 32768.0], 1e-6);
    }

    #[test]
    fn audio_helpers_on_degenerate_input() {
        let a = Audio { sample_rate: 0, channels: 0, samples: vec![] };
        assert_eq!(a.frames(), 0);
        assert!(a.to_mono().is_empty());
        assert_eq!(a.duration_s(), 0.0);
    }

    #[test]
    fn missing_file() {
        let f = TempFile::new("missing.wav");
        let e = read_wav(f.path()).unwrap_err();
        assert!(matches!(e, WavError::NotFound { ref path } if path == f.path()), "{e:?}");
        assert!(e.to_string().ends_with("missing.wav: file not found"), "{e}");
    }

    #[test]
    fn empty_file_and_no_frames() {
        let f = TempFile::with_bytes("empty.wav", &[]);
        assert!(matches!(read_wav(f.path()).unwrap_err(), WavError::Empty { reason: "0 bytes", .. }));
        let f = TempFile::with_bytes("noframes.wav", &raw_wav(1, 1, 16_000, 16, &[]));
        assert!(matches!(read_wav(f.path()).unwrap_err(), WavError::Empty { reason: "no audio frames", .. }));
    }

    #[test]
    fn garbage_and_truncated_files() {
        let f = TempFile::with_bytes("garbage.wav", b"this is not a wav file at all, just text");
        let e = read_wav(f.path()).unwrap_err();
        assert!(matches!(e, WavError::NotWav { .. }), "{e:?}");
        assert!(e.to_string().contains("not a valid WAV file"), "{e}");

        let full = raw_wav(1, 1, 16_000, 16, &[0u8; 200]);
        let f = TempFile::with_bytes("header_cut.wav", &full[..30]);
        let e = read_wav(f.path()).unwrap_err();
        assert!(matches!(e, WavError::NotWav { .. }), "{e:?}");

        let f = TempFile::with_bytes("data_cut.wav", &full[..44 + 50]);
        let e = read_wav(f.path()).unwrap_err();
        assert!(matches!(e, WavError::Truncated { samples_read: 25, .. }), "{e:?}");
    }

    #[test]
    fn unsupported_formats() {
        let f = TempFile::with_bytes("f64.wav", &raw_wav(3, 1, 16_000, 64, &[0u8; 16]));
        let e = read_wav(f.path()).unwrap_err();
        assert!(matches!(e, WavError::Unsupported { ref format, .. } if format == "64-bit float samples"), "{e:?}");

        let f = TempFile::with_bytes("i12.wav", &raw_wav(1, 1, 16_000, 12, &[0u8; 8]));
        let e = read_wav(f.path()).unwrap_err();
        assert!(matches!(e, WavError::Unsupported { ref format, .. } if format == "12-bit integer samples"), "{e:?}");
        assert!(e.to_string().contains("supported: 8, 16, 24 or 32-bit integer PCM"), "{e}");

        let f = TempFile::with_bytes("alaw.wav", &raw_wav(6, 1, 8_000, 8, &[0u8; 8]));
        let e = read_wav(f.path()).unwrap_err();
        assert!(matches!(e, WavError::Unsupported { ref format, .. } if format == "A-law audio"), "{e:?}");
    }

    #[test]
    fn sample_rate_limits() {
        let f = TempFile::with_bytes("4k.wav", &raw_wav(1, 1, 4_000, 16, &[0u8; 8]));
        let e = read_wav(f.path()).unwrap_err();
        assert!(matches!(e, WavError::SampleRate { sample_rate: 4_000, .. }), "{e:?}");
        assert!(e.to_string().ends_with("sample rate 4000 Hz is outside 8000-192000 Hz"), "{e}");

        let f = TempFile::with_bytes("384k.wav", &raw_wav(1, 1, 384_000, 16, &[0u8; 8]));
        assert!(matches!(read_wav(f.path()).unwrap_err(), WavError::SampleRate { sample_rate: 384_000, .. }));
        for rate in [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE] {
            let f = TempFile::with_bytes("edge.wav", &raw_wav(1, 1, rate, 16, &[0u8; 8]));
            assert_eq!(read_wav(f.path()).unwrap().sample_rate, rate);
        }
    }

    #[test]
    fn zero_channels() {
        let f = TempFile::with_bytes("zero_ch.wav", &raw_wav(1, 0, 16_000, 16, &[0u8; 8]));
        assert!(matches!(read_wav(f.path()).unwrap_err(), WavError::NoChannels { .. }));
        let bad = Audio { sample_rate: 16_000, channels: 0, samples: vec![0.0] };
        let f = TempFile::new("w0.wav");
        assert!(matches!(write_wav(f.path(), &bad).unwrap_err(), WavError::NoChannels { .. }));
    }

    #[test]
    fn write_rejects_partial_frames() {
        let bad = Audio { sample_rate: 16_000, channels: 2, samples: vec![0.0; 3] };
        let f = TempFile::new("partial.wav");
        assert!(matches!(write_wav(f.path(), &bad).unwrap_err(), WavError::InvalidAudio { .. }));
    }
}
