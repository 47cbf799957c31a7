"""Generate the synthetic training/validation set for the Voxcue CTC model.

Speech: espeak-ng (en-us / en with +m1..+m7, +f1..+f4 variants, random speed/pitch),
flite (awb, kal, kal16, rms, slt, random duration_stretch) and festival
(kal_diphone, ked_diphone, cmu_us_slt_arctic_hts, random Duration_Stretch).
Augmentation: Sonic Pi samples as music bed (0-20 dB SNR, 60% of clips), white/pink
noise, random gain, random 0.1-0.6 s padding, optional sox pitch shift.

Writes data/clips/*.wav (16 kHz mono int16) and data/manifest.jsonl
({wav, text (transcript), tts, engine, voice, split}).

Usage: python make_data.py [--n 9000] [--workers 2] [--seed 1]
"""
import argparse
import glob
import hashlib
import json
import os
import random
import subprocess
import tempfile
import wave
from multiprocessing import Pool

import numpy as np

from texts import corpus_phrases, sample_text

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
SR = 16000
MUSIC_DIR = "/usr/share/sonic-pi/samples"
# used by the evaluation corpus: never train on these
EXCLUDED_LOOPS = {"loop_amen_full", "loop_breakbeat", "loop_compus", "loop_garzul",
                  "loop_mika", "loop_safari"}
# validation-only voices (held out from training)
VAL_ESPEAK_VARIANTS = {"m6", "f4"}

ESPEAK_VARIANTS = [f"m{i}" for i in range(1, 8)] + [f"f{i}" for i in range(1, 5)]
FLITE_VOICES = ["awb", "kal", "kal16", "rms", "slt"]
FESTIVAL_VOICES = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]


def read_audio(path, pitch_cents=0):
    """Any audio file -> float32 16 kHz mono via sox."""
    cmd = ["sox", path, "-t", "raw", "-e", "float", "-b", "32", "-r", str(SR), "-c", "1", "-"]
    if pitch_cents:
        cmd += ["pitch", str(int(pitch_cents))]
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype=np.float32).copy()


def write_wav(path, x):
    x = np.clip(x, -1.0, 1.0)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((x * 32767).astype(np.int16).tobytes())


def trim(x, thr_db=-45.0, margin_s=0.04):
    if len(x) == 0:
        return x
    frame = 160
    n = len(x) // frame
    if n == 0:
        return x
    e = np.sqrt(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    peak = np.abs(x).max() + 1e-9
    on = np.where(20 * np.log10(e / peak + 1e-12) > thr_db)[0]
    if len(on) == 0:
        return x
    m = int(margin_s * SR)
    s = max(0, on[0] * frame - m)
    t = min(len(x), (on[-1] + 1) * frame + m)
    return x[s:t]


def load_music():
    cache = os.path.join(DATA, "music.npz")
    if os.path.exists(cache):
        z = np.load(cache)
        return [z[k] for k in z.files]
    tracks = {}
    for f in sorted(glob.glob(os.path.join(MUSIC_DIR, "*.flac"))):
        name = os.path.splitext(os.path.basename(f))[0]
        if name in EXCLUDED_LOOPS:
            continue
        x = read_audio(f)
        if len(x) < SR // 2:  # very short one-shots are poor music beds
            continue
        x = x / (np.sqrt(np.mean(x ** 2)) + 1e-9)
        tracks[name] = x.astype(np.float32)
    os.makedirs(DATA, exist_ok=True)
    np.savez(cache, **tracks)
    print(f"music: {len(tracks)} tracks cached")
    return list(tracks.values())


def pink_noise(n, rng):
    w = rng.standard_normal(n)
    f = np.fft.rfft(w)
    k = np.arange(len(f))
    k[0] = 1
    y = np.fft.irfft(f / np.sqrt(k), n)
    return y / (y.std() + 1e-9)


def excerpt(track, n, rng):
    if len(track) < n:
        track = np.tile(track, n // len(track) + 1)
    s = rng.integers(0, len(track) - n + 1)
    return track[s: s + n]


def pick_voice(rng):
    r = rng.random()
    if r < 0.5:
        lang = "en-us" if rng.random() < 0.6 else "en"
        var = ESPEAK_VARIANTS[rng.integers(len(ESPEAK_VARIANTS))]
        speed = int(rng.integers(120, 211))
        pitch = int(rng.integers(25, 86))
        return dict(engine="espeak", voice=f"{lang}+{var}", speed=speed, pitch=pitch,
                    val=var in VAL_ESPEAK_VARIANTS)
    if r < 0.8:
        v = FLITE_VOICES[rng.integers(len(FLITE_VOICES))]
        return dict(engine="flite", voice=v, stretch=round(float(rng.uniform(0.8, 1.3)), 2),
                    pitch_shift=int(rng.uniform(-250, 250)) if rng.random() < 0.4 else 0, val=False)
    v = FESTIVAL_VOICES[rng.integers(len(FESTIVAL_VOICES))]
    return dict(engine="festival", voice=v, stretch=round(float(rng.uniform(0.8, 1.3)), 2),
                pitch_shift=int(rng.uniform(-250, 250)) if rng.random() < 0.4 else 0, val=False)


def synth_single(job, tmpdir):
    """espeak / flite: one process per utterance."""
    v = job["v"]
    tmp = os.path.join(tmpdir, f"{job['id']}.wav")
    if v["engine"] == "espeak":
        subprocess.run(["espeak-ng", "-v", v["voice"], "-s", str(v["speed"]), "-p", str(v["pitch"]),
                        "-w", tmp, job["tts"]], check=True, capture_output=True)
    else:
        subprocess.run(["flite", "-voice", v["voice"], "--setf", f"duration_stretch={v['stretch']}",
                        "-t", job["tts"], "-o", tmp], check=True, capture_output=True)
    x = read_audio(tmp, v.get("pitch_shift", 0))
    os.remove(tmp)
    return x


def synth_festival_batch(jobs, tmpdir):
    """festival: one process per batch (startup is slow)."""
    voice = jobs[0]["v"]["voice"]
    lines = [f"(voice_{voice})"]
    paths = []
    for j in jobs:
        p = os.path.join(tmpdir, f"{j['id']}.wav")
        paths.append(p)
        if not j["tts"]:
            continue
        txt = j["tts"].replace('"', "")
        lines.append(f"(Parameter.set 'Duration_Stretch {j['v']['stretch']})")
        lines.append(f'(set! utt (Utterance Text "{txt}"))(utt.synth utt)(utt.save.wave utt "{p}" \'riff)')
    scm = os.path.join(tmpdir, f"batch_{jobs[0]['id']}.scm")
    with open(scm, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run(["festival", "-b", scm], capture_output=True)
    if r.returncode != 0 and len(jobs) > 1:  # retry one by one so one bad item loses only itself
        out = []
        for j in jobs:
            out += synth_festival_batch([j], tmpdir)
        os.remove(scm)
        return out
    out = []
    for j, p in zip(jobs, paths):
        out.append(read_audio(p, j["v"].get("pitch_shift", 0)) if os.path.exists(p) else None)
        if os.path.exists(p):
            os.remove(p)
    os.remove(scm)
    return out


MUSIC = None


def augment_and_write(job, x):
    global MUSIC
    if MUSIC is None:
        MUSIC = load_music()
    rng = np.random.default_rng(job["seed"])
    if job["tts"]:
        if x is None or len(x) < 1600:
            return None
        x = trim(x)
        x = x / (np.abs(x).max() + 1e-9) * 0.7
        speech_rms = np.sqrt(np.mean(x ** 2)) + 1e-9
    else:  # music-only clip
        x = np.zeros(int(rng.uniform(1.0, 3.0) * SR), np.float32)
        speech_rms = 0.1
    pl, pr = (int(rng.uniform(0.1, 0.6) * SR) for _ in range(2))
    y = np.concatenate([np.zeros(pl, np.float32), x, np.zeros(pr, np.float32)])
    if len(y) > 9.8 * SR:
        return None
    snr = None
    if rng.random() < 0.6 or not job["tts"]:
        m = excerpt(MUSIC[rng.integers(len(MUSIC))], len(y), rng)
        snr = float(rng.uniform(0, 20))
        y = y + m * speech_rms / 10 ** (snr / 20)
    if rng.random() < 0.3:
        n = rng.standard_normal(len(y)) if rng.random() < 0.5 else pink_noise(len(y), rng)
        y = y + n * speech_rms / 10 ** (rng.uniform(20, 45) / 20)
    y = y / (np.abs(y).max() + 1e-9) * 10 ** (rng.uniform(-20, -1) / 20)
    path = os.path.join(DATA, "clips", f"{job['id']}.wav")
    write_wav(path, y.astype(np.float32))
    return dict(wav=os.path.relpath(path, DATA), text=job["text"], tts=job["tts"],
                engine=job["v"]["engine"], voice=job["v"]["voice"], snr=snr,
                dur=round(len(y) / SR, 3), split=job["split"])


def run_group(jobs):
    tmpdir = tempfile.mkdtemp(prefix="vx_")
    res = []
    try:
        if jobs[0]["v"]["engine"] == "festival":
            xs = synth_festival_batch(jobs, tmpdir)
        else:
            xs = []
            for j in jobs:
                try:
                    xs.append(synth_single(j, tmpdir) if j["tts"] else None)
                except subprocess.CalledProcessError:
                    xs.append(None)
        for j, x in zip(jobs, xs):
            r = augment_and_write(j, x)
            if r:
                res.append(r)
    finally:
        for f in glob.glob(os.path.join(tmpdir, "*")):
            os.remove(f)
        os.rmdir(tmpdir)
    return res


def is_val_text(t):
    return int(hashlib.md5(t.encode()).hexdigest(), 16) % 25 == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=9000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    os.makedirs(os.path.join(DATA, "clips"), exist_ok=True)
    load_music()
    corp = corpus_phrases()
    jobs = []
    for i in range(args.n):
        v = pick_voice(rng)
        if rng.random() < 0.03:
            tts, text = "", ""
        else:
            tts, text = sample_text(corp)
        split = "val" if (v["val"] or (text and is_val_text(text))) else "train"
        jobs.append(dict(id=f"c{i:06d}", tts=tts, text=text, v=v, split=split, seed=args.seed * 1000003 + i))
    # group: festival by voice in batches of 40, others in chunks of 50
    groups = []
    for eng in ["festival", "flite", "espeak"]:
        ej = [j for j in jobs if j["v"]["engine"] == eng]
        if eng == "festival":
            for voice in FESTIVAL_VOICES:
                vj = [j for j in ej if j["v"]["voice"] == voice]
                groups += [vj[k:k + 40] for k in range(0, len(vj), 40)]
        else:
            groups += [ej[k:k + 50] for k in range(0, len(ej), 50)]
    out = []
    with Pool(args.workers) as pool:
        for k, r in enumerate(pool.imap_unordered(run_group, groups)):
            out += r
            if k % 20 == 0:
                print(f"{k}/{len(groups)} groups, {len(out)} clips", flush=True)
    out.sort(key=lambda r: r["wav"])
    with open(os.path.join(DATA, "manifest.jsonl"), "w") as f:
        for r in out:
            f.write(json.dumps(r) + "\n")
    ntr = sum(r["split"] == "train" for r in out)
    print(f"done: {len(out)} clips ({ntr} train, {len(out) - ntr} val), "
          f"{sum(r['dur'] for r in out) / 3600:.2f} h")


if __name__ == "__main__":
    main()
