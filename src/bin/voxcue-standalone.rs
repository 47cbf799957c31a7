//! `voxcue-standalone`: the Voxcue plugin as its own application, for DJ software that hosts no
//! plugins (Rekordbox, Serato, Traktor, Mixxx). Built only with `--features standalone`.
//!
//! Threads: nice-plug's standalone wrapper runs the plugin's `process()` on the backend's audio
//! thread (JACK's process callback, or the ALSA stream's) and the editor on this main thread when
//! an X display is available; without one it runs headless until SIGINT. Voxcue starts its own
//! engine thread on activation exactly as in a plugin host. Nothing here touches the audio thread:
//! this file only picks default arguments before handing over to the wrapper.
//!
//! Usual run with JACK: `voxcue-standalone -b jack --connect-jack-inputs system:capture_1
//! --connect-jack-midi-output PORT`; `--help` lists every flag (ALSA: `-b alsa --input-device DEV
//! --midi-output DEV`).

use std::process::ExitCode;

use nice_plug::prelude::{nice_export_standalone_with_args, AudioIOLayout, Plugin};
use voxcue::Voxcue;

fn main() -> ExitCode {
    let args = with_default_layout(std::env::args().collect(), Voxcue::AUDIO_IO_LAYOUTS);
    // `false` when the chosen backend could not start (the wrapper has printed why).
    if nice_export_standalone_with_args::<Voxcue, _>(args) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Adds `--audio-layout N` unless the user chose a layout.
///
/// NOTE: nice-plug 0.4.2 names the main *output* ports after the main *input*
/// (`AudioIOLayout::main_output_name` reads `names.main_input`), so with a layout whose main input
/// has a name the JACK backend registers `microphone_1` twice and JACK refuses the second
/// ("failed to register port"). The default is therefore the first layout whose port names cannot
/// collide, preferring the most input channels. The ALSA backend does not use port names and
/// ignores sidechains, so the same default costs it nothing.
fn with_default_layout(mut args: Vec<String>, layouts: &[AudioIOLayout]) -> Vec<String> {
    if args.iter().skip(1).any(|a| names_layout(a)) {
        return args;
    }
    if let Some(index) = collision_free_layout(layouts) {
        // The wrapper's layout numbers are 1-based.
        args.extend(["--audio-layout".to_string(), (index + 1).to_string()]);
    }
    args
}

/// Whether a command-line argument selects the audio layout itself.
fn names_layout(arg: &str) -> bool {
    arg == "--audio-layout"
        || arg.starts_with("--audio-layout=")
        || (arg.starts_with("-l") && !arg.starts_with("--"))
}

/// Index of the first layout with the most main input channels among those whose JACK port names
/// are distinct (no named main input, or no main output to collide with).
fn collision_free_layout(layouts: &[AudioIOLayout]) -> Option<usize> {
    let channels = |l: &AudioIOLayout| l.main_input_channels.map_or(0, |c| c.get());
    layouts
        .iter()
        .enumerate()
        .filter(|(_, l)| l.names.main_input.is_none() || l.main_output_channels.is_none())
        .fold(None, |best: Option<(usize, u32)>, (i, l)| match best {
            Some((_, c)) if c >= channels(l) => best,
            _ => Some((i, channels(l))),
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn picks_a_layout_without_colliding_port_names() {
        let index = collision_free_layout(Voxcue::AUDIO_IO_LAYOUTS).expect("one layout is safe");
        let layout = Voxcue::AUDIO_IO_LAYOUTS[index];
        assert_ne!(layout.main_input_name(), layout.main_output_name(), "layout {}", index + 1);
    }

    #[test]
    fn keeps_a_layout_the_user_chose() {
        for given in [&["x", "-l", "1"][..], &["x", "-l1"], &["x", "--audio-layout", "2"], &["x", "--audio-layout=2"]] {
            assert_eq!(with_default_layout(args(given), Voxcue::AUDIO_IO_LAYOUTS), args(given));
        }
        let added = with_default_layout(args(&["x", "-b", "jack"]), Voxcue::AUDIO_IO_LAYOUTS);
        assert_eq!(added[3], "--audio-layout");
    }
}
