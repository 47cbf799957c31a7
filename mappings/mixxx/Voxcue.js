// Voxcue.js: the script half of the Voxcue mapping for Mixxx 2.4 or later.
//
// Voxcue sends each spoken command as a note-on (MIDI channel 1, note 36 + n, see
// src/default_commands.toml) and a note-off shortly after. Voxcue.midi.xml maps only the note-ons,
// to the functions below. Every function sets a fixed state ("play" plays, "pause" pauses), so a
// command heard twice never toggles back. Runs on Mixxx's controller thread, like any mapping.
var Voxcue = {};

/** Library rows one "scroll up/down" command moves. */
Voxcue.scrollRows = 10;

/** Volume change of one "volume up/down" command, as a fraction of the fader. */
Voxcue.volumeStep = 0.1;

/** Times of the recent "tap tempo" commands (ms). */
Voxcue.taps = [];

/** Taps further apart than this start a new tap-tempo measurement. */
Voxcue.tapResetMs = 2000;

Voxcue.init = function (_id, _debugging) {
    Voxcue.taps = [];
};

Voxcue.shutdown = function () {};

/** Presses and releases a push-button control: one click of a one-shot action. */
Voxcue.press = function (group, key) {
    engine.setValue(group, key, 1);
    engine.setValue(group, key, 0);
};

// Decks ([Channel1] = deck A, [Channel2] = deck B: the group comes from the XML).

Voxcue.play = function (_channel, _control, value, _status, group) {
    if (value > 0) { engine.setValue(group, "play", 1); }
};

Voxcue.pause = function (_channel, _control, value, _status, group) {
    if (value > 0) { engine.setValue(group, "play", 0); }
};

/** Back to the cue point and stop (a CDJ cue press while playing, without its other modes). */
Voxcue.cue = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.press(group, "cue_gotoandstop"); }
};

/** One-shot tempo (and, with quantize, phase) sync to the other deck. */
Voxcue.sync = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.press(group, "beatsync"); }
};

Voxcue.loop4 = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.press(group, "beatloop_4_activate"); }
};

Voxcue.loop8 = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.press(group, "beatloop_8_activate"); }
};

/** Leaves the active loop; does nothing when none is active (loop_enabled is writable in 2.4). */
Voxcue.loopExit = function (_channel, _control, value, _status, group) {
    if (value > 0 && engine.getValue(group, "loop_enabled") > 0) {
        engine.setValue(group, "loop_enabled", 0);
    }
};

Voxcue.load = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.press(group, "LoadSelectedTrack"); }
};

Voxcue.tempoUp = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.press(group, "rate_perm_up_small"); }
};

Voxcue.tempoDown = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.press(group, "rate_perm_down_small"); }
};

Voxcue.volumeUp = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.nudgeVolume(group, Voxcue.volumeStep); }
};

Voxcue.volumeDown = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.nudgeVolume(group, -Voxcue.volumeStep); }
};

Voxcue.nudgeVolume = function (group, delta) {
    var level = engine.getParameter(group, "volume") + delta;
    engine.setParameter(group, "volume", Math.max(0, Math.min(1, level)));
};

/** Jumps to hotcue 1 (sets it at the play position when it is not set yet). */
Voxcue.hotcue1 = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.press(group, "hotcue_1_activate"); }
};

Voxcue.hotcue2 = function (_channel, _control, value, _status, group) {
    if (value > 0) { Voxcue.press(group, "hotcue_2_activate"); }
};

/** Makes the deck the explicit sync leader ("master deck a"). */
Voxcue.leader = function (_channel, _control, value, _status, group) {
    if (value > 0) { engine.setValue(group, "sync_leader", 1); }
};

// Library. [Playlist] moves the selection even when another window (Voxcue's) has the focus;
// [Library],MoveDown and friends act as key presses and need Mixxx's window focused.

Voxcue.nextTrack = function (_channel, _control, value, _status, _group) {
    if (value > 0) { engine.setValue("[Playlist]", "SelectTrackKnob", 1); }
};

Voxcue.previousTrack = function (_channel, _control, value, _status, _group) {
    if (value > 0) { engine.setValue("[Playlist]", "SelectTrackKnob", -1); }
};

Voxcue.scrollDown = function (_channel, _control, value, _status, _group) {
    if (value > 0) { engine.setValue("[Playlist]", "SelectTrackKnob", Voxcue.scrollRows); }
};

Voxcue.scrollUp = function (_channel, _control, value, _status, _group) {
    if (value > 0) { engine.setValue("[Playlist]", "SelectTrackKnob", -Voxcue.scrollRows); }
};

// Mixer and effects.

Voxcue.crossfadeLeft = function (_channel, _control, value, _status, _group) {
    if (value > 0) { engine.setValue("[Master]", "crossfader", -1); }
};

Voxcue.crossfadeCenter = function (_channel, _control, value, _status, _group) {
    if (value > 0) { engine.setValue("[Master]", "crossfader", 0); }
};

Voxcue.crossfadeRight = function (_channel, _control, value, _status, _group) {
    if (value > 0) { engine.setValue("[Master]", "crossfader", 1); }
};

/** Effect unit 1 (assign it to the decks in Mixxx's effect rack). */
Voxcue.effectsOn = function (_channel, _control, value, _status, _group) {
    if (value > 0) { engine.setValue("[EffectRack1_EffectUnit1]", "enabled", 1); }
};

Voxcue.effectsOff = function (_channel, _control, value, _status, _group) {
    if (value > 0) { engine.setValue("[EffectRack1_EffectUnit1]", "enabled", 0); }
};

// Recording ([Recording],status: 0 stopped, 1 starting, 2 recording).

Voxcue.recordStart = function (_channel, _control, value, _status, _group) {
    if (value > 0 && engine.getValue("[Recording]", "status") === 0) {
        Voxcue.press("[Recording]", "toggle_recording");
    }
};

Voxcue.recordStop = function (_channel, _control, value, _status, _group) {
    if (value > 0 && engine.getValue("[Recording]", "status") !== 0) {
        Voxcue.press("[Recording]", "toggle_recording");
    }
};

// Tap tempo: sets the tempo of the sync leader deck (else the first playing deck, else deck 1)
// from the spacing of repeated "tap tempo" commands. Speech timing varies by tens of
// milliseconds, so this is a coarse setting, not a beat-exact one.

Voxcue.tapTempo = function (_channel, _control, value, _status, _group) {
    if (value <= 0) { return; }
    var now = Date.now();
    var taps = Voxcue.taps;
    if (taps.length > 0 && now - taps[taps.length - 1] > Voxcue.tapResetMs) { taps.length = 0; }
    taps.push(now);
    if (taps.length > 5) { taps.shift(); }
    if (taps.length < 2) { return; }
    var bpm = 60000 * (taps.length - 1) / (taps[taps.length - 1] - taps[0]);
    Voxcue.setDeckBpm(Voxcue.tapDeck(), bpm);
};

Voxcue.tapDeck = function () {
    var decks = engine.getValue("[Master]", "num_decks") || 2;
    var d;
    for (d = 1; d <= decks; d++) {
        if (engine.getValue("[Channel" + d + "]", "sync_leader") > 0) { return "[Channel" + d + "]"; }
    }
    for (d = 1; d <= decks; d++) {
        if (engine.getValue("[Channel" + d + "]", "play") > 0) { return "[Channel" + d + "]"; }
    }
    return "[Channel1]";
};

/** Moves the deck's tempo fader so that the track plays at `bpm`. */
Voxcue.setDeckBpm = function (group, bpm) {
    var fileBpm = engine.getValue(group, "file_bpm");
    var range = engine.getValue(group, "rateRange");
    if (!(fileBpm > 0) || !(range > 0)) { return; }
    var rate = (bpm / fileBpm - 1) / range * engine.getValue(group, "rate_dir");
    engine.setValue(group, "rate", Math.max(-1, Math.min(1, rate)));
};
