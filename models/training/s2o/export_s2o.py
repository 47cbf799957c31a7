"""Export LogMel + Whisper tiny.en encoder + S2O head to ONE ONNX graph (opset 17):
  input  `input_values` float32 [1, samples]  16 kHz mono, caller-normalized to zero mean / unit variance
         (same convention as ../whisper_ctc/export.py; LogMel applies the 0.1 input gain)
  output `embedding`    float32 [1, 384]      L2-normalized, MiniLM-L6-v2 sentence-embedding space
and check it with onnxruntime (1 intra-op thread): max abs diff vs torch for 0.25-10 s, ms per 2 s clip.

Usage: python export_s2o.py [--ckpt out/s2o_head.pt] [--out out/s2o.onnx]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "whisper_ctc"))
import model as M  # noqa: E402
from s2o_model import S2O, S2OHead  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ENC = os.path.join(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "whisper_ctc"), "whisper_tiny_encoder.pt")


def build(ckpt_path):
    enc = M.WhisperEncoder()
    enc.load_state_dict(torch.load(ENC))
    enc.pos = enc.pos[:600].clone()  # inputs <= 10 s (500 encoder frames); 600 rows = 12 s
    ck = torch.load(ckpt_path)
    head = S2OHead(conv_blocks=ck["conv_blocks"])
    head.load_state_dict(ck["head"])
    return S2O(enc, head).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "out", "s2o_head.pt"))
    ap.add_argument("--out", default=os.path.join(HERE, "out", "s2o.onnx"))
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    net = build(args.ckpt)
    dummy = torch.randn(1, 32000)
    torch.onnx.export(net, (dummy,), args.out, input_names=["input_values"], output_names=["embedding"],
                      dynamic_axes={"input_values": {1: "samples"}},
                      opset_version=17, do_constant_folding=True, dynamo=False)
    import onnx
    m = onnx.load(args.out)
    d0 = m.graph.output[0].type.tensor_type.shape.dim[0]
    d0.Clear()
    d0.dim_value = 1  # batch is fixed to 1 on the input; make the output shape say so too
    onnx.checker.check_model(m)
    onnx.save(m, args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB)")

    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(args.out, so, providers=["CPUExecutionProvider"])
    print("onnxruntime", ort.__version__, "inputs", [(i.name, i.type, i.shape) for i in sess.get_inputs()],
          "outputs", [(o.name, o.type, o.shape) for o in sess.get_outputs()])
    rng = np.random.default_rng(0)
    worst = 0.0
    for secs in [0.25, 0.5, 1.0, 2.0, 3.7, 5.0, 10.0]:
        x = M.normalize(rng.standard_normal(int(secs * 16000)).astype(np.float32) * 0.1)[None]
        with torch.no_grad():
            ref = net(torch.from_numpy(x)).numpy()
        got = sess.run(["embedding"], {"input_values": x})[0]
        diff = float(np.abs(got - ref).max())
        worst = max(worst, diff)
        print(f"{secs:5.2f}s: embedding {got.shape} norm {np.linalg.norm(got):.5f} max abs diff vs torch {diff:.2e} "
              f"cos {float((got * ref).sum()):.6f}")
    x = M.normalize(rng.standard_normal(32000).astype(np.float32))[None]
    for _ in range(3):
        sess.run(["embedding"], {"input_values": x})
    ts = []
    for _ in range(30):
        t = time.perf_counter()
        sess.run(["embedding"], {"input_values": x})
        ts.append((time.perf_counter() - t) * 1000)
    print(f"onnxruntime 1 thread, 2 s clip: median {np.median(ts):.1f} ms, min {np.min(ts):.1f} ms; worst diff {worst:.2e}")


if __name__ == "__main__":
    main()
