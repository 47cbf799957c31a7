"""Minimal reader for CTranslate2 model.bin files (no ctranslate2 needed)."""
import struct

import numpy as np

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: None}  # 5 = bfloat16


def _str(f):
    (n,) = struct.unpack("<H", f.read(2))
    return f.read(n).rstrip(b"\0").decode()


def read_ct2(path):
    """Return (spec_name, {name: np.ndarray}) with aliases resolved."""
    out = {}
    with open(path, "rb") as f:
        (version,) = struct.unpack("<I", f.read(4))
        spec = _str(f) if version >= 2 else ""
        if version >= 2:
            struct.unpack("<I", f.read(4))  # revision
        (nvar,) = struct.unpack("<I", f.read(4))
        for _ in range(nvar):
            name = _str(f)
            (rank,) = struct.unpack("<B", f.read(1))
            shape = struct.unpack(f"<{rank}I", f.read(4 * rank)) if rank else ()
            if version >= 4:
                (dt,) = struct.unpack("<B", f.read(1))
                (nbytes,) = struct.unpack("<I", f.read(4))
            else:
                (itemsize,) = struct.unpack("<B", f.read(1))
                dt = 0
                (nbytes,) = struct.unpack("<I", f.read(4))
                nbytes *= itemsize
            buf = f.read(nbytes)
            if DTYPES[dt] is None:  # bfloat16 -> float32
                a = (np.frombuffer(buf, np.uint16).astype(np.uint32) << 16).view(np.float32)
            else:
                a = np.frombuffer(buf, DTYPES[dt])
            out[name] = a.reshape(shape)
        if version >= 3:
            rest = f.read(4)
            if len(rest) == 4:
                (nalias,) = struct.unpack("<I", rest)
                for _ in range(nalias):
                    alias, target = _str(f), _str(f)
                    out[alias] = out[target]
    return spec, out
