"""Train the CTC head (optionally + the last Whisper encoder block) on precomputed features.

Usage: python train.py [--epochs 20] [--ft_last] [--out ckpt/head.pt]
Reads data/feats.pt (from features.py). Reports greedy CER/WER on the held-out split.
"""
import argparse
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn

import model as M

HERE = os.path.dirname(os.path.abspath(__file__))
CHAR2ID = {c: i for i, c in enumerate(M.VOCAB)}


def encode_text(t):
    return [CHAR2ID["|" if c == " " else c] for c in t]


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = d[j]
            d[j] = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev = cur
    return d[len(b)]


def cer_wer(hyps, refs):
    ce = sum(edit_distance(h, r) for h, r in zip(hyps, refs))
    cn = sum(max(1, len(r)) for r in refs)
    we = sum(edit_distance(h.split(), r.split()) for h, r in zip(hyps, refs))
    wn = sum(max(1, len(r.split())) for r in refs)
    return ce / cn, we / wn


class Trainable(nn.Module):
    def __init__(self, ft_last, enc_state, head="conv"):
        super().__init__()
        self.ft_last = ft_last
        if ft_last:
            enc = M.WhisperEncoder()
            enc.load_state_dict(enc_state)
            self.last = enc.blocks[3]
            self.ln_post = enc.ln_post
        self.head = M.make_head(head)

    def forward(self, x):
        if self.ft_last:
            x = self.ln_post(self.last(x))
        return self.head(x)


def batches(idx, lens, max_frames, shuffle):
    idx = sorted(idx, key=lambda i: lens[i])
    out, cur, cur_max = [], [], 0
    for i in idx:
        m = max(cur_max, lens[i])
        if cur and m * (len(cur) + 1) > max_frames:
            out.append(cur)
            cur, m = [], lens[i]
        cur.append(i)
        cur_max = m
    if cur:
        out.append(cur)
    if shuffle:
        random.shuffle(out)
    return out


def collate(feats, idx, augment):
    T = max(feats[i].shape[0] for i in idx)
    x = torch.zeros(len(idx), T, feats[idx[0]].shape[1])
    lens = torch.tensor([feats[i].shape[0] for i in idx])
    for b, i in enumerate(idx):
        f = feats[i].float()
        if augment:
            f = f.clone()
            for _ in range(2):  # time masks
                w = random.randint(0, 6)
                s = random.randint(0, max(0, f.shape[0] - w))
                f[s:s + w] = 0
            if random.random() < 0.5:  # channel mask
                w = random.randint(0, 30)
                s = random.randint(0, f.shape[1] - w)
                f[:, s:s + w] = 0
        x[b, : f.shape[0]] = f
    return x, lens


def evaluate(model, feats, texts, idx, max_frames=6000):
    model.eval()
    hyps, refs = [], []
    with torch.no_grad():
        for b in batches(idx, [f.shape[0] for f in feats], max_frames, False):
            x, lens = collate(feats, b, False)
            lg = model(x)
            for k, i in enumerate(b):
                hyps.append(M.greedy_decode(lg[k, : lens[k]].numpy()))
                refs.append(texts[i])
    model.train()
    cer, wer = cer_wer(hyps, refs)
    exact = np.mean([h == r for h, r in zip(hyps, refs)])
    return cer, wer, exact, list(zip(hyps, refs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--ft_last", action="store_true", help="also fine-tune the last encoder block")
    ap.add_argument("--max_frames", type=int, default=5000, help="frames per batch (padded)")
    ap.add_argument("--out", default=os.path.join(HERE, "ckpt", "head.pt"))
    ap.add_argument("--head", choices=["conv", "gru"], default="conv")
    ap.add_argument("--threads", type=int, default=1,
                    help="1 is faster than 2 when the cores are shared with a build")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)

    d = torch.load(os.path.join(HERE, "data", "feats.pt"))
    feats = d["h3"] if args.ft_last else d["out"]
    texts = d["text"]
    tr = [i for i, s in enumerate(d["split"]) if s == "train"]
    va = [i for i, s in enumerate(d["split"]) if s == "val"]
    targets = [torch.tensor(encode_text(t), dtype=torch.long) for t in texts]
    lens = [f.shape[0] for f in feats]
    print(f"train {len(tr)} val {len(va)} clips; mean frames {np.mean(lens):.0f}")

    enc_state = torch.load(os.path.join(HERE, "whisper_tiny_encoder.pt"))
    model = Trainable(args.ft_last, enc_state, args.head)
    print("head params", sum(p.numel() for p in model.head.parameters()))
    groups = [{"params": model.head.parameters(), "lr": args.lr}]
    if args.ft_last:
        groups.append({"params": list(model.last.parameters()) + list(model.ln_post.parameters()),
                       "lr": args.lr * 0.1})
    opt = torch.optim.AdamW(groups, weight_decay=1e-2)
    steps_per_epoch = len(batches(tr, lens, args.max_frames, False))
    total = steps_per_epoch * args.epochs
    warm = min(300, total // 10)
    base = [g["lr"] for g in opt.param_groups]
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    step, best = 0, 1e9
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    t0 = time.time()
    for ep in range(args.epochs):
        tot, nb = 0.0, 0
        te = time.time()
        for b in batches(tr, lens, args.max_frames, True):
            f = min(1.0, (step + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total)))
            for g, lr0 in zip(opt.param_groups, base):
                g["lr"] = lr0 * max(f, 0.02)
            x, xl = collate(feats, b, True)
            y = torch.cat([targets[i] for i in b])
            yl = torch.tensor([len(targets[i]) for i in b])
            lp = model(x).log_softmax(-1).transpose(0, 1)
            loss = ctc(lp, y, xl, yl)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            tot += loss.item()
            nb += 1
            step += 1
            if ep == 0 and nb % 20 == 0:
                print(f"  step {nb}/{steps_per_epoch} loss {tot / nb:.3f} {(time.time() - te) / nb:.2f}s/step", flush=True)
        cer, wer, exact, ex = evaluate(model, feats, texts, va)
        print(f"ep {ep + 1} loss {tot / nb:.3f} val CER {cer:.4f} WER {wer:.4f} exact {exact:.3f} "
              f"({time.time() - t0:.0f}s)", flush=True)
        if cer < best:
            best = cer
            state = {"head": model.head.state_dict(), "head_kind": args.head, "ft_last": args.ft_last}
            if args.ft_last:
                state["last"] = model.last.state_dict()
                state["ln_post"] = model.ln_post.state_dict()
            torch.save(state, args.out)
    for h, r in ex[:8]:
        print(f"  REF {r!r}\n  HYP {h!r}")
    print(f"best val CER {best:.4f}; saved {args.out}")


if __name__ == "__main__":
    main()
