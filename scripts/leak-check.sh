#!/usr/bin/env bash
# Leak check (issue 7): does unloading Voxcue while it is recognizing free everything?
#
# examples/leak_check.rs starts the engine with the real models exactly as the plugin does on
# activation (EngineConfig::new: silero VAD + the recognizer, models from the process-wide cache),
# feeds a spoken command through the audio-thread path (AudioSide::process_block), waits until the
# recognizer is running on it, then drops the engine handle (Shutdown + join, as on deactivation or
# unload) and the audio side. It repeats that CYCLES times in one process; every cycle reloads the
# models, because the previous engine was their last owner.
#
# Usage: bash scripts/leak-check.sh [--cycles N] [--recognizer asr|s2o] [--wav CLIP.wav]
# Needs valgrind (Debian: apt-get install valgrind). Takes ~1 min per cycle on 2 cores.
#
# How to read valgrind's LEAK SUMMARY:
# - "definitely lost" and "indirectly lost" are leaks: both must be 0 (the script fails otherwise).
# - "still reachable" is memory that something still points to at exit and that is allocated once
#   per process, not per engine: ONNX Runtime's environment (created once, never destroyed, by
#   design), the dynamic loader's data for libonnxruntime, libstdc++'s exception pool and the
#   parsed built-in command set. It is the same after 1 cycle and after 3.
# - "possibly lost" (<1 KB) is the process-wide model cache (src/models.rs): one entry per model
#   file (its key and the emptied Arc allocation behind its Weak), reached only through an
#   interior pointer of the hash table, which valgrind cannot prove. Bounded by the number of model
#   files, the same for 1 and 3 cycles.
# - Valgrind also reports 4 "Invalid read of size 8" inside glibc's dlopen (strncmp in
#   _dl_map_object: valgrind's known false positive for glibc's SSE string functions) and
#   "Source and destination overlap in memcpy_chk" inside ONNX Runtime's environment set-up (a
#   copy onto itself). Neither is in Voxcue code.
#
# Measured (2 cores, debug build, asr): see the README section "Reliability and cost".
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "leak-check: valgrind is not installed" >&2; exit 2; }
# The dev profile keeps symbols (the release profile strips them) so valgrind names the code.
cargo build --example leak_check
set +e
valgrind \
    --leak-check=full \
    --show-leak-kinds=definite,indirect \
    --num-callers=40 \
    target/debug/examples/leak_check --cycles 3 "$@" 2>target/leak-check.log
status=$?
set -e
grep -E "leak_check:|in use at exit|definitely lost|indirectly lost|possibly lost|still reachable|ERROR SUMMARY" target/leak-check.log
if [ "$status" -ne 0 ]; then
    echo "leak-check: the driver failed (exit $status; full report in target/leak-check.log)" >&2
    exit "$status"
fi
if grep -qE "(definitely|indirectly) lost: [1-9]" target/leak-check.log; then
    echo "leak-check: LEAK (full report in target/leak-check.log)" >&2
    exit 3
fi
echo "leak-check: no definite or indirect leaks (full report in target/leak-check.log)"
