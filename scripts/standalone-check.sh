#!/usr/bin/env bash
# The standalone app (voxcue-standalone) end to end under JACK's dummy backend, as a DJ runs it
# beside Rekordbox/Serato/Traktor/Mixxx:
#   1. installs what it needs (apt-get, only what is missing), builds the standalone binary (dev
#      profile, the shared target dir) and runs its unit tests;
#   2. starts a private JACK server (`jackd --no-realtime -d dummy`, own server name), runs the app
#      headless, plays tests/data/stream_excerpt.wav ("play left") into its input with jack-play,
#      records its audio output beside the player's signal, and captures its MIDI output with
#      jack_midi_dump. Checks: the audio passes unchanged; exactly play_a's note 36 on MIDI
#      channel 1 (jack_midi_dump's channel 0) arrives, with its note-off; Ctrl-C exits cleanly;
#   3. when an X display is available (scripts/test.sh starts Xvfb on :99; else one is started
#      here if Xvfb is installed), runs the app with its editor and clicks through it with
#      xdotool: a command's Test button, Listening off, push-to-talk released and held, and the
#      S2O recognizer, each checked by the notes that do or do not arrive.
# Prints one line per check and a cargo-style "test result:" line that scripts/test.sh counts.
# Exit status 1 when a check failed. When the run cannot happen here for a reason shown (packages
# not installable, the JACK server refusing to start), it says why and exits 0 with the checks
# reported as skipped.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

wav="$here/tests/data/stream_excerpt.wav"   # "play left" at 3.50-4.36 s over music, 7.8 s
note_36='90 24 7f'                            # note-on, channel 1, note 36 (play_a), velocity 127
period=256
work="$(mktemp -d)"
passed=0 failed=0 skipped=0
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "standalone: ok      $1"; passed=$((passed + 1)); }
bad() { echo "standalone: FAILED  $1" >&2; failed=$((failed + 1)); }
skip() { echo "standalone: skipped $1"; skipped=$((skipped + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

summary() {
  local word=ok
  [[ $failed -gt 0 ]] && word=FAILED
  echo "test result: $word. $passed passed; $failed failed; $skipped ignored; 0 measured; 0 filtered out (standalone app under JACK)"
  [[ $failed -eq 0 ]]
}

# --- 1. packages, build ---------------------------------------------------------------------

missing_packages() {
  local p
  for p in libasound2-dev libjack-jackd2-dev jackd2 jack-tools xdotool libxml2-utils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

install_packages() {
  local need
  need=$(missing_packages)
  [[ -z "$need" ]] && return 0
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "standalone-check: missing packages ($(echo $need)) and no root apt-get to install them" >&2
    return 1
  fi
  # jackd2 asks about real-time priority; noninteractive keeps the default (off).
  # shellcheck disable=SC2086
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null) \
    || { echo "standalone-check: apt-get install $(echo $need) failed" >&2; return 1; }
}

if ! install_packages; then
  skip "everything: the JACK/ALSA packages are not installed and cannot be installed here"
  summary
  exit 0
fi

# From here on every step reports its own result; a failing step must not stop the others.
set +e
if cargo build --features standalone --bin voxcue-standalone 2>&1 | tail -n 3; then
  ok "cargo build --features standalone --bin voxcue-standalone"
else
  bad "cargo build --features standalone --bin voxcue-standalone"
  summary || exit 1
fi
app="$here/target/debug/voxcue-standalone"

# The Mixxx mapping for the default commands (no Mixxx here: a stand-in engine object).
check "Mixxx mapping: mappings/mixxx/Voxcue.midi.xml is well-formed XML" \
  'xmllint --noout mappings/mixxx/Voxcue.midi.xml'
if command -v node >/dev/null 2>&1; then
  check "Mixxx mapping: every default command mapped to a Voxcue.js function that sets a control" \
    'node scripts/mixxx-mapping-check.js >"$work/mixxx.log" 2>&1 || { cat "$work/mixxx.log" >&2; false; }'
else
  skip "Mixxx mapping script check: node is not installed"
fi
check "unit tests of the standalone binary" \
  'cargo test -q --features standalone --bin voxcue-standalone >"$work/unit.log" 2>&1 || { cat "$work/unit.log" >&2; false; }'

# --- 2. a private JACK server ---------------------------------------------------------------

export JACK_DEFAULT_SERVER="voxcue-check-$$" JACK_NO_AUDIO_RESERVATION=1
jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p "$period" >"$work/jackd.log" 2>&1 &
pids+=($!)
jack_up=false
for _ in $(seq 100); do
  if jack_lsp 2>/dev/null | grep -q '^system:playback_1'; then jack_up=true; break; fi
  sleep 0.1
done
if ! $jack_up; then
  echo "standalone-check: the JACK dummy server did not start here; its log:" >&2
  cat "$work/jackd.log" >&2
  skip "the JACK runs: jackd -d dummy could not start in this environment (log above)"
  summary
  exit $?
fi

# Waits until port $1 exists (up to 60 s: the first start loads the models).
wait_port() {
  local _
  for _ in $(seq 600); do jack_lsp 2>/dev/null | grep -qx "$1" && return 0; sleep 0.1; done
  return 1
}

# Starts a jack_midi_dump client named $2 on voxcue's MIDI output, writing to $1.
start_midi_dump() {
  jack_midi_dump "$2" >"$1" 2>&1 &
  pids+=($!)
  wait_port "$2:input" && jack_connect voxcue:midi_output "$2:input"
  # An event sent in the cycles right after connecting can be missed by the monitor.
  sleep 1
}

# Plays the WAV into voxcue's inputs and returns when it has finished, plus 2 s for the engine.
play_wav() {
  JACK_PLAY_CONNECT_TO="voxcue:input_%d" jack-play -u -n player "$wav" >/dev/null 2>&1
  sleep 2
}

notes_36() { grep -c "$note_36" "$1" || true; }
notes_all() { grep -c 'note on' "$1" || true; }

# Starts the app (extra env in "$@"), remembers its pid in $app_pid and waits for its ports and
# for the models to load.
start_app() {
  env "$@" "$app" -b jack >"$work/app.log" 2>&1 &
  app_pid=$!
  pids+=($app_pid)
  wait_port voxcue:midi_output || { cat "$work/app.log" >&2; return 1; }
  # The engine thread loads and warms up its models after activation; the capture ring holds
  # 4 s, so an early start would still be heard, but wait so every run starts alike.
  sleep 5
}

# Sends SIGINT to the app and waits up to 30 s (the engine thread finishes the utterance it is
# recognizing first, slow on a loaded machine). Sets $app_exit ("stuck" if it did not end, with
# its threads' states printed) and $stop_seconds.
stop_with_ctrl_c() {
  local start=$SECONDS t
  kill -INT "$app_pid"
  app_exit=stuck
  for _ in $(seq 300); do
    if ! kill -0 "$app_pid" 2>/dev/null; then wait "$app_pid"; app_exit=$?; break; fi
    sleep 0.1
  done
  stop_seconds=$((SECONDS - start))
  if [[ $app_exit == stuck ]]; then
    echo "standalone-check: the app did not stop; its threads (name, wait channel, state):" >&2
    for t in /proc/"$app_pid"/task/*; do
      echo "    $(cat "$t/comm") $(cat "$t/wchan" 2>/dev/null) $(cut -d' ' -f3 "$t/stat")" >&2
    done
    tail -n 5 "$work/app.log" >&2
  fi
}

# --- 2a. headless run: audio passes, the command fires, Ctrl-C exits ---------------------------

compare_audio() {
  # Channels 1-2: voxcue's output; 3-4: the player's output recorded in the same JACK cycles.
  python3 - "$1" "$period" <<'PY'
import struct, sys
path, period = sys.argv[1], int(sys.argv[2])
data = open(path, 'rb').read()
pos, fmt = 12, None
while pos + 8 <= len(data):
    cid, size = data[pos:pos + 4], struct.unpack('<I', data[pos + 4:pos + 8])[0]
    body = data[pos + 8:pos + 8 + size]
    if cid == b'fmt ':
        fmt = struct.unpack('<HHIIHH', body[:16])
    elif cid == b'data':
        break
    pos += 8 + size + (size & 1)
tag, ch, bits = fmt[0], fmt[1], fmt[5]
if (tag, ch, bits) not in ((3, 4, 32), (0xFFFE, 4, 32)):
    sys.exit(f"unexpected recording format {fmt}")
vals = struct.unpack('<%df' % (len(body) // 4), body)
out, inp = [vals[c::4] for c in (0, 1)], [vals[c::4] for c in (2, 3)]
blocks = [b for b in range(len(inp[0]) // period)
          if any(inp[0][b * period:(b + 1) * period]) and any(out[0][b * period:(b + 1) * period])]
blocks = blocks[2:-2]  # connection and disconnection cycles
same = late = 0
for b in blocks:
    s = slice(b * period, (b + 1) * period)
    p = slice((b - 1) * period, b * period)
    if all(out[c][s] == inp[c][s] for c in (0, 1)):
        same += 1
    elif all(out[c][s] == inp[c][p] for c in (0, 1)):
        late += 1  # the app ran before the player in that cycle (a dummy-driver overrun)
n = len(blocks)
print(f"{n} blocks of {period} frames with signal: {same} bit-identical to the input in the same cycle, "
      f"{late} bit-identical one cycle late, {n - same - late} different")
sys.exit(0 if n >= 1000 and same + late >= 0.98 * n else 1)
PY
}

if start_app -u DISPLAY -u WAYLAND_DISPLAY; then
  start_midi_dump "$work/midi-headless.txt" dump-headless
  jack-record -n 4 -t 11 "$work/passthrough.wav" >/dev/null 2>&1 &
  rec_pid=$!
  pids+=($rec_pid)
  wait_port "jack-record-$rec_pid:in_4"
  jack_connect voxcue:output_1 "jack-record-$rec_pid:in_1"
  jack_connect voxcue:output_2 "jack-record-$rec_pid:in_2"
  JACK_PLAY_CONNECT_TO="voxcue:input_%d" jack-play -u -n player "$wav" >/dev/null 2>&1 &
  play_pid=$!
  pids+=($play_pid)
  wait_port player:out_2
  jack_connect player:out_1 "jack-record-$rec_pid:in_3"
  jack_connect player:out_2 "jack-record-$rec_pid:in_4"
  wait "$play_pid" || true
  wait "$rec_pid" || true
  sleep 1
  echo "standalone: MIDI captured (headless):"
  sed 's/^/    /' "$work/midi-headless.txt"
  passthrough=$(compare_audio "$work/passthrough.wav")
  passthrough_ok=$?
  check "audio passes through unchanged: $passthrough" '[[ $passthrough_ok == 0 ]]'
  check "\"play left\" fires note 36 on channel 1 exactly once, and nothing else" \
    '[[ $(notes_36 "$work/midi-headless.txt") == 1 && $(notes_all "$work/midi-headless.txt") == 1 ]]'
  check "its note-off follows" 'grep -q "80 24 00" "$work/midi-headless.txt"'
  stop_with_ctrl_c
  # nice-plug's wrapper returns an error after a run without an editor window, so the exit
  # status is 1 even for a clean stop; what matters is that Ctrl-C ends it.
  check "Ctrl-C stops the app (exit status $app_exit after $stop_seconds s)" '[[ $app_exit != stuck ]]'
  kill "$app_pid" 2>/dev/null || true
  sleep 1
else
  bad "the headless app registers its JACK ports (log above)"
fi

# --- 2b. the editor's controls under X ------------------------------------------------------

# Window coordinates of the editor's controls at its default size (720x560, scale 1); see
# src/editor/controls.rs. The top bar and the push-to-talk button do not move; the first Test
# button does once a test-fire line appears above the list, so it is clicked once, first.
xy_test_play_a="502 307"
xy_listening="175 20"
xy_mode_vad="301 20"
xy_mode_ptt="408 20"
xy_ptt_button="510 79"
xy_recognizer="533 20"
xy_recognizer_s2o="497 83"

display_ready() {
  if [[ -n "${DISPLAY:-}" ]] && xdotool getdisplaygeometry >/dev/null 2>&1; then return 0; fi
  command -v Xvfb >/dev/null 2>&1 || return 1
  Xvfb :98 -screen 0 720x560x24 -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  export DISPLAY=:98 LIBGL_ALWAYS_SOFTWARE=1
  for _ in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

click() { xdotool mousemove --window "$window" $1 click 1; sleep 1.5; }

# Plays the WAV while the push-to-talk button is held from 3.0 s to 5.0 s (speech: 3.50-4.36 s).
play_with_ptt_held() {
  JACK_PLAY_CONNECT_TO="voxcue:input_%d" jack-play -u -n player "$wav" >/dev/null 2>&1 &
  local player=$!
  sleep 3
  xdotool mousemove --window "$window" $xy_ptt_button mousedown 1
  sleep 2
  xdotool mouseup 1
  wait "$player" || true
  sleep 2
}

# Runs step $2 and checks that it added $3 notes 36 (and no other note) to the capture.
expect_notes() {
  local name=$1 step=$2 want=$3 before36 beforeall
  before36=$(notes_36 "$midi") beforeall=$(notes_all "$midi")
  eval "$step"
  local got36=$(($(notes_36 "$midi") - before36)) gotall=$(($(notes_all "$midi") - beforeall))
  check "$name: $got36 note 36 (want $want)" '[[ $got36 == "$want" && $gotall == "$want" ]]'
}

if ! display_ready; then
  skip "editor controls: no X display and no Xvfb to start one"
elif start_app LIBGL_ALWAYS_SOFTWARE=1; then
  window=""
  for _ in $(seq 100); do
    window=$(xdotool search --name '^Voxcue$' 2>/dev/null | head -n 1 || true)
    [[ -n "$window" ]] && break
    sleep 0.1
  done
  if [[ -z "$window" ]]; then
    bad "the editor window opens (app log below)"
    cat "$work/app.log" >&2
  else
    ok "the editor window opens in the standalone app"
    midi="$work/midi-editor.txt"
    start_midi_dump "$midi" dump-editor
    expect_notes "Test button of play_a, no audio" "click '$xy_test_play_a'" 1
    click "$xy_listening"
    expect_notes "Listening OFF, \"play left\" played" play_wav 0
    click "$xy_listening"
    expect_notes "Listening ON again, \"play left\" played" play_wav 1
    click "$xy_mode_ptt"
    expect_notes "push-to-talk mode, button released, \"play left\" played" play_wav 0
    expect_notes "push-to-talk mode, button held over the speech" play_with_ptt_held 1
    click "$xy_mode_vad"
    click "$xy_recognizer"
    click "$xy_recognizer_s2o"
    sleep 3  # the engine loads the S2O model
    expect_notes "S2O recognizer, \"play left\" played" play_wav 1
    if command -v import >/dev/null 2>&1; then
      mkdir -p target && import -window "$window" target/standalone-editor.png 2>/dev/null || true
    fi
    echo "standalone: MIDI captured (editor run):"
    sed 's/^/    /' "$midi"
  fi
  kill "$app_pid" 2>/dev/null || true
else
  bad "the app with its editor registers its JACK ports (log above)"
fi

summary
