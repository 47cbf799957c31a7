"""S2O head: frozen Whisper tiny.en encoder frames [B,T,384] -> 384-d L2-normalized embedding
in the MiniLM-L6-v2 sentence-embedding space.

Padding-exact: with a frame mask, padded frames contribute nothing (the depthwise conv sees
zeros there, exactly like its own zero padding at batch size 1 in the exported graph).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "whisper_ctc"))
import model as M  # noqa: E402


class MaskedConvBlock(nn.Module):
    def __init__(self, d, k=5, mult=2, dropout=0.1):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.dw = nn.Conv1d(d, d, k, padding=k // 2, groups=d)
        self.fc1 = nn.Linear(d, mult * d)
        self.fc2 = nn.Linear(mult * d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, m):  # x [B,T,d], m [B,T,1]
        y = self.ln(x) * m
        y = self.dw(y.transpose(1, 2)).transpose(1, 2)
        return (x + self.drop(self.fc2(F.gelu(self.fc1(y))))) * m


class S2OHead(nn.Module):
    def __init__(self, d_in=384, d=256, heads=4, conv_blocks=1, d_out=384, dropout=0.1):
        super().__init__()
        self.inp = nn.Sequential(nn.LayerNorm(d_in), nn.Dropout(dropout), nn.Linear(d_in, d))
        self.blocks = nn.ModuleList([MaskedConvBlock(d, dropout=dropout) for _ in range(conv_blocks)])
        self.ln = nn.LayerNorm(d)
        self.score = nn.Linear(d, heads)  # attention-pooling scores, one softmax over time per head
        self.heads = heads
        self.mlp = nn.Sequential(nn.Linear(d * (heads + 1), 512), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(512, d_out))

    def forward(self, feats, mask=None):  # feats [B,T,384], mask [B,T] (1 = real frame) or None
        B, T, _ = feats.shape
        m = torch.ones(B, T, 1, dtype=feats.dtype) if mask is None else mask[..., None].to(feats.dtype)
        x = self.inp(feats) * m
        for b in self.blocks:
            x = b(x, m)
        x = self.ln(x)
        s = self.score(x)  # [B,T,H]
        if mask is not None:
            s = s.masked_fill(m == 0, -1e4)
        a = torch.softmax(s, dim=1)
        att = torch.einsum("bth,btd->bhd", a, x).reshape(B, -1)
        mean = (x * m).sum(1) / m.sum(1)
        e = self.mlp(torch.cat([att, mean], -1))
        return F.normalize(e, dim=-1)


class S2O(nn.Module):
    """Full graph: normalized 16 kHz wav [1, samples] -> embedding [1, 384]."""

    def __init__(self, encoder, head):
        super().__init__()
        self.logmel = M.LogMel()
        self.encoder = encoder
        self.head = head

    def forward(self, input_values):
        return self.head(self.encoder(self.logmel(input_values)))
