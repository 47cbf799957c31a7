"""Evaluate the exported ONNX model on the development corpus (read-only):
CER and exact-transcript rate per condition for command clips, negatives, music-only.

Usage: python eval_corpus.py [--onnx out/voxcue_ctc.onnx] [--corpus ../../../../shared/corpus]
"""
import argparse
import collections
import json
import os
import wave

import numpy as np

import model as M
from train import edit_distance

HERE = os.path.dirname(os.path.abspath(__file__))


def read_wav(path):
    with wave.open(path) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768


def norm_text(t):
    return " ".join(t.upper().replace("-", " ").split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", default=os.path.join(HERE, "out", "voxcue_ctc.onnx"))
    ap.add_argument("--corpus", default=os.environ.get("VOXCUE_CORPUS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "corpus")))
    ap.add_argument("--dump", default=os.path.join(HERE, "out", "corpus_hyps.jsonl"))
    args = ap.parse_args()
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
    rows = [json.loads(l) for l in open(os.path.join(args.corpus, "manifest.jsonl"))]
    stats = collections.defaultdict(lambda: [0, 0, 0, 0])  # char err, chars, exact, n
    per_voice = collections.defaultdict(lambda: [0, 0])
    confus = collections.Counter()
    dump = open(args.dump, "w")
    for r in rows:
        x = M.normalize(read_wav(os.path.join(args.corpus, r["wav"])))[None]
        hyp = M.greedy_decode(sess.run(["logits"], {"input_values": x})[0][0])
        ref = norm_text(r["text"])
        kind = "cmd" if r["command"] else ("neg" if r["text"] else "music")
        key = (kind, r["condition"])
        s = stats[key]
        s[0] += edit_distance(hyp, ref)
        s[1] += max(1, len(ref))
        s[2] += hyp == ref
        s[3] += 1
        if kind == "cmd":
            per_voice[r["voice"]][0] += hyp == ref
            per_voice[r["voice"]][1] += 1
            hw, rw = hyp.split(), ref.split()
            if len(hw) == len(rw):
                for a, b in zip(rw, hw):
                    if a != b:
                        confus[(a, b)] += 1
        dump.write(json.dumps({"wav": r["wav"], "condition": r["condition"], "ref": ref, "hyp": hyp}) + "\n")
    print("| kind | condition | n | CER | exact |\n|---|---|---|---|---|")
    for (kind, cond), s in sorted(stats.items()):
        print(f"| {kind} | {cond} | {s[3]} | {s[0] / s[1]:.3f} | {s[2] / s[3]:.3f} |")
    print("\ncommand exact rate per voice (all conditions):")
    for v, (e, n) in sorted(per_voice.items()):
        print(f"  {v:28s} {e / n:.3f}")
    print("\nmost frequent word substitutions (ref -> hyp) in command clips:")
    for (a, b), n in confus.most_common(15):
        print(f"  {a} -> {b}: {n}")


if __name__ == "__main__":
    main()
