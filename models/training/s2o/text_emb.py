"""MiniLM-L6-v2 (int8 ONNX) sentence embeddings: mean pooling over the attention mask + L2.

normalize_text(): lowercase, no punctuation, hyphens -> spaces ("deck A" -> "deck a").

Usage: python text_emb.py   -> out/text_targets.pt with
  {'texts': [normalized training texts, unique], 'emb': [N,384],
   'phrases': [48 corpus phrases], 'phrase_cmd': [command id per phrase], 'phrase_emb': [48,384]}
"""
import json
import os
import re
import tomllib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MINILM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "upstream", "minilm_l6_int8.onnx")
TOKENIZER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "upstream", "minilm_tokenizer.json")
CTC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "whisper_ctc")
CORPUS = os.environ.get("VOXCUE_CORPUS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "corpus"))


def normalize_text(t: str) -> str:
    t = t.lower().replace("-", " ")
    t = re.sub(r"[^a-z0-9' ]", " ", t)
    return re.sub(r"\s+", " ", t).strip()


class MiniLM:
    def __init__(self, threads=1):
        import onnxruntime as ort
        from tokenizers import Tokenizer
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(MINILM, so, providers=["CPUExecutionProvider"])
        self.tok = Tokenizer.from_file(TOKENIZER)
        self.tok.no_padding()
        self.tok.no_truncation()

    def embed(self, texts, bs=64):
        out = []
        for s in range(0, len(texts), bs):
            enc = [self.tok.encode(t) for t in texts[s:s + bs]]
            L = max(len(e.ids) for e in enc)
            ids = np.zeros((len(enc), L), np.int64)
            mask = np.zeros((len(enc), L), np.int64)
            for i, e in enumerate(enc):
                ids[i, :len(e.ids)] = e.ids
                mask[i, :len(e.ids)] = 1
            h = self.sess.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask,
                                                      "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            v = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            out.append(v / np.linalg.norm(v, axis=1, keepdims=True))
        return np.concatenate(out, 0).astype(np.float32)


def corpus_phrases():
    with open(os.path.join(CORPUS, "dj-commands.toml"), "rb") as f:
        cfg = tomllib.load(f)
    phrases, cmds = [], []
    for c in cfg["command"]:
        for p in c["phrases"]:
            phrases.append(normalize_text(p))
            cmds.append(c["id"])
    return phrases, cmds


def main():
    mm = MiniLM(threads=1)
    rows = [json.loads(l) for l in open(os.path.join(CTC, "data", "manifest.jsonl"))]
    texts = sorted({normalize_text(r["text"]) for r in rows if r["text"]})
    phrases, cmds = corpus_phrases()
    emb = mm.embed(texts)
    pemb = mm.embed(phrases)
    # sanity: the tokenizer lowercases anyway; check a few confusable pairs
    idx = {p: i for i, p in enumerate(phrases)}
    for a, b in [("play deck a", "play deck b"), ("tempo up deck a", "tempo down deck a"),
                 ("effects on", "effects off"), ("hot cue one deck a", "hot cue two deck a"),
                 ("start recording", "stop recording"), ("play left", "play right"),
                 ("play deck a", "play left")]:
        print(f"cos({a!r}, {b!r}) = {float(pemb[idx[a]] @ pemb[idx[b]]):.4f}")
    S = pemb @ pemb.T
    np.fill_diagonal(S, -1)
    print(f"phrase-phrase cos: max {S.max():.4f}, mean {S[S > -1].mean():.4f}")
    torch.save({"texts": texts, "emb": torch.from_numpy(emb), "phrases": phrases, "phrase_cmd": cmds,
                "phrase_emb": torch.from_numpy(pemb)}, os.path.join(HERE, "out", "text_targets.pt"))
    print(f"{len(texts)} training texts, {len(phrases)} phrases -> out/text_targets.pt")


if __name__ == "__main__":
    main()
