#!/usr/bin/env bash
# Renders the plugin editor under Xvfb + Mesa and saves target/editor-screenshot.png.
# Installs what it needs (Debian bookworm packages), starts Xvfb on :99 (unless DISPLAY_NUM says
# otherwise), runs the screenshot test and stops Xvfb again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(xvfb x11-apps imagemagick libgl1-mesa-dri libegl1 libglx-mesa0)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

DISPLAY_NUM="${DISPLAY_NUM:-99}"
# The screen is the editor's size, so the grab shows the window only.
Xvfb ":$DISPLAY_NUM" -screen 0 720x560x24 -nolisten tcp >/tmp/voxcue-xvfb.log 2>&1 &
XVFB_PID=$!
trap 'kill "$XVFB_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    [[ -e /tmp/.X11-unix/X$DISPLAY_NUM ]] && break
    sleep 0.1
done

# Mesa's software renderer; no GPU needed.
DISPLAY=":$DISPLAY_NUM" LIBGL_ALWAYS_SOFTWARE=1 cargo test --test editor_screenshot -- --nocapture
echo "screenshot: $(pwd)/target/editor-screenshot.png"
