//! The built CLAP plugin (the cdylib cargo builds next to the tests) in a real, headless CLAP host
//! made with clack-host: entry, factory, instance, ports, activate/process/deactivate at two
//! sample rates and several block sizes, state save/load, and hostile input.
//!
//! Nothing here depends on installed models: without them the plugin must still load and pass
//! audio (its engine reports the missing model), so no test asserts that a command fires; the
//! MIDI that does come out must be well formed.

use std::ffi::{c_void, CStr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clack_host::events::event_types::MidiEvent;
use clack_host::events::spaces::CoreEventSpace;
use clack_host::prelude::*;
use clap_sys::ext::audio_ports::{clap_audio_port_info, clap_plugin_audio_ports, CLAP_AUDIO_PORT_IS_MAIN, CLAP_EXT_AUDIO_PORTS};
use clap_sys::ext::note_ports::{clap_note_port_info, clap_plugin_note_ports, CLAP_EXT_NOTE_PORTS};
use clap_sys::ext::state::{clap_plugin_state, CLAP_EXT_STATE};
use clap_sys::plugin::clap_plugin;
use clap_sys::stream::{clap_istream, clap_ostream};

const PLUGIN_ID: &CStr = c"org.voxcue.voxcue";
const EXCERPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/stream_excerpt.wav");

type Instance = PluginInstance<()>;
type Stopped = StoppedPluginAudioProcessor<()>;

// ---------------------------------------------------------------------------------------------
// Loading.

/// The cdylib cargo built for this package's lib: `<target>/<profile>/libvoxcue.so`, found from
/// this test binary's own path (`<target>/<profile>/deps/plugin_host-<hash>`).
fn plugin_library() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test binary has a parent directory");
    let profile_dir = deps.parent().expect("deps has a parent directory");
    let name = format!("{}voxcue{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let candidates = [profile_dir.join(&name), deps.join(&name)];
    candidates.iter().find(|p| p.exists()).cloned().unwrap_or_else(|| {
        panic!(
            "the plugin library {name} was not found in {} or {}; build it with `cargo build --lib` \
             (same profile and target directory as the tests)",
            profile_dir.display(),
            deps.display()
        )
    })
}

fn load_entry() -> PluginEntry {
    let path = plugin_library();
    // SAFETY: loading a dynamic library runs its initializers; this one is our own plugin.
    unsafe { PluginEntry::load(&path) }.unwrap_or_else(|e| panic!("loading {}: {e:?}", path.display()))
}

fn new_instance(entry: &PluginEntry) -> Instance {
    let host_info = HostInfo::new("Voxcue test host", "Voxcue", "https://voxcue.invalid", "0.0.1").unwrap();
    PluginInstance::<()>::new(|_| (), |_| (), entry, PLUGIN_ID, &host_info)
        .unwrap_or_else(|e| panic!("instantiating {PLUGIN_ID:?}: {e:?}"))
}

/// The raw extension struct `T` named `id`, if the plugin provides it.
fn extension<T>(instance: &Instance, id: &CStr) -> Option<&'static T> {
    let plugin: &clap_plugin = instance.raw_instance();
    let get = plugin.get_extension.expect("clap_plugin.get_extension");
    // SAFETY: `plugin` is a live, initialized instance; the pointer it returns for `id` points to
    // the struct of that extension, which lives as long as the instance (the tests never keep the
    // reference beyond it).
    unsafe { get(plugin, id.as_ptr()).cast::<T>().as_ref() }
}

fn c_name(name: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = name.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Audio.

fn read_excerpt() -> (u32, Vec<f32>, Vec<f32>) {
    let mut reader = hound::WavReader::open(EXCERPT).unwrap_or_else(|e| panic!("{EXCERPT}: {e}"));
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample, spec.sample_rate), (2, 16, 48_000), "{EXCERPT} format");
    let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
    let left: Vec<f32> = samples.iter().step_by(2).map(|&s| s as f32 / 32768.0).collect();
    let right: Vec<f32> = samples.iter().skip(1).step_by(2).map(|&s| s as f32 / 32768.0).collect();
    assert!(left.len() as u32 >= 7 * spec.sample_rate, "the excerpt should be ~8 s long");
    (spec.sample_rate, left, right)
}

/// One MIDI-ish event the plugin sent, decoded.
#[derive(Clone, Copy, Debug, PartialEq)]
enum OutEvent {
    NoteOn { channel: i16, key: i16 },
    NoteOff { channel: i16, key: i16 },
    Cc { channel: u8, cc: u8, value: u8 },
    Program { channel: u8, program: u8 },
}

/// What one run through the plugin produced.
#[derive(Default, Debug)]
struct RunReport {
    blocks: usize,
    frames: usize,
    /// (block index, frame from the start of the run, event)
    events: Vec<(usize, usize, OutEvent)>,
}

fn decode(event: &UnknownEvent, block: usize, block_len: usize) -> (u32, OutEvent) {
    let time = event.header().time();
    assert!(
        (time as usize) < block_len,
        "event at {time} in block #{block} is outside the block ({block_len} frames): {event:?}"
    );
    let decoded = match event.as_core_event() {
        Some(CoreEventSpace::NoteOn(e)) => note(e.pckn(), true, e.velocity(), block),
        Some(CoreEventSpace::NoteOff(e)) => note(e.pckn(), false, e.velocity(), block),
        Some(CoreEventSpace::Midi(e)) => midi(e, block),
        _ => panic!("block #{block}: the plugin sent an event that is not a note or MIDI message: {event:?}"),
    };
    (time, decoded)
}

fn note(pckn: Pckn, on: bool, velocity: f64, block: usize) -> OutEvent {
    let (channel, key) = (pckn.raw_channel(), pckn.raw_key());
    assert!((0..16).contains(&channel), "block #{block}: note event on channel {channel}");
    assert!((0..128).contains(&key), "block #{block}: note event with key {key}");
    assert!((0.0..=1.0).contains(&velocity), "block #{block}: velocity {velocity}");
    if on {
        assert!(velocity > 0.0, "block #{block}: note-on with zero velocity");
        OutEvent::NoteOn { channel, key }
    } else {
        OutEvent::NoteOff { channel, key }
    }
}

fn midi(event: &MidiEvent, block: usize) -> OutEvent {
    let [status, a, b] = event.data();
    let channel = status & 0x0f;
    assert!(a < 128 && b < 128, "block #{block}: MIDI data bytes out of range: {:?}", event.data());
    match status & 0xf0 {
        0xb0 => OutEvent::Cc { channel, cc: a, value: b },
        0xc0 => OutEvent::Program { channel, program: a },
        0x90 if b > 0 => OutEvent::NoteOn { channel: channel as i16, key: a as i16 },
        0x80 | 0x90 => OutEvent::NoteOff { channel: channel as i16, key: a as i16 },
        _ => panic!("block #{block}: unexpected MIDI message {:?}", event.data()),
    }
}

/// Runs `left`/`right` through the plugin on a separate audio thread, in blocks whose sizes cycle
/// through `block_sizes`, and checks every block: processing succeeds, the main output is the
/// main input (non-finite samples become silence), every output sample is finite, and events are
/// well formed and time-ordered. The aux ("Music reference") input gets its own signal.
fn run_audio(processor: Stopped, left: &[f32], right: &[f32], block_sizes: &[usize]) -> (Stopped, RunReport) {
    run_audio_with_tail(processor, left, right, block_sizes, None)
}

/// After the input: keep processing silence in `block`-frame blocks at about real-time pace until
/// the plugin has sent something (and 200 ms more, for note-offs) or `limit` has passed.
#[derive(Clone, Copy)]
struct SilentTail {
    rate: u32,
    block: usize,
    limit: Duration,
}

fn run_audio_with_tail(
    processor: Stopped,
    left: &[f32],
    right: &[f32],
    block_sizes: &[usize],
    tail: Option<SilentTail>,
) -> (Stopped, RunReport) {
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let mut processor = processor.start_processing().expect("start_processing");
                let max = (*block_sizes.iter().max().unwrap()).max(tail.map_or(0, |t| t.block));
                let mut tail_started: Option<Instant> = None;
                let mut first_event_frame: Option<usize> = None;
                let (mut in_l, mut in_r) = (vec![0.0f32; max], vec![0.0f32; max]);
                let (mut aux_l, mut aux_r) = (vec![0.0f32; max], vec![0.0f32; max]);
                let (mut out_l, mut out_r) = (vec![0.0f32; max], vec![0.0f32; max]);
                let mut input_ports = AudioPorts::with_capacity(4, 2);
                let mut output_ports = AudioPorts::with_capacity(2, 1);
                let mut out_events = EventBuffer::with_capacity(256);
                let mut report = RunReport::default();
                let mut sizes = block_sizes.iter().cycle();
                let mut pos = 0usize;
                let mut steady = 0u64;
                loop {
                    let n = if pos < left.len() {
                        (*sizes.next().unwrap()).min(left.len() - pos)
                    } else {
                        let Some(t) = tail else { break };
                        let started = *tail_started.get_or_insert_with(Instant::now);
                        let enough_after_event = first_event_frame.is_some_and(|f| pos >= f + t.rate as usize / 5);
                        if enough_after_event || started.elapsed() >= t.limit {
                            break;
                        }
                        std::thread::sleep(Duration::from_secs_f64(t.block as f64 / t.rate as f64));
                        t.block
                    };
                    let input_at = |channel: &[f32], i: usize| channel.get(pos + i).copied().unwrap_or(0.0);
                    for i in 0..n {
                        in_l[i] = input_at(left, i);
                        in_r[i] = input_at(right, i);
                    }
                    for i in 0..n {
                        aux_l[i] = 0.2 * ((pos + i) as f32 * 0.031).sin();
                        aux_r[i] = 0.2 * ((pos + i) as f32 * 0.017).cos();
                    }
                    // Garbage in the outputs, so a plugin that did not write them is caught.
                    out_l[..n].fill(-7.5);
                    out_r[..n].fill(-7.5);
                    out_events.clear();
                    let input_audio = input_ports.with_input_buffers([
                        AudioPortBuffer {
                            latency: 0,
                            channels: AudioPortBufferType::f32_input_only([
                                InputChannel::variable(&mut in_l[..n]),
                                InputChannel::variable(&mut in_r[..n]),
                            ]),
                        },
                        AudioPortBuffer {
                            latency: 0,
                            channels: AudioPortBufferType::f32_input_only([
                                InputChannel::variable(&mut aux_l[..n]),
                                InputChannel::variable(&mut aux_r[..n]),
                            ]),
                        },
                    ]);
                    let mut output_audio = output_ports.with_output_buffers([AudioPortBuffer {
                        latency: 0,
                        channels: AudioPortBufferType::f32_output_only([&mut out_l[..n], &mut out_r[..n]]),
                    }]);
                    let status = processor
                        .process(
                            &input_audio,
                            &mut output_audio,
                            &InputEvents::empty(),
                            &mut out_events.as_output(),
                            Some(steady),
                            None,
                        )
                        .unwrap_or_else(|e| panic!("process() failed on block #{} ({n} frames): {e:?}", report.blocks));
                    assert!(
                        matches!(status, ProcessStatus::Continue | ProcessStatus::ContinueIfNotQuiet | ProcessStatus::Tail | ProcessStatus::Sleep),
                        "status {status:?}"
                    );

                    for (channel, (out, input)) in [(&out_l, left), (&out_r, right)].into_iter().enumerate() {
                        for i in 0..n {
                            let (got, sent) = (out[i], input_at(input, i));
                            assert!(got.is_finite(), "non-finite output {got} (channel {channel}, frame {})", pos + i);
                            let want = if sent.is_finite() { sent } else { 0.0 };
                            assert!(
                                got.to_bits() == want.to_bits(),
                                "output is not the input bit for bit: channel {channel}, frame {}: sent {sent:e}, got {got:e}",
                                pos + i
                            );
                        }
                    }

                    let mut last_time = 0;
                    for event in out_events.iter() {
                        let (time, decoded) = decode(event, report.blocks, n);
                        assert!(time >= last_time, "events out of order in block #{}: {time} after {last_time}", report.blocks);
                        last_time = time;
                        report.events.push((report.blocks, pos + time as usize, decoded));
                        first_event_frame.get_or_insert(pos + time as usize);
                    }

                    report.blocks += 1;
                    report.frames += n;
                    steady += n as u64;
                    pos += n;
                }
                (processor.stop_processing(), report)
            })
            .join()
            .expect("audio thread panicked")
    })
}

/// Every note-on is followed by its note-off (never doubled), except one started within the
/// last 100 ms of the run, whose note-off may still be pending.
fn check_note_pairs(report: &RunReport, sample_rate: u32) {
    let mut open: Vec<(i16, i16, usize)> = Vec::new();
    for &(block, frame, event) in &report.events {
        match event {
            OutEvent::NoteOn { channel, key } => {
                assert!(!open.iter().any(|o| (o.0, o.1) == (channel, key)), "block #{block}: note {key}/{channel} on twice");
                open.push((channel, key, frame));
            }
            OutEvent::NoteOff { channel, key } => {
                let i = open.iter().position(|o| (o.0, o.1) == (channel, key));
                assert!(i.is_some(), "block #{block}: note-off {key}/{channel} without a note-on");
                open.swap_remove(i.unwrap());
            }
            OutEvent::Cc { channel, .. } | OutEvent::Program { channel, .. } => assert!(channel < 16),
        }
    }
    let recent = report.frames.saturating_sub(sample_rate as usize / 10);
    assert!(open.iter().all(|o| o.2 >= recent), "notes left hanging (channel, key, frame): {open:?}");
}

fn activate(instance: &mut Instance, sample_rate: f64, max_frames: u32) -> Stopped {
    instance
        .activate(|_, _| (), PluginAudioConfiguration { sample_rate, min_frames_count: 1, max_frames_count: max_frames })
        .unwrap_or_else(|e| panic!("activate at {sample_rate} Hz: {e:?}"))
}

/// Resamples by linear interpolation: the test only needs "some audio at this rate".
fn to_rate(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    let n = (samples.len() as u64 * to as u64 / from as u64) as usize;
    (0..n)
        .map(|i| {
            let x = i as f64 * from as f64 / to as f64;
            let j = x as usize;
            let f = (x - j as f64) as f32;
            let a = samples[j.min(samples.len() - 1)];
            let b = samples[(j + 1).min(samples.len() - 1)];
            a + (b - a) * f
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn plugin_is_listed_with_its_ports() {
    let entry = load_entry();
    let factory = entry.get_plugin_factory().expect("the library has a plugin factory");
    let ids: Vec<String> = factory
        .plugin_descriptors()
        .filter_map(|d| d.id().map(|id| id.to_string_lossy().into_owned()))
        .collect();
    assert!(ids.iter().any(|id| id.as_bytes() == PLUGIN_ID.to_bytes()), "plugin ids: {ids:?}");

    let instance = new_instance(&entry);
    let audio_ports: &clap_plugin_audio_ports = extension(&instance, CLAP_EXT_AUDIO_PORTS).expect("audio-ports extension");
    let plugin = instance.raw_instance();
    let port = |is_input: bool, index: u32| -> clap_audio_port_info {
        // SAFETY: a zeroed info struct is valid (integers, arrays and a null pointer).
        let mut info: clap_audio_port_info = unsafe { std::mem::zeroed() };
        // SAFETY: live instance, main thread, index below count.
        let ok = unsafe { audio_ports.get.unwrap()(plugin, index, is_input, &mut info) };
        assert!(ok, "audio port {index} (input: {is_input})");
        info
    };
    // SAFETY: live instance, main thread.
    let (inputs, outputs) = unsafe { (audio_ports.count.unwrap()(plugin, true), audio_ports.count.unwrap()(plugin, false)) };
    assert_eq!((inputs, outputs), (2, 1), "main + aux inputs, one main output");
    let main_in = port(true, 0);
    let aux_in = port(true, 1);
    let main_out = port(false, 0);
    assert_eq!(main_in.channel_count, 2);
    assert_ne!(main_in.flags & CLAP_AUDIO_PORT_IS_MAIN, 0);
    assert_eq!(aux_in.channel_count, 2);
    assert_eq!(aux_in.flags & CLAP_AUDIO_PORT_IS_MAIN, 0);
    assert_eq!(c_name(&aux_in.name), "Music reference");
    assert_eq!(main_out.channel_count, 2);

    let note_ports: &clap_plugin_note_ports = extension(&instance, CLAP_EXT_NOTE_PORTS).expect("note-ports extension");
    // SAFETY: as above.
    let note_outputs = unsafe { note_ports.count.unwrap()(plugin, false) };
    assert_eq!(note_outputs, 1, "one note output port");
    // SAFETY: zeroed info is valid; index 0 < count.
    let mut info: clap_note_port_info = unsafe { std::mem::zeroed() };
    assert!(unsafe { note_ports.get.unwrap()(plugin, 0, false, &mut info) });
    assert_ne!(info.supported_dialects, 0);
}

#[test]
fn passes_audio_through_and_emits_well_formed_midi_at_two_rates() {
    let (rate, left, right) = read_excerpt();
    let entry = load_entry();
    let mut instance = new_instance(&entry);

    // 48 kHz: the whole excerpt in 256-frame blocks, then again in 1000-frame blocks, then a
    // stretch of tiny odd blocks.
    let processor = activate(&mut instance, rate as f64, 1024);
    // The engine runs behind this faster-than-real-time loop: a few seconds of silence at about
    // real-time pace follow, so that, when models are installed, the command in the excerpt comes
    // out through the wrapper's note output (checked like all other events; not required).
    let tail = SilentTail { rate, block: 256, limit: Duration::from_secs(6) };
    let (processor, a) = run_audio_with_tail(processor, &left, &right, &[256], Some(tail));
    let (processor, b) = run_audio(processor, &left, &right, &[1000]);
    let short = rate as usize / 4;
    let (processor, c) = run_audio(processor, &left[..short], &right[..short], &[1, 7, 13, 1024, 3]);
    instance.deactivate(processor);
    assert!(a.frames >= left.len() && (a.frames - left.len()) % 256 == 0);
    assert_eq!((b.frames, c.frames), (left.len(), short));
    assert_eq!(a.blocks, a.frames.div_ceil(256));
    assert_eq!(b.blocks, left.len().div_ceil(1000));
    for report in [&a, &b, &c] {
        check_note_pairs(report, rate);
    }

    // Reactivate at 44.1 kHz and process again.
    let (l44, r44) = (to_rate(&left, rate, 44_100), to_rate(&right, rate, 44_100));
    let processor = activate(&mut instance, 44_100.0, 4096);
    let (processor, d) = run_audio(processor, &l44, &r44, &[441, 1000, 4096]);
    instance.deactivate(processor);
    assert_eq!(d.frames, l44.len());
    check_note_pairs(&d, 44_100);

    // And back to 48 kHz once more: activation after deactivation must keep working.
    let processor = activate(&mut instance, rate as f64, 512);
    let (processor, e) = run_audio(processor, &left[..rate as usize], &right[..rate as usize], &[512]);
    instance.deactivate(processor);
    assert_eq!(e.frames, rate as usize);
    eprintln!(
        "events (depend on installed models): 256-blocks {:?}, 1000-blocks {}, odd {}, 44.1 kHz {}, reactivated {}",
        a.events,
        b.events.len(),
        c.events.len(),
        d.events.len(),
        e.events.len()
    );
}

#[test]
fn hostile_input_never_reaches_the_output() {
    let entry = load_entry();
    let mut instance = new_instance(&entry);
    let rate = 48_000;
    let n = rate; // 1 s
    let patterns: [(&str, fn(usize) -> f32); 6] = [
        ("NaN", |_| f32::NAN),
        ("+inf", |_| f32::INFINITY),
        ("-inf", |_| f32::NEG_INFINITY),
        ("denormals", |i| if i % 2 == 0 { 1.0e-39 } else { -1.0e-44 }),
        ("mixed", |i| [f32::NAN, 0.25, f32::INFINITY, 1.0e-40, -0.5, f32::NEG_INFINITY, f32::MAX][i % 7]),
        ("full scale", |i| if (i / 24) % 2 == 0 { 1.0 } else { -1.0 }),
    ];
    let mut processor = activate(&mut instance, rate as f64, 1000);
    for (name, pattern) in patterns {
        let left: Vec<f32> = (0..n).map(pattern).collect();
        let right: Vec<f32> = (0..n).map(|i| pattern(i + 3)).collect();
        // run_audio asserts every output sample is finite and equals the finite input.
        let (p, report) = run_audio(processor, &left, &right, &[256, 1000, 1]);
        assert_eq!(report.frames, n, "{name}");
        processor = p;
    }
    // After all that, clean audio still passes bit for bit.
    let (left, right) = (vec![0.125f32; 4800], vec![-0.125f32; 4800]);
    let (processor, _) = run_audio(processor, &left, &right, &[256]);
    instance.deactivate(processor);
}

// ---------------------------------------------------------------------------------------------
// State.

unsafe extern "C" fn write_to_vec(stream: *const clap_ostream, buffer: *const c_void, size: u64) -> i64 {
    // SAFETY: `ctx` is the `Vec<u8>` set up by `save_state`, and the plugin passes a valid buffer.
    let out = unsafe { &mut *((*stream).ctx as *mut Vec<u8>) };
    out.extend_from_slice(unsafe { std::slice::from_raw_parts(buffer as *const u8, size as usize) });
    size as i64
}

struct ReadCursor<'a> {
    data: &'a [u8],
    pos: usize,
}

unsafe extern "C" fn read_from_slice(stream: *const clap_istream, buffer: *mut c_void, size: u64) -> i64 {
    // SAFETY: `ctx` is the `ReadCursor` set up by `load_state`, and the plugin passes a valid buffer.
    let cursor = unsafe { &mut *((*stream).ctx as *mut ReadCursor) };
    let n = (size as usize).min(cursor.data.len() - cursor.pos);
    unsafe { std::ptr::copy_nonoverlapping(cursor.data[cursor.pos..].as_ptr(), buffer as *mut u8, n) };
    cursor.pos += n;
    n as i64
}

fn state_extension(instance: &Instance) -> &'static clap_plugin_state {
    extension(instance, CLAP_EXT_STATE).expect("the plugin implements the state extension")
}

fn save_state(instance: &Instance) -> Vec<u8> {
    let state = state_extension(instance);
    let mut out = Vec::new();
    let stream = clap_ostream { ctx: &mut out as *mut Vec<u8> as *mut c_void, write: Some(write_to_vec) };
    // SAFETY: live instance on its main thread; the stream outlives the call.
    let ok = unsafe { state.save.unwrap()(instance.raw_instance(), &stream) };
    assert!(ok, "state save failed");
    out
}

fn load_state(instance: &Instance, blob: &[u8]) -> bool {
    let state = state_extension(instance);
    let mut cursor = ReadCursor { data: blob, pos: 0 };
    let stream = clap_istream { ctx: &mut cursor as *mut ReadCursor as *mut c_void, read: Some(read_from_slice) };
    // SAFETY: as above.
    unsafe { state.load.unwrap()(instance.raw_instance(), &stream) }
}

/// nice-plug's CLAP state: a little-endian u64 length, then that many bytes of JSON
/// (`{"version", "params": {id: value}, "fields": {name: json-string}}`).
fn parse_state(blob: &[u8]) -> serde_json::Value {
    assert!(blob.len() >= 8, "state too short: {} bytes", blob.len());
    let len = u64::from_le_bytes(blob[..8].try_into().unwrap()) as usize;
    assert_eq!(len, blob.len() - 8, "length prefix does not match the state size");
    serde_json::from_slice(&blob[8..]).unwrap_or_else(|e| panic!("state is not JSON ({e}): {}", String::from_utf8_lossy(&blob[8..])))
}

fn encode_state(value: &serde_json::Value) -> Vec<u8> {
    let json = serde_json::to_vec(value).unwrap();
    let mut blob = (json.len() as u64).to_le_bytes().to_vec();
    blob.extend_from_slice(&json);
    blob
}

/// The persisted command set text (`#[persist = "commands"]`), decoded from its JSON string.
fn saved_commands(state: &serde_json::Value) -> String {
    let field = state["fields"]["commands"].as_str().unwrap_or_else(|| panic!("no `commands` field in {state}"));
    serde_json::from_str::<String>(field).unwrap_or_else(|e| panic!("`commands` field is not a JSON string ({e}): {field}"))
}

const CUSTOM_COMMANDS: &str = r#"[[command]]
id = "test_cue"
phrases = ["cue the test"]
action = { kind = "cc", channel = 3, number = 20, value = 100 }

[[command]]
id = "test_play"
phrases = ["play the test"]
action = { kind = "note", channel = 10, number = 60, value = 90 }
"#;

#[test]
fn state_round_trip_preserves_commands_and_parameters() {
    let entry = load_entry();

    // A fresh instance's state: default parameters, empty command text (= built-in set).
    let first = new_instance(&entry);
    let default_blob = save_state(&first);
    let mut state = parse_state(&default_blob);
    assert_eq!(saved_commands(&state), "", "a fresh instance saves the built-in set as empty text");
    assert!(state["params"].get("sensitivity").is_some(), "params in state: {}", state["params"]);

    // Unchanged state round trip: load into a fresh instance and save again, byte for byte.
    let second = new_instance(&entry);
    assert!(load_state(&second, &default_blob), "loading a freshly saved state failed");
    assert_eq!(save_state(&second), default_blob, "save(load(save())) changed the state");

    // A project with its own commands and a changed parameter.
    state["fields"]["commands"] = serde_json::Value::String(serde_json::to_string(CUSTOM_COMMANDS).unwrap());
    // Parameter values are externally tagged by type: {"f32": 0.5}.
    assert!(state["params"]["sensitivity"]["f32"].is_number(), "sensitivity in state: {}", state["params"]["sensitivity"]);
    // A project saved before "threshold" became "sensitivity": migrated on load (1 - threshold).
    state["params"].as_object_mut().unwrap().remove("sensitivity");
    state["params"]["threshold"] = serde_json::json!({ "f32": 0.75 });
    let custom_blob = encode_state(&state);
    let mut third = new_instance(&entry);
    assert!(load_state(&third, &custom_blob), "loading a state with custom commands failed");
    let third_blob = save_state(&third);
    let reloaded = parse_state(&third_blob);
    assert_eq!(saved_commands(&reloaded), CUSTOM_COMMANDS, "the saved command set did not survive");
    assert!(reloaded["params"].get("threshold").is_none(), "the old parameter is gone: {}", reloaded["params"]);
    let sensitivity = reloaded["params"]["sensitivity"]["f32"].as_f64().expect("sensitivity is a number");
    assert!((sensitivity - 0.25).abs() < 1e-6, "threshold 0.75 came back as sensitivity {sensitivity}");

    // And again into yet another instance: stable.
    let fourth = new_instance(&entry);
    assert!(load_state(&fourth, &third_blob));
    assert_eq!(save_state(&fourth), third_blob, "second round trip changed the state");

    // The instance with the custom set activates, processes and keeps its state.
    let (l, r) = (vec![0.25f32; 4800], vec![-0.25f32; 4800]);
    let processor = activate(&mut third, 48_000.0, 512);
    let (processor, _) = run_audio(processor, &l, &r, &[512]);
    third.deactivate(processor);
    assert_eq!(saved_commands(&parse_state(&save_state(&third))), CUSTOM_COMMANDS);

    // Garbage is refused without harm, and a broken command text still activates (the plugin
    // keeps its previous command set) and passes audio.
    let fifth = new_instance(&entry);
    assert!(!load_state(&fifth, b"\x05\0\0\0\0\0\0\0{nope"), "a truncated/invalid state should be refused");
    let mut broken = parse_state(&default_blob);
    broken["fields"]["commands"] = serde_json::Value::String(serde_json::to_string("[[command]]\nid = 3\n").unwrap());
    let mut sixth = new_instance(&entry);
    assert!(load_state(&sixth, &encode_state(&broken)));
    let processor = activate(&mut sixth, 48_000.0, 512);
    let (processor, report) = run_audio(processor, &l, &r, &[512]);
    sixth.deactivate(processor);
    assert_eq!(report.frames, l.len());
}

/// With the default models installed (`scripts/fetch-models.sh`; the test script runs it), the
/// command spoken in the excerpt ("play left" = play_a, note 36 on channel 1) comes out of the
/// plugin's note output, and nothing else does.
#[test]
fn spoken_command_fires_its_note_through_the_plugin() {
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    assert!(
        models.join("ort/libonnxruntime.so.1.31.1").is_file() && models.join("upstream/silero_vad.onnx").is_file(),
        "models are not installed: run scripts/fetch-models.sh (scripts/test.sh does)"
    );
    let (rate, left, right) = read_excerpt();
    let entry = load_entry();
    let mut instance = new_instance(&entry);
    let processor = activate(&mut instance, rate as f64, 1024);
    let tail = SilentTail { rate, block: 256, limit: Duration::from_secs(10) };
    let (processor, report) = run_audio_with_tail(processor, &left, &right, &[256], Some(tail));
    instance.deactivate(processor);
    let note_ons: Vec<(i16, i16)> = report
        .events
        .iter()
        .filter_map(|(_, _, e)| match e {
            OutEvent::NoteOn { channel, key } => Some((*channel, *key)),
            _ => None,
        })
        .collect();
    assert_eq!(note_ons, vec![(0, 36)], "expected exactly play_a's note 36 on channel 1");
    check_note_pairs(&report, rate);
}
