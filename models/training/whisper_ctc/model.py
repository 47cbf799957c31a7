"""Whisper tiny.en encoder (+ log-mel front end) and a CTC head, in plain PyTorch.

Everything here exports to ONNX opset 17: the STFT is a conv1d with a fixed
windowed-DFT basis, the mel filterbank is a fixed matmul.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SR = 16000
N_FFT = 400
HOP = 160
N_MELS = 80
# The caller feeds zero-mean / unit-variance audio; scale it to a typical speech
# level (RMS ~0.1) before the Whisper log-mel, whose offsets assume raw audio.
INPUT_GAIN = 0.1

VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|", "E", "T", "A", "O", "N", "I", "H", "S", "R",
         "D", "L", "U", "M", "W", "C", "F", "G", "Y", "P", "B", "V", "K", "'", "X", "J",
         "Q", "Z"]  # wav2vec2-base-960h order


def hz_to_mel_slaney(f):
    f = np.asarray(f, dtype=np.float64)
    min_log_hz, min_log_mel, logstep = 1000.0, 15.0, 27.0 / np.log(6.4)
    mel = 3.0 * f / 200.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) * logstep, mel)


def mel_to_hz_slaney(m):
    m = np.asarray(m, dtype=np.float64)
    min_log_hz, min_log_mel, logstep = 1000.0, 15.0, np.log(6.4) / 27.0
    f = 200.0 * m / 3.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f)


def mel_filters(n_freq=N_FFT // 2 + 1, n_mels=N_MELS, sr=SR):
    """librosa.filters.mel(sr, n_fft, n_mels, htk=False, norm='slaney') -> [n_mels, n_freq]."""
    fft_freqs = np.linspace(0, sr / 2, n_freq)
    mel_pts = mel_to_hz_slaney(np.linspace(hz_to_mel_slaney(0.0), hz_to_mel_slaney(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_pts)
    ramps = mel_pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_pts[2:n_mels + 2] - mel_pts[:n_mels])
    return (w * enorm[:, None]).astype(np.float32)


class LogMel(nn.Module):
    def __init__(self):
        super().__init__()
        n = torch.arange(N_FFT, dtype=torch.float64)
        win = 0.5 - 0.5 * torch.cos(2 * math.pi * n / N_FFT)  # periodic Hann
        k = torch.arange(N_FFT // 2 + 1, dtype=torch.float64)
        ang = 2 * math.pi * k[:, None] * n[None, :] / N_FFT
        basis = torch.cat([torch.cos(ang) * win, -torch.sin(ang) * win], 0)  # [402, 400]
        self.register_buffer("basis", basis.float().unsqueeze(1))
        self.register_buffer("mel", torch.from_numpy(mel_filters()))  # [80, 201]

    def forward(self, wav):  # wav [B, T] -> [B, 80, T // 160]
        x = wav.unsqueeze(1) * INPUT_GAIN
        x = F.pad(x, (N_FFT // 2, N_FFT // 2), mode="reflect")
        spec = F.conv1d(x, self.basis, stride=HOP)  # [B, 402, frames]
        nb = N_FFT // 2 + 1
        power = spec[:, :nb] ** 2 + spec[:, nb:] ** 2
        power = power[:, :, :-1]  # whisper drops the last frame
        m = torch.matmul(self.mel, power)
        logm = torch.log10(torch.clamp(m, min=1e-10))
        mx = logm.amax(dim=(1, 2), keepdim=True)
        logm = torch.maximum(logm, mx - 8.0)
        return (logm + 4.0) / 4.0


class Attn(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d)
        self.o = nn.Linear(d, d)

    def forward(self, x):
        B, T, D = x.shape
        hd = D // self.h
        q = self.q(x).view(B, T, self.h, hd).transpose(1, 2)
        k = self.k(x).view(B, T, self.h, hd).transpose(1, 2)
        v = self.v(x).view(B, T, self.h, hd).transpose(1, 2)
        a = torch.softmax((q @ k.transpose(-1, -2)) * (hd ** -0.5), dim=-1)
        return self.o((a @ v).transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attn(d, h)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class WhisperEncoder(nn.Module):
    def __init__(self, d=384, heads=6, layers=4, n_ctx=1500):
        super().__init__()
        self.conv1 = nn.Conv1d(N_MELS, d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)
        self.register_buffer("pos", torch.zeros(n_ctx, d))
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(d)

    def forward(self, mel, upto=None):  # mel [B, 80, F] -> [B, ceil(F/2), d]
        x = F.gelu(self.conv1(mel))
        x = F.gelu(self.conv2(x)).transpose(1, 2)
        x = x + self.pos[: x.shape[1]]
        blocks = self.blocks if upto is None else self.blocks[:upto]
        for b in blocks:
            x = b(x)
        return self.ln_post(x) if upto is None else x

    def forward_from(self, x, start):
        for b in self.blocks[start:]:
            x = b(x)
        return self.ln_post(x)


class CTCHead(nn.Module):
    """Small BiGRU head over frozen encoder features."""

    def __init__(self, d_in=384, hidden=192, layers=2, n_vocab=len(VOCAB), dropout=0.15):
        super().__init__()
        self.inp = nn.Sequential(nn.LayerNorm(d_in), nn.Dropout(dropout), nn.Linear(d_in, 2 * hidden))
        self.gru = nn.GRU(2 * hidden, hidden, num_layers=layers, batch_first=True,
                          bidirectional=True, dropout=dropout)
        self.out = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, n_vocab))

    def forward(self, feats):
        x, _ = self.gru(self.inp(feats))
        return self.out(x)


class ConvBlock(nn.Module):
    def __init__(self, d, k=5, mult=2, dropout=0.1):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.dw = nn.Conv1d(d, d, k, padding=k // 2, groups=d)
        self.fc1 = nn.Linear(d, mult * d)
        self.fc2 = nn.Linear(mult * d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):  # [B, T, d]
        y = self.dw(self.ln(x).transpose(1, 2)).transpose(1, 2)
        return x + self.drop(self.fc2(F.gelu(self.fc1(y))))


class ConvHead(nn.Module):
    """Light CTC head: the Whisper encoder already has global context; this adds local
    (+-2 frames per block) smoothing and the projection to the CTC vocabulary."""

    def __init__(self, d_in=384, d=256, blocks=3, n_vocab=len(VOCAB), dropout=0.1):
        super().__init__()
        self.inp = nn.Sequential(nn.LayerNorm(d_in), nn.Dropout(dropout), nn.Linear(d_in, d))
        self.blocks = nn.Sequential(*[ConvBlock(d, dropout=dropout) for _ in range(blocks)])
        self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, n_vocab))

    def forward(self, feats):
        return self.out(self.blocks(self.inp(feats)))


def make_head(kind):
    return ConvHead() if kind == "conv" else CTCHead()


class VoxcueCTC(nn.Module):
    """Full graph: normalized wav -> logits [B, frames, vocab]."""

    def __init__(self, encoder, head):
        super().__init__()
        self.logmel = LogMel()
        self.encoder = encoder
        self.head = head

    def forward(self, input_values):
        return self.head(self.encoder(self.logmel(input_values)))


def normalize(wav: np.ndarray) -> np.ndarray:
    """wav2vec2 feature-extractor convention (what the Rust caller does)."""
    wav = wav.astype(np.float32)
    return (wav - wav.mean()) / np.sqrt(wav.var() + 1e-7)


def greedy_decode(logits_row):
    """logits [frames, vocab] (tensor or ndarray) -> uppercase transcript."""
    ids = np.asarray(logits_row).argmax(-1)
    out, prev = [], -1
    for i in ids:
        if i != prev and i != 0:
            out.append(VOCAB[i])
        prev = i
    s = "".join(t for t in out if t not in ("<s>", "</s>", "<unk>")).replace("|", " ")
    return " ".join(s.split())
