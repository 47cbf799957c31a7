#!/usr/bin/env python3
"""Makes the rejection-calibration set: things said or heard in a booth that must fire nothing.

    python3 scripts/make_negatives.py OUT_DIR [--commands src/default_commands.toml]

Writes OUT_DIR/*.wav (16 kHz mono, -3 dBFS peak, 0.3 s padding like the corpus) and
OUT_DIR/manifest.jsonl for `voxcue eval --manifest OUT_DIR/manifest.jsonl`, with conditions:
  partial - pieces of command phrases ("play deck", "loop eight", "deck b") that are not phrases
  filler  - short chatter and booth talk ("yeah", "one two check", "turn it up")
  breath  - breaths, sighs and coughs (shaped noise, made with sox)
Voices: espeak-ng en-us / en-gb variants, flite kal, festival kal/ked/slt; chosen to differ from
the development corpus's voices. Needs espeak-ng, flite, festival and sox (Debian packages).
"""
import argparse
import json
import random
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ESPEAK_VOICES = [
    ("espeak-en-us+m1", ["espeak-ng", "-v", "en-us+m1"]),
    ("espeak-en-us+f3", ["espeak-ng", "-v", "en-us+f3", "-p", "60"]),
    ("espeak-en-us+klatt2", ["espeak-ng", "-v", "en-us+klatt2", "-s", "190"]),
    ("espeak-en-gb+m4", ["espeak-ng", "-v", "en-gb+m4", "-s", "150"]),
    ("espeak-en-gb-x-rp", ["espeak-ng", "-v", "en-gb-x-rp"]),
    ("espeak-en-gb+f4", ["espeak-ng", "-v", "en-gb+f4", "-s", "165"]),
]
FESTIVAL_VOICES = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]

FILLERS = [
    "um", "uh", "hmm", "yeah", "okay", "oh yeah", "hey", "wait", "wait a second", "one two check",
    "check check", "let's go", "come on", "nice", "turn it up", "drop it", "whoo", "thank you",
    "one more", "put your hands up", "where is the next one", "is this on", "a little louder",
    "we are live", "hold on", "right", "left", "deck", "track", "loop", "tempo", "effects",
    "play", "stop", "cue", "sync", "master", "volume", "record", "scroll",
]


def phrases(commands_file):
    data = tomllib.loads(Path(commands_file).read_text())
    return [p.lower() for c in data["command"] for p in c["phrases"]]


def partials(all_phrases):
    """Contiguous word runs of 2+ words (and first words) that are no phrase themselves."""
    known = set(all_phrases)
    out = set()
    for phrase in all_phrases:
        words = phrase.split()
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                run = " ".join(words[i:j])
                if j - i == len(words) or run in known:
                    continue
                if j - i >= 2 or i == 0:
                    out.add(run)
    return sorted(out)


def speak(text, voice_index, raw):
    """Synthesizes `text` with the voice_index-th voice (round robin); returns the voice name."""
    voices = [v[0] for v in ESPEAK_VOICES] + [f"festival-{f}" for f in FESTIVAL_VOICES] + ["flite-kal"]
    name = voices[voice_index % len(voices)]
    if name.startswith("espeak"):
        cmd = dict(ESPEAK_VOICES)[name]
        subprocess.run(cmd + ["-w", str(raw), text], check=True, capture_output=True)
    elif name.startswith("festival"):
        voice = name.removeprefix("festival-")
        subprocess.run(["text2wave", "-eval", f"(voice_{voice})", "-o", str(raw)], input=text.encode(), check=True,
                       capture_output=True)
    else:
        subprocess.run(["flite", "-voice", "kal", "-t", text, "-o", str(raw)], check=True, capture_output=True)
    return name


def finish(raw, out):
    """16 kHz mono, silence trimmed, -3 dBFS peak, 0.3 s padding."""
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out),
                    "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
                    "norm", "-3", "pad", "0.3", "0.3"], check=True, capture_output=True)


def breath(out, rng):
    kind = rng.choice(["inhale", "exhale", "sigh", "cough"])
    if kind == "cough":
        dur = rng.uniform(0.15, 0.3)
        synth = ["synth", f"{dur:.2f}", "brownnoise", "band", f"{rng.uniform(400, 900):.0f}", "600",
                 "fade", "h", "0.005", f"{dur:.2f}", f"{dur * 0.8:.2f}", "repeat", str(rng.randint(0, 2))]
    else:
        dur = rng.uniform(0.4, 1.2)
        centre = {"inhale": 2200, "exhale": 1300, "sigh": 900}[kind]
        synth = ["synth", f"{dur:.2f}", "pinknoise", "band", f"{centre * rng.uniform(0.8, 1.2):.0f}",
                 f"{rng.uniform(600, 1500):.0f}", "fade", "q", f"{dur * 0.4:.2f}", f"{dur:.2f}", f"{dur * 0.5:.2f}"]
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out)] + synth +
                   ["norm", f"-{rng.uniform(6, 20):.0f}", "pad", "0.3", "0.3"], check=True, capture_output=True)
    return kind


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--commands", default=str(Path(__file__).resolve().parent.parent / "src/default_commands.toml"))
    parser.add_argument("--breaths", type=int, default=40)
    parser.add_argument("--voices-per-text", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    items = [("partial", t) for t in partials(phrases(args.commands))] + [("filler", t) for t in FILLERS]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        for n, (condition, text) in enumerate(items):
            for k in range(args.voices_per_text):
                voice = speak(text, n + 5 * k, raw)
                name = f"{condition}{n:03d}__{text.replace(' ', '_')}__{voice}.wav"
                finish(raw, out / name)
                lines.append({"wav": name, "command": None, "text": text, "voice": voice, "condition": condition})
    for n in range(args.breaths):
        name = f"breath{n:03d}.wav"
        kind = breath(out / name, rng)
        lines.append({"wav": name, "command": None, "text": "", "voice": kind, "condition": "breath"})
    with open(out / "manifest.jsonl", "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    counts = {}
    for line in lines:
        counts[line["condition"]] = counts.get(line["condition"], 0) + 1
    print(f"{len(lines)} clips in {out}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
