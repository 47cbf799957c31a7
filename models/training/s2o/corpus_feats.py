"""Frozen Whisper tiny.en encoder features for the dev corpus clips (read-only corpus),
with exactly the front end of ../whisper_ctc/features.py: wav/32768 ->
zero-mean/unit-variance normalize -> LogMel (x0.1 input gain) -> encoder at the clip's own length.

Usage: python corpus_feats.py [--threads 1]  -> out/corpus_feats.pt {'out': [fp16 [T,384]], 'rows': manifest rows}
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "whisper_ctc"))
import model as M  # noqa: E402
from features import load_frozen, read_wav  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.environ.get("VOXCUE_CORPUS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "corpus"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    logmel, enc = load_frozen()
    rows = [json.loads(l) for l in open(os.path.join(CORPUS, "manifest.jsonl"))]
    outs = []
    t0 = time.time()
    with torch.inference_mode():
        for i, r in enumerate(rows):
            x = torch.from_numpy(M.normalize(read_wav(os.path.join(CORPUS, r["wav"]))))[None]
            outs.append(enc(logmel(x))[0].half().clone())
            if i % 200 == 0:
                print(f"{i}/{len(rows)} {time.time() - t0:.0f}s", flush=True)
    torch.save({"out": outs, "rows": rows}, os.path.join(HERE, "out", "corpus_feats.pt"))
    print(f"done {len(rows)} clips in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
