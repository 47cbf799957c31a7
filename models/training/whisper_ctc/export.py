"""Export LogMel + Whisper tiny encoder + CTC head to one ONNX graph (opset 17),
write vocab.json, and check it with onnxruntime (1 intra-op thread): max abs diff
vs torch and ms per 2 s clip.

Usage: python export.py [--ckpt ckpt/head.pt] [--out out/voxcue_ctc.onnx]
"""
import argparse
import json
import os
import time

import numpy as np
import torch

import model as M

HERE = os.path.dirname(os.path.abspath(__file__))


def build(ckpt_path):
    enc = M.WhisperEncoder()
    enc.load_state_dict(torch.load(os.path.join(HERE, "whisper_tiny_encoder.pt")))
    ck = torch.load(ckpt_path)
    if ck.get("ft_last"):
        enc.blocks[3].load_state_dict(ck["last"])
        enc.ln_post.load_state_dict(ck["ln_post"])
    # inputs are <= 10 s (500 frames): keep 600 positional rows to save ~1.4 MB
    enc.pos = enc.pos[:600].clone()
    head = M.make_head(ck.get("head_kind", "gru"))
    head.load_state_dict(ck["head"])
    return M.VoxcueCTC(enc, head).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "ckpt", "head.pt"))
    ap.add_argument("--out", default=os.path.join(HERE, "out", "voxcue_ctc.onnx"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    net = build(args.ckpt)
    dummy = torch.randn(1, 32000)
    torch.onnx.export(net, (dummy,), args.out, input_names=["input_values"], output_names=["logits"],
                      dynamic_axes={"input_values": {0: "batch", 1: "samples"},
                                    "logits": {0: "batch", 1: "frames"}},
                      opset_version=17, do_constant_folding=True, dynamo=False)
    with open(os.path.join(os.path.dirname(args.out), "vocab.json"), "w") as f:
        json.dump({t: i for i, t in enumerate(M.VOCAB)}, f, indent=1)
    size = os.path.getsize(args.out) / 1e6
    print(f"wrote {args.out} ({size:.1f} MB)")

    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(args.out, so, providers=["CPUExecutionProvider"])
    print("inputs", [(i.name, i.shape) for i in sess.get_inputs()],
          "outputs", [(o.name, o.shape) for o in sess.get_outputs()])
    rng = np.random.default_rng(0)
    for secs in [0.25, 1.0, 2.0, 5.0, 10.0]:
        x = M.normalize(rng.standard_normal(int(secs * 16000)).astype(np.float32) * 0.1)[None]
        with torch.no_grad():
            ref = net(torch.from_numpy(x)).numpy()
        got = sess.run(["logits"], {"input_values": x})[0]
        print(f"{secs:5.2f}s: logits {got.shape} max abs diff vs torch {np.abs(got - ref).max():.2e}")
    x = M.normalize(rng.standard_normal(32000).astype(np.float32))[None]
    for _ in range(3):
        sess.run(["logits"], {"input_values": x})
    ts = []
    for _ in range(20):
        t = time.perf_counter()
        sess.run(["logits"], {"input_values": x})
        ts.append((time.perf_counter() - t) * 1000)
    print(f"onnxruntime 1 thread, 2 s clip: median {np.median(ts):.1f} ms, min {np.min(ts):.1f} ms")


if __name__ == "__main__":
    main()
