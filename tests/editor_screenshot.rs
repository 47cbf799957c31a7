//! Renders the editor in a real X11 window (OpenGL through Mesa, e.g. under Xvfb), grabs the
//! screen and checks that readable text was drawn. Saves `target/editor-screenshot.png`.
//!
//! The editor is opened the way a plugin host opens it: `nice_plug`'s `Editor::spawn` with host
//! callbacks, then `show`, then the host's main-thread callbacks as baseview requests them. The
//! engine state is a demo state written into the editor's triple buffer (a fired command and a
//! history), so every part of the window has content.
//!
//! Skips (prints why and passes) without `DISPLAY` or without the screen-grab tools (`xwd`, and
//! ImageMagick's `convert` at /usr/bin/convert). `scripts/editor-screenshot.sh` installs them,
//! starts Xvfb and runs this test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nice_plug::context::gui::GuiContext;
use nice_plug::editor::{Editor, EditorHandle, HostCallbacks, HostMainThreadCaller, HostMethods};
use nice_plug::prelude::{GuiContextInner, ParamPtr, PluginApi, PluginState};
use voxcue::bleed_canceller::CancellerStatus;
use voxcue::commands::{CommandLibrary, CommandSet};
use voxcue::editor::{create, EditorData};
use voxcue::messages::{EngineState, ListenState, ResultSummary};
use voxcue::params::VoxcueParams;

/// ImageMagick's real `convert` (the one on PATH may be a stand-in that only writes PPM).
const CONVERT: &str = "/usr/bin/convert";
/// How long the window gets to paint before the grab.
const PAINT_TIME: Duration = Duration::from_millis(2500);

/// A GUI context that accepts parameter gestures and counts them.
#[derive(Default)]
struct TestGuiContext {
    gestures: std::sync::atomic::AtomicUsize,
}

impl GuiContextInner for TestGuiContext {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {
        self.gestures.fetch_add(1, Ordering::Relaxed);
    }
    unsafe fn raw_set_parameter_normalized(&self, _param: ParamPtr, _normalized: f32) {}
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {}
    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: Default::default(),
            fields: Default::default(),
        }
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}

/// Host window callbacks: accept every resize.
struct TestHostCallbacks;

impl HostCallbacks for TestHostCallbacks {
    fn request_resize(
        &mut self,
        _new_size: nice_plug::editor::dpi::Size,
        _scale_factor: f64,
    ) -> Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
    fn destroyed(&mut self) {}
}

/// Records baseview's requests for a main-thread callback (like CLAP's `request_callback`).
struct TestMainThread(Arc<AtomicBool>);

impl HostMainThreadCaller for TestMainThread {
    fn call_main_thread(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// A state with something in every part of the window.
fn demo_state() -> EngineState {
    let result = |t: &str, best: &str, c: f32, fired: bool, runner: (&str, f32)| ResultSummary {
        transcript: Some(t.into()),
        best: Some(best.into()),
        confidence: c,
        runner_up: Some((runner.0.into(), runner.1)),
        fired,
        latency_ms: 142.0,
        duration_s: 0.9,
    };
    EngineState {
        listen: ListenState::Fired,
        recognizer: "ASR + scoring".into(),
        models: vec!["hama phoneme CTC (5 MB)".into(), "Silero VAD (2 MB)".into()],
        errors: vec![],
        history: vec![
            result("play deck a", "play_a", 0.93, true, ("play_b", 0.41)),
            result("loop eight", "loop_8_a", 0.88, true, ("loop_4_a", 0.52)),
            result("uh what", "pause_b", 0.31, false, ("sync_a", 0.22)),
            result("sync b", "sync_b", 0.90, true, ("sync_a", 0.61)),
            result("cue left", "cue_a", 0.84, true, ("cue_b", 0.47)),
        ],
        dropped_samples: 0,
        input_db: -21.0,
        commands: None,
        faults: 0,
        teaching: None,
        canceller: CancellerStatus { active: true, locked: true, delay_ms: 14.0, reduction_db: 19.0 },
    }
}

/// `target/` (or `$CARGO_TARGET_DIR`), found from this test binary: `<target>/<profile>/deps/<exe>`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .expect("test binary lives in <target>/<profile>/deps")
}

/// Why the test cannot run here, if it cannot.
fn skip_reason() -> Option<String> {
    if std::env::var_os("DISPLAY").is_none() {
        return Some("no DISPLAY (run scripts/editor-screenshot.sh to use Xvfb)".into());
    }
    let works = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !works("xwd", "-help") && !Path::new("/usr/bin/xwd").exists() {
        return Some("xwd is not installed (apt-get install x11-apps)".into());
    }
    if !works(CONVERT, "-version") {
        return Some(format!(
            "ImageMagick is not installed at {CONVERT} (apt-get install imagemagick)"
        ));
    }
    None
}

/// Grabs the whole X screen into a PNG.
fn grab_screen(png: &Path) {
    let mut xwd = Command::new("xwd")
        .args(["-root", "-silent"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run xwd");
    let status = Command::new(CONVERT)
        .arg("xwd:-")
        .arg(format!("png:{}", png.display()))
        .stdin(xwd.stdout.take().expect("xwd stdout"))
        .status()
        .expect("run convert");
    assert!(xwd.wait().is_ok_and(|s| s.success()), "xwd failed");
    assert!(status.success(), "convert xwd -> png failed");
}

/// Decoded RGB pixels of an image file.
struct Rgb {
    width: usize,
    height: usize,
    pixels: Vec<[u8; 3]>,
}

/// Reads an image through ImageMagick as binary PPM.
fn read_rgb(path: &Path) -> Rgb {
    let out = Command::new(CONVERT)
        .arg(path)
        .args(["-depth", "8", "ppm:-"])
        .output()
        .expect("run convert");
    assert!(
        out.status.success(),
        "convert -> ppm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = out.stdout;
    // Header: "P6" width height maxval (whitespace-separated, '#' comments), one whitespace, pixels.
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while data[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if data[pos] == b'#' {
            // A comment runs to the end of its line.
            while data[pos] != b'\n' {
                pos += 1;
            }
            continue;
        }
        let start = pos;
        while !data[pos].is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..pos]).into_owned());
    }
    pos += 1;
    assert_eq!(fields[0], "P6");
    let width: usize = fields[1].parse().unwrap();
    let height: usize = fields[2].parse().unwrap();
    let pixels: Vec<[u8; 3]> = data[pos..]
        .chunks_exact(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    assert_eq!(pixels.len(), width * height);
    Rgb {
        width,
        height,
        pixels,
    }
}

#[test]
fn editor_renders_readable_text() {
    if let Some(why) = skip_reason() {
        println!("SKIPPED editor screenshot: {why}");
        return;
    }
    let started = Instant::now();

    let params = Arc::new(VoxcueParams::default());
    let (mut state_in, state_out) = triple_buffer::triple_buffer(&EngineState::default());
    state_in.write(demo_state());
    let data = EditorData {
        params: Arc::clone(&params),
        engine_state: Arc::new(Mutex::new(state_out)),
        engine_link: Arc::new(Mutex::new(None)),
        library: Arc::new(Mutex::new(CommandLibrary::new(Arc::new(
            CommandSet::default_dj(),
        )))),
    };
    let editor = create(data).expect("editor");

    let wake = Arc::new(AtomicBool::new(false));
    let gui = GuiContext::new(Arc::new(TestGuiContext::default()));
    let host = HostMethods {
        callbacks: Box::new(TestHostCallbacks),
        main_thread_caller: Box::new(TestMainThread(Arc::clone(&wake))),
    };
    let spawned = editor
        .spawn(None, false, Some(1.0), gui, Some(host))
        .expect("open the editor window");
    spawned
        .handle
        .show(&spawned.window)
        .expect("show the editor window");
    assert!(params.editor_state.is_open());

    // The host's main loop: answer baseview's main-thread requests while the window paints.
    let paint_until = Instant::now() + PAINT_TIME;
    while Instant::now() < paint_until {
        if wake.swap(false, Ordering::AcqRel) {
            spawned.handle.host_main_thread_callback(&spawned.window);
        }
        std::thread::sleep(Duration::from_millis(5));
    }

    let png = target_dir().join("editor-screenshot.png");
    grab_screen(&png);

    // Second look: a rejected utterance and engine problems (red banner and tab).
    let mut problems = demo_state();
    problems.listen = ListenState::Rejected;
    problems.history.insert(
        0,
        ResultSummary {
            transcript: Some("play the deck".into()),
            best: Some("play_b".into()),
            confidence: 0.44,
            fired: false,
            ..Default::default()
        },
    );
    problems.errors = vec![
        "The S2O model is missing: run scripts/fetch-models.sh".into(),
        "Microphone input is silent".into(),
    ];
    problems.dropped_samples = 4800;
    problems.faults = 1;
    state_in.write(problems);
    let paint_until = Instant::now() + Duration::from_millis(600);
    while Instant::now() < paint_until {
        if wake.swap(false, Ordering::AcqRel) {
            spawned.handle.host_main_thread_callback(&spawned.window);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let problems_png = target_dir().join("editor-screenshot-problems.png");
    grab_screen(&problems_png);
    drop(spawned);
    println!(
        "second screenshot (rejected, engine problems): {}",
        problems_png.display()
    );
    println!(
        "editor screenshot saved to {} ({:.1} s)",
        png.display(),
        started.elapsed().as_secs_f32()
    );

    let image = read_rgb(&png);
    // Look at the editor's area only (the window opens at the top-left of an empty screen).
    let (w, h) = (image.width.min(720), image.height.min(560));
    let area: Vec<[u8; 3]> = (0..h)
        .flat_map(|y| {
            image.pixels[y * image.width..y * image.width + w]
                .iter()
                .copied()
        })
        .collect();
    let distinct: std::collections::HashSet<[u8; 3]> = area.iter().copied().collect();
    let bright = area.iter().filter(|p| p.iter().all(|&c| c >= 200)).count();
    // Anti-aliased glyph edges give many grey levels between the dark panels and white text.
    let greys: std::collections::HashSet<u8> = area
        .iter()
        .filter(|p| p[0] == p[1] && p[1] == p[2] && (60..200).contains(&p[0]))
        .map(|p| p[0])
        .collect();
    println!(
        "{} distinct colours, {bright} bright pixels, {} grey levels",
        distinct.len(),
        greys.len()
    );
    assert!(
        distinct.len() >= 200,
        "the window looks blank: only {} colours",
        distinct.len()
    );
    assert!(bright >= 2000, "too few bright (text) pixels: {bright}");
    assert!(
        greys.len() >= 40,
        "text does not look anti-aliased ({} grey levels): fonts missing?",
        greys.len()
    );
    // The status light ("FIRED") is green: plenty of its pixels must be there.
    let green = area
        .iter()
        .filter(|p| p[1] > 140 && p[0] < 60 && p[2] < 100)
        .count();
    assert!(
        green >= 5000,
        "the green status light is missing ({green} pixels)"
    );
}
