#!/usr/bin/env python3
"""Writes test/fixtures/normalised-black.json: Jaeckel's normalised Black call price
b(x, s) = N(x/s + s/2) e^{x/2} - N(x/s - s/2) e^{-x/2} (x = ln(F/K), s = vol sqrt(T)) and its
elasticity to s, E = s (db/ds) / b, computed with mpmath at 60 significant digits, for testing the
kernel's b (assembly/implied.ts normalisedBlackCall) and its inversion (normalisedImpliedTotalVol).

Each x and s is an IEEE double written with repr() (exact round trip); mpmath evaluates at those
exact doubles (mpf(float) is exact) and the values are written with 25 significant digits.
db/ds = exp(-(h^2 + t^2)/2) / sqrt(2 pi) with h = x/s, t = s/2.

Points: x in {0, +-1e-12, +-1e-8, +-1e-4, +-1e-3, +-0.01, +-0.05, +-0.1, +-0.25, +-0.5, +-1, +-2,
+-4, +-8, +-16, +-32, +-64, +-200, +-600} times s on 49 log-spaced points from 1e-7 to 60 (half
decades), plus the region boundaries of the kernel (h = -10, t = 0.2102, h + t = 0.85) from both
sides, and seeded random (x, s) with x/s in [-12, 12] and s in [1e-5, 40]. A point is kept when
b is a normal double (>= 2.2250738585072014e-308).

Usage: python3 scripts/gen-implied-table.py   (from the repository root; needs mpmath)
"""
import json
import math
import os
import random

import mpmath

DIGITS = 60
OUT_DIGITS = 25
SEED = 20150101  # Wilmott, January 2015
mpmath.mp.dps = DIGITS


def black(x, s):
    x = mpmath.mpf(x)
    s = mpmath.mpf(s)
    h = x / s
    t = s / 2
    b = mpmath.ncdf(h + t) * mpmath.exp(x / 2) - mpmath.ncdf(h - t) * mpmath.exp(-x / 2)
    vega = mpmath.exp(-(h * h + t * t) / 2) / mpmath.sqrt(2 * mpmath.pi)
    return b, s * vega / b


def main():
    xs = [0.0]
    for m in [1e-12, 1e-8, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 200, 600]:
        xs += [m, -m]
    ss = [10 ** (-7 + 0.25 * i) for i in range(0, 36)] + [10 ** (1 + 0.1 * i) for i in range(0, 8)] + [60.0]
    pairs = [(x, s) for x in xs for s in ss]
    # region boundaries, from both sides: h = -10, t = tau, h + t = 0.85
    tau = 2 * (2.0 ** -52) ** (1 / 16)
    for s in [0.01, 0.1, 0.3, 1.0, 3.0]:
        for d in [-1e-9, 0.0, 1e-9]:
            pairs.append(((-10 + d) * s, s))
            pairs.append(((0.85 + d - s / 2) * s, s))
    for x in [0.0, -0.01, -0.5, -2.0, -5.0]:
        for d in [-1e-9, 0.0, 1e-9]:
            pairs.append((x, 2 * tau * (1 + d)))
    rng = random.Random(SEED)
    for _ in range(600):
        s = 10 ** rng.uniform(-5, math.log10(40))
        pairs.append((rng.uniform(-12, 12) * s, s))
    points = []
    for x, s in pairs:
        x = float(x)
        s = float(s)
        b, elasticity = black(x, s)
        if b < mpmath.mpf("2.2250738585072014e-308"):
            continue
        points.append({
            "x": x,
            "s": s,
            "b": mpmath.nstr(b, OUT_DIGITS, min_fixed=1, max_fixed=0),
            "elasticity": mpmath.nstr(elasticity, 6, min_fixed=1, max_fixed=0),
        })
    out = {
        "source": f"mpmath {mpmath.__version__} at {DIGITS} significant digits: b(x, s) and E = s b'(s)/b of the exact doubles x, s; written by scripts/gen-implied-table.py",
        "points": points,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "normalised-black.json")
    with open(path, "w") as f:
        f.write('{\n  "source": ' + json.dumps(out["source"]) + ',\n  "points": [\n')
        f.write(",\n".join("    " + json.dumps(p) for p in points))
        f.write("\n  ]\n}\n")
    print(f"{len(points)} points -> {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
