"""Evaluate an S2O head on the dev corpus (read-only; never used for training or calibration).

Index = MiniLM embeddings of the 48 phrases (command = the phrase's command); prediction = command of
the nearest index entry (cosine). Reports:
  * zero-shot top-1 command accuracy per condition (and split: phrases seen in training text vs held out),
  * false accepts on the 100 command-null clips (chatter + music-only) under the rejection rule
      accept  iff  s1 >= TAU  and  s1 - s2 >= MARGIN
    (s1 = best cosine, s2 = best cosine of an entry of a different command). TAU is calibrated on
    SYNTHETIC held-out data (whisper_ctc val split: chatter / music-only clips as negatives) so that
    at most --fa_target of those are accepted; the corpus is not used to pick it.
  * 3-shot: per command, 3 flite-slt clips (clean first, then music12/music6; phrase order) are added
    as extra index entries (text entries kept); accuracy on the other 8 voices per condition.

Usage: python eval_s2o.py --ckpt out/s2o_head.pt [--onnx out/s2o.onnx] [--fa_target 0.01]
  With --onnx the corpus embeddings come from the exported graph run on the raw WAVs (end-to-end check).
"""
import argparse
import collections
import json
import os
import sys

import numpy as np
import torch

from s2o_model import S2OHead
from text_emb import normalize_text
from train_s2o import embed_all

HERE = os.path.dirname(os.path.abspath(__file__))
CTC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "whisper_ctc")
CORPUS = os.environ.get("VOXCUE_CORPUS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "corpus"))
CONDS = ["clean", "music12", "music6"]
ENROLL_VOICE = "flite-slt"
MARGIN = 0.0


def decide(emb, idx_emb, idx_cmd, thr=None):
    """-> (pred command, s1, s2) per row. With thr (per-entry threshold array) also -> accept flags:
    an entry of the predicted command must reach its own threshold, and s1 - s2 >= MARGIN."""
    S = emb @ idx_emb.T
    cmds = sorted(set(idx_cmd))
    cid = np.array([cmds.index(c) for c in idx_cmd])
    per = np.full((S.shape[0], len(cmds)), -2.0)
    for k in range(len(cmds)):
        per[:, k] = S[:, cid == k].max(1)
    order = np.argsort(-per, 1)
    s1 = per[np.arange(len(S)), order[:, 0]]
    s2 = per[np.arange(len(S)), order[:, 1]]
    if thr is not None:
        top = order[:, 0]
        hit = (S >= thr[None, :]) & (cid[None, :] == top[:, None])  # an entry of the predicted command
        acc = hit.any(1) & (s1 - s2 >= MARGIN)
        return [cmds[i] for i in order[:, 0]], s1, s2, acc
    return [cmds[i] for i in order[:, 0]], s1, s2


def calibrate(head, tt, fa_target):
    """Threshold on synthetic held-out negatives (never the corpus)."""
    d = torch.load(os.path.join(CTC, "data", "feats.pt"))
    del d["h3"]
    pemb = tt["phrase_emb"].numpy()
    texts = [normalize_text(t) for t in d["text"]]
    pset = set(tt["phrases"])
    tid = {t: i for i, t in enumerate(tt["texts"])}
    temb = tt["emb"].numpy()
    # negatives: val-split clips that are music-only or text far from every phrase (chatter)
    neg = [i for i, s in enumerate(d["split"]) if s == "val" and
           (not texts[i] or (texts[i] not in pset and float((temb[tid[texts[i]]] @ pemb.T).max()) < 0.6))]
    pos = [i for i, s in enumerate(d["split"]) if s == "val" and texts[i] in pset]
    e = embed_all(head, d["out"], neg + pos).numpy()
    _, s1, s2 = decide(e, pemb, tt["phrase_cmd"])
    sn, sp = s1[:len(neg)], s1[len(neg):]
    ok = (s1 - s2)[:len(neg)] >= MARGIN
    cand = np.sort(sn[ok])[::-1]
    k = int(np.floor(fa_target * len(neg)))
    tau = float(cand[k] + 1e-4) if k < len(cand) else 0.0
    # audio-entry threshold (few-shot index): all synthetic val positive clips act as enrollment
    # entries (more entries than the 144 of the 3-shot index -> conservative); negatives' best
    # audio-audio cosine sets TAU_AUDIO at the same FA target.
    sa = (e[:len(neg)] @ e[len(neg):].T).max(1)
    tau_a = float(np.sort(sa)[::-1][k] + 1e-4)
    print(f"calibration on synthetic val: {len(neg)} negatives, {len(pos)} positives; TAU={tau:.3f} "
          f"-> synthetic FA {np.mean((sn >= tau) & ok):.3f}, positives accepted {np.mean(sp >= tau):.3f}; "
          f"TAU_AUDIO={tau_a:.3f}")
    return tau, tau_a


def corpus_embeddings(head, onnx_path):
    if onnx_path:
        import onnxruntime as ort
        sys.path.insert(0, CTC)
        import model as M
        from features import read_wav
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        rows = [json.loads(l) for l in open(os.path.join(CORPUS, "manifest.jsonl"))]
        e = np.concatenate([sess.run(["embedding"], {"input_values": M.normalize(
            read_wav(os.path.join(CORPUS, r["wav"])))[None]})[0] for r in rows])
        return e, rows
    cf = torch.load(os.path.join(HERE, "out", "corpus_feats.pt"))
    return embed_all(head, cf["out"], list(range(len(cf["out"])))).numpy(), cf["rows"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "out", "s2o_head.pt"))
    ap.add_argument("--onnx", default="")
    ap.add_argument("--fa_target", type=float, default=0.01)
    ap.add_argument("--json", default="")
    ap.add_argument("--index_out", default="", help="write phrases/commands/MiniLM embeddings + thresholds (JSON)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ck = torch.load(args.ckpt)
    head = S2OHead(conv_blocks=ck["conv_blocks"])
    head.load_state_dict(ck["head"])
    head.eval()
    tt = torch.load(os.path.join(HERE, "out", "text_targets.pt"))
    phrases, pcmd, pemb = tt["phrases"], tt["phrase_cmd"], tt["phrase_emb"].numpy()
    held = set(ck.get("holdout", []))
    tau, tau_a = calibrate(head, tt, args.fa_target)

    E, rows = corpus_embeddings(head, args.onnx)
    res = {"ckpt": args.ckpt, "tau": tau, "tau_audio": tau_a, "margin": MARGIN, "holdout": sorted(held)}
    is_cmd = np.array([r["command"] is not None for r in rows])
    pred, s1, s2 = decide(E, pemb, pcmd)
    correct = np.array([p == r["command"] for p, r in zip(pred, rows)])
    accept = (s1 >= tau) & (s1 - s2 >= MARGIN)
    cond = np.array([r["condition"] for r in rows])
    seen = np.array([normalize_text(r["text"]) not in held for r in rows])

    print(f"\nckpt {args.ckpt} (epoch {ck.get('epoch')}), held-out phrases: {len(held)}")
    print("| condition | zero-shot top-1 | seen phrases | held-out phrases | accepted&correct @TAU | 3-shot top-1 (8 voices) | 3-shot accepted&correct |")
    print("|---|---|---|---|---|---|---|")
    # few-shot index
    enroll = {}
    rank = {c: k for k, c in enumerate(CONDS)}
    for k, r in enumerate(rows):
        if r["command"] and r["voice"] == ENROLL_VOICE:
            enroll.setdefault(r["command"], []).append(k)
    for c in enroll:
        enroll[c] = sorted(enroll[c], key=lambda k: (rank[rows[k]["condition"]],
                                                     phrases.index(normalize_text(rows[k]["text"]))))[:3]
    fs_idx = [k for c in enroll for k in enroll[c]]
    fs_emb = np.concatenate([pemb, E[fs_idx]])
    fs_cmd = pcmd + [rows[k]["command"] for k in fs_idx]
    thr = np.array([tau] * len(pemb) + [tau_a] * len(fs_idx))
    fpred, fs1, fs2, faccept = decide(E, fs_emb, fs_cmd, thr)
    fcorrect = np.array([p == r["command"] for p, r in zip(fpred, rows)])
    other = np.array([r["voice"] != ENROLL_VOICE for r in rows])
    for c in CONDS:
        m = is_cmd & (cond == c)
        mf = m & other
        row = dict(n=int(m.sum()), zs=float(correct[m].mean()), zs_seen=float(correct[m & seen].mean()),
                   zs_held=float(correct[m & ~seen].mean()) if (m & ~seen).any() else None,
                   zs_acc_correct=float((correct & accept)[m].mean()),
                   fs=float(fcorrect[mf].mean()), fs_acc_correct=float((fcorrect & faccept)[mf].mean()))
        res[c] = row
        h = f"{row['zs_held']:.3f} ({int((m & ~seen).sum())})" if row["zs_held"] is not None else "-"
        print(f"| {c} | {row['zs']:.3f} ({row['n']}) | {row['zs_seen']:.3f} | {h} | {row['zs_acc_correct']:.3f} | "
              f"{row['fs']:.3f} ({int(mf.sum())}) | {row['fs_acc_correct']:.3f} |")
    null = ~is_cmd
    res["fa_zero_shot"] = float(accept[null].mean())
    res["fa_3shot"] = float(faccept[null].mean())
    kinds = collections.Counter()
    for k in np.where(null & accept)[0]:
        kinds[(rows[k]["condition"], rows[k]["text"] or "<music>", pred[k], round(float(s1[k]), 3))] += 1
    print(f"\nrule: accept iff s1 >= {tau:.3f} (text entries) / an audio entry >= {tau_a:.3f} (3-shot), "
          f"and s1 - s2 >= {MARGIN}; false accepts on {int(null.sum())} null clips: "
          f"zero-shot index {res['fa_zero_shot']:.3f}, 3-shot index {res['fa_3shot']:.3f}")
    for k in kinds:
        print("  FA:", k)
    print("null-clip s1 quantiles (50/90/max):", np.round(np.quantile(s1[null], [0.5, 0.9, 1.0]), 3),
          " command-clip s1 quantiles (1/5/50%):", np.round(np.quantile(s1[is_cmd], [0.01, 0.05, 0.5]), 3))
    # threshold sweep on the corpus (reported only, not used to pick TAU)
    print("sweep (corpus, informational): tau | FA | cmd accepted&correct (all conds)")
    for t in [0.3, 0.4, 0.5, 0.6, 0.7]:
        a = (s1 >= t)
        print(f"  {t:.2f} | {a[null].mean():.3f} | {(a & correct)[is_cmd].mean():.3f}")
    errs = collections.Counter((r["command"], p) for p, r, ok in zip(pred, rows, correct) if r["command"] and not ok)
    print("most frequent zero-shot confusions (true -> pred):", errs.most_common(10))
    pv = collections.defaultdict(list)
    for r, ok in zip(rows, correct):
        if r["command"]:
            pv[r["voice"]].append(ok)
    print("zero-shot per voice:", {v: round(float(np.mean(x)), 3) for v, x in sorted(pv.items())})
    if args.json:
        json.dump(res, open(args.json, "w"), indent=1)
    if args.index_out:
        json.dump({"rule": "nearest entry by cosine -> command; accept iff an entry of that command has cosine >= "
                           "its threshold (tau for text entries, tau_audio for enrolled audio entries)",
                   "tau": round(tau, 4), "tau_audio": round(tau_a, 4),
                   "entries": [{"phrase": p, "command": c, "embedding": [round(float(v), 6) for v in e]}
                               for p, c, e in zip(phrases, pcmd, pemb)]}, open(args.index_out, "w"))


if __name__ == "__main__":
    main()
