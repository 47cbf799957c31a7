"""Train the S2O head on frozen Whisper tiny.en encoder features (whisper_ctc/data/feats.pt 'out')
against MiniLM text embeddings (out/text_targets.pt from text_emb.py).

Loss = InfoNCE audio->text over the WHOLE training text bank (every confusable text is always a
negative) + InfoNCE text->audio over the batch (batches are built to contain confusable pairs:
deck a/b, left/right, up/down, on/off, one/two, start/stop, four/eight) + lambda * (1 - cos(audio, own text)).
Learnable temperature. Music-only clips: hinge that keeps their max cosine to the command texts low.

Held out (never trained on):
  * voices / texts of the whisper_ctc 'val' split (espeak m6/f4 voices + 1/25 of texts by hash),
  * with --holdout (default), 12 of the 48 corpus phrases (ZS_PHRASES): no clip with that text is trained on.
Usage: python train_s2o.py [--epochs 10] [--no-holdout] [--out out/s2o_head.pt]
"""
import argparse
import math
import os
import random
import subprocess
import time

import numpy as np
import torch
import torch.nn.functional as F

from s2o_model import S2OHead
from text_emb import normalize_text

HERE = os.path.dirname(os.path.abspath(__file__))
CTC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "whisper_ctc")
ZS_PHRASES = ["loop eight deck b", "tempo down deck a", "hot cue two deck b", "sync left", "effects off",
              "scroll down", "master deck a", "stop recording", "crossfade center", "exit loop deck a",
              "previous track", "pause deck b"]
SWAPS = [("a", "b"), ("left", "right"), ("up", "down"), ("on", "off"), ("one", "two"),
         ("start", "stop"), ("four", "eight"), ("play", "pause"), ("next", "previous")]


def swap_variants(text):
    w = text.split()
    out = set()
    for i, t in enumerate(w):
        for a, b in SWAPS:
            if t in (a, b):
                out.add(" ".join(w[:i] + [b if t == a else a] + w[i + 1:]))
    return out


def other_training_running():
    r = subprocess.run(["pgrep", "-f", "train.py --epochs"], capture_output=True, text=True)
    return bool(r.stdout.strip())


def make_batches(idx, lens, texts, by_text, bs, rng):
    """Length-bucketed batches; half the slots are confusable partners of the other half."""
    idx = list(idx)
    rng.shuffle(idx)
    half = bs // 2
    chunk = half * 16
    batches = []
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c:c + chunk], key=lambda i: lens[i])
        for s in range(0, len(part), half):
            b = part[s:s + half]
            extra = []
            for i in b:
                cands = [v for v in swap_variants(texts[i]) if v in by_text]
                if cands:
                    extra.append(rng.choice(by_text[rng.choice(cands)]))
            batches.append(list(dict.fromkeys(b + extra)))
    rng.shuffle(batches)
    return batches


def collate(feats, b, augment, rng):
    T = max(feats[i].shape[0] for i in b)
    x = torch.zeros(len(b), T, 384)
    mask = torch.zeros(len(b), T)
    for k, i in enumerate(b):
        f = feats[i].float()
        if augment:
            f = f.clone()
            for _ in range(2):
                w = rng.randint(0, 6)
                s = rng.randint(0, max(0, f.shape[0] - w))
                f[s:s + w] = 0
            if rng.random() < 0.5:
                w = rng.randint(0, 30)
                s = rng.randint(0, 384 - w)
                f[:, s:s + w] = 0
        x[k, :f.shape[0]] = f
        mask[k, :f.shape[0]] = 1
    return x, mask


def embed_all(head, feats, idx, bs=128):
    head.eval()
    out = []
    order = sorted(idx, key=lambda i: feats[i].shape[0])
    with torch.no_grad():
        for s in range(0, len(order), bs):
            b = order[s:s + bs]
            x, m = collate(feats, b, False, None)
            out.append(head(x, m))
    head.train()
    e = torch.cat(out)
    res = torch.empty(len(idx), e.shape[1])
    pos = {i: k for k, i in enumerate(idx)}
    for k, i in enumerate(order):
        res[pos[i]] = e[k]
    return res


def cmd_accuracy(emb, clip_texts, phrases, phrase_cmd, pemb):
    """Nearest of the 48 phrases -> command; accuracy vs the clip's phrase's command."""
    if len(clip_texts) == 0:
        return float("nan")
    p2c = dict(zip(phrases, phrase_cmd))
    pred = (emb @ pemb.T).argmax(1)
    return float(np.mean([phrase_cmd[p] == p2c[t] for p, t in zip(pred.tolist(), clip_texts)]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--bs", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--cos_w", type=float, default=0.5)
    ap.add_argument("--t2a_w", type=float, default=0.5)
    ap.add_argument("--conv_blocks", type=int, default=0)
    ap.add_argument("--init_scale", type=float, default=20.0)
    ap.add_argument("--no-holdout", dest="holdout", action="store_false")
    ap.add_argument("--out", default=os.path.join(HERE, "out", "s2o_head.pt"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="0 = 1 while whisper_ctc/train.py runs, else 2")
    args = ap.parse_args()
    thr = args.threads or (1 if other_training_running() else 2)
    torch.set_num_threads(thr)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)

    tt = torch.load(os.path.join(HERE, "out", "text_targets.pt"))
    bank_texts, bank_emb = tt["texts"], tt["emb"]
    phrases, phrase_cmd, pemb = tt["phrases"], tt["phrase_cmd"], tt["phrase_emb"]
    tid = {t: i for i, t in enumerate(bank_texts)}

    d = torch.load(os.path.join(CTC, "data", "feats.pt"))
    feats = d["out"]
    del d["h3"]
    texts = [normalize_text(t) for t in d["text"]]
    split = d["split"]
    lens = [f.shape[0] for f in feats]
    zs = set(ZS_PHRASES) if args.holdout else set()
    pset = set(phrases)

    tr = [i for i in range(len(texts)) if split[i] == "train" and texts[i] not in zs]
    tr_music = [i for i in tr if not texts[i]]
    tr = [i for i in tr if texts[i]]
    va = [i for i in range(len(texts)) if split[i] == "val" and texts[i] and texts[i] not in zs]
    va_cmd = [i for i in va if texts[i] in pset]  # seen phrases, held-out voices (mostly)
    zs_idx = [i for i in range(len(texts)) if texts[i] in zs]  # unseen phrases, all voices
    va_neg = [i for i in range(len(texts)) if split[i] == "val" and (not texts[i] or texts[i] not in pset)]
    train_texts = sorted({texts[i] for i in tr})
    # train-time bank: only training texts (held-out texts never appear as positives or negatives)
    tb_ids = torch.tensor([tid[t] for t in train_texts])
    tb_emb = bank_emb[tb_ids]
    tb_pos = {t: k for k, t in enumerate(train_texts)}
    cmd_bank = torch.tensor([k for k, t in enumerate(train_texts) if t in pset or swap_variants(t)])
    by_text = {}
    for i in tr:
        by_text.setdefault(texts[i], []).append(i)
    print(f"threads {thr}; train {len(tr)} clips ({len(train_texts)} texts) + {len(tr_music)} music-only; "
          f"val {len(va)} (cmd {len(va_cmd)}), zero-shot-phrase clips {len(zs_idx)}, val neg {len(va_neg)}", flush=True)

    head = S2OHead(conv_blocks=args.conv_blocks)
    log_scale = torch.nn.Parameter(torch.tensor(math.log(args.init_scale)))
    print("head params", sum(p.numel() for p in head.parameters()))
    opt = torch.optim.AdamW([{"params": head.parameters()}, {"params": [log_scale], "weight_decay": 0.0}],
                            lr=args.lr, weight_decay=0.05)
    nb_ep = len(make_batches(tr, lens, texts, by_text, args.bs, random.Random(0)))
    total = nb_ep * args.epochs
    warm = min(200, total // 10)
    step = 0
    t0 = time.time()
    for ep in range(args.epochs):
        tl, n = 0.0, 0
        for b in make_batches(tr, lens, texts, by_text, args.bs, rng):
            f = min(1.0, (step + 1) / warm) * 0.5 * (1 + math.cos(math.pi * step / total))
            for g in opt.param_groups:
                g["lr"] = args.lr * max(f, 0.01)
            mus = rng.sample(tr_music, min(len(tr_music), 6))
            x, m = collate(feats, b + mus, True, rng)
            e_all = head(x, m)
            e, e_mus = e_all[:len(b)], e_all[len(b):]
            scale = log_scale.exp().clamp(max=100.0)
            pos = torch.tensor([tb_pos[texts[i]] for i in b])
            # audio -> text over the whole training text bank
            l_a2t = F.cross_entropy(scale * e @ tb_emb.T, pos)
            # text -> audio over the batch (multi-positive: all clips of that text)
            ut, inv = torch.unique(pos, return_inverse=True)
            lt = scale * tb_emb[ut] @ e.T  # [U, B]
            tgt = (inv[None, :] == torch.arange(len(ut))[:, None]).float()
            l_t2a = -(torch.log_softmax(lt, 1) * tgt).sum(1).div(tgt.sum(1)).mean()
            l_cos = (1 - (e * tb_emb[pos]).sum(-1)).mean()
            l_mus = F.relu((e_mus @ tb_emb[cmd_bank].T).max(1).values - 0.3).mean() if len(mus) else 0.0
            loss = l_a2t + args.t2a_w * l_t2a + args.cos_w * l_cos + l_mus
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(head.parameters(), 5.0)
            opt.step()
            tl += loss.item()
            n += 1
            step += 1
            if ep == 0 and n % 20 == 0:
                print(f"  step {n}/{nb_ep} loss {tl / n:.3f} {(time.time() - t0) / n:.2f}s/step", flush=True)
        # ---- validation (synthetic only; the corpus is evaluated separately by eval_s2o.py)
        ev = embed_all(head, feats, va + zs_idx)
        ev_va, ev_zs = ev[:len(va)], ev[len(va):]
        full_bank = bank_emb  # all texts incl. held-out ones
        r1 = float(np.mean([(ev_va[k] @ full_bank.T).argmax().item() == tid[texts[i]] for k, i in enumerate(va)]))
        k_cmd = [va.index(i) for i in va_cmd]
        acc_va = cmd_accuracy(ev_va[k_cmd], [texts[i] for i in va_cmd], phrases, phrase_cmd, pemb)
        acc_zs = cmd_accuracy(ev_zs, [texts[i] for i in zs_idx], phrases, phrase_cmd, pemb)
        cos_va = float((ev_va * bank_emb[[tid[texts[i]] for i in va]]).sum(1).mean())
        print(f"ep {ep + 1} loss {tl / n:.3f} scale {log_scale.exp().item():.1f} | val R@1(all texts) {r1:.3f} "
              f"cos {cos_va:.3f} | 48-phrase cmd acc: val-voices {acc_va:.3f} zero-shot phrases {acc_zs:.3f} "
              f"({time.time() - t0:.0f}s)", flush=True)
        # no checkpoint selection on held-out data: the final epoch (end of the cosine schedule) is kept
        torch.save({"head": head.state_dict(), "conv_blocks": args.conv_blocks, "scale": log_scale.exp().item(),
                    "holdout": sorted(zs), "epoch": ep + 1, "args": vars(args)}, args.out)
    print(f"saved {args.out} (final epoch)")


if __name__ == "__main__":
    main()
