"""Precompute frozen Whisper-encoder features for data/manifest.jsonl.

Each clip is normalized (zero mean / unit variance, like the Rust caller), run through
LogMel + the encoder at its own length. Stores, per clip, fp16 arrays:
  h3  = hidden state after encoder block 3 of 4 (input of the last block)
  out = final encoder output (after ln_post)
in data/feats.pt  ({'h3': [..], 'out': [..], 'text': [..], 'split': [..], 'wav': [..]}).

Usage: python features.py [--threads 2]
"""
import argparse
import json
import os
import time
import wave

import numpy as np
import torch

import model as M

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def read_wav(path):
    with wave.open(path) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768


def load_frozen():
    enc = M.WhisperEncoder()
    enc.load_state_dict(torch.load(os.path.join(HERE, "whisper_tiny_encoder.pt")))
    return M.LogMel().eval(), enc.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    logmel, enc = load_frozen()
    rows = [json.loads(l) for l in open(os.path.join(DATA, "manifest.jsonl"))]
    res = {"h3": [], "out": [], "text": [], "split": [], "wav": []}
    t0 = time.time()
    with torch.inference_mode():
        for i, r in enumerate(rows):
            x = torch.from_numpy(M.normalize(read_wav(os.path.join(DATA, r["wav"]))))[None]
            h3 = enc(logmel(x), upto=3)
            out = enc.forward_from(h3, 3)
            res["h3"].append(h3[0].half().clone())
            res["out"].append(out[0].half().clone())
            res["text"].append(r["text"])
            res["split"].append(r["split"])
            res["wav"].append(r["wav"])
            if i % 1000 == 0:
                print(f"{i}/{len(rows)} {time.time() - t0:.0f}s", flush=True)
    torch.save(res, os.path.join(DATA, "feats.pt"))
    print(f"done {len(rows)} clips in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
