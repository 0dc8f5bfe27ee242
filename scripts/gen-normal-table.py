#!/usr/bin/env python3
"""Writes test/fixtures/normal-cdf.json: the standard normal CDF N(x) and pdf n(x) at ~200 points,
computed with mpmath at 50 significant digits, for testing test/reference/normal.ts (and through
it the kernel).

Each x is an IEEE double, written with repr() so that it round-trips exactly; mpmath evaluates
N and n at that exact double (mpf(float) is exact), and the values are written as decimal strings
with 25 significant digits (far below the 1e-16 the tests resolve).

Points: a dense grid of step 0.25 over [-10, 10]; the customary quantiles (0, +-0.5,
+-0.67448975, +-1, +-1.96, +-2.5, +-sqrt(32), +-8); values around the branch points of common
algorithms (Cody/R's pnorm: 0.67448975 and sqrt(32); Marsaglia's nodes; the reference model's
switch at 2; Hart/West: 7.07106781 = 10/sqrt(2); A&S-style breaks at 0.66..0.68, 5.6, 5.7, 7.07,
7.08), each with both signs; seeded irregular doubles over [-10, 10]; and the tails -38, -37.5,
-37, -35, -30, -25, -20, -15, -12 and +10, +12, +15, +20.

Usage: python3 scripts/gen-normal-table.py   (from the repository root; needs mpmath)
"""
import json
import math
import os
import random

import mpmath

DIGITS = 50
SIGNIFICANT_DIGITS_OUT = 25
SEED = 20040718  # Marsaglia's paper's publication date


def points():
    xs = set()
    for k in range(-40, 41):
        xs.add(k * 0.25)
    symmetric = [
        0.5, 0.67448975, 1.0, 1.96, 2.5, math.sqrt(32.0), 5.657, 8.0,
        0.66, 0.67, 0.68, 5.6, 5.7, 7.07, 7.08, 7.07106781,
        # on and just around the reference's own branch points (Taylor nodes 1, 2; CF from 2)
        1.0 - 2.0 ** -30, 1.0 + 2.0 ** -30,
        math.nextafter(2.0, 0.0), math.nextafter(2.0, 3.0), 1.999999, 2.000001,
        # around Cody's branch points, just below and above
        math.nextafter(0.67448975, 0.0), math.nextafter(0.67448975, 1.0),
        math.nextafter(math.sqrt(32.0), 0.0), math.nextafter(math.sqrt(32.0), 6.0),
        1e-8, 0.1, 3.3, 4.5, 6.7,
    ]
    for x in symmetric:
        xs.add(x)
        xs.add(-x)
    rng = random.Random(SEED)
    for _ in range(40):
        xs.add(rng.uniform(-10.0, 10.0))
    for x in [-38.0, -37.5, -37.0, -35.0, -30.0, -25.0, -20.0, -15.0, -12.0, 10.0, 12.0, 15.0, 20.0]:
        xs.add(x)
    return sorted(xs)


def main():
    mpmath.mp.dps = DIGITS
    rows = []
    for x in points():
        exact_x = mpmath.mpf(x)  # exact: the double itself
        cdf = mpmath.ncdf(exact_x)
        pdf = mpmath.npdf(exact_x)
        rows.append({
            "x": x,
            "cdf": mpmath.nstr(cdf, SIGNIFICANT_DIGITS_OUT, strip_zeros=False),
            "pdf": mpmath.nstr(pdf, SIGNIFICANT_DIGITS_OUT, strip_zeros=False),
        })
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_path = os.path.join(root, "test", "fixtures", "normal-cdf.json")
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    # json.dumps writes floats with repr(), the shortest string that round-trips to the same double
    lines = ",\n".join(
        '    {"x": %s, "cdf": "%s", "pdf": "%s"}' % (repr(r["x"]), r["cdf"], r["pdf"]) for r in rows
    )
    source = (
        "mpmath %s at %d significant digits: ncdf(x) and npdf(x) of the exact double x, printed to %d "
        "significant digits; written by scripts/gen-normal-table.py"
        % (mpmath.__version__, DIGITS, SIGNIFICANT_DIGITS_OUT)
    )
    with open(out_path, "w") as f:
        f.write('{\n  "source": %s,\n  "points": [\n%s\n  ]\n}\n' % (json.dumps(source), lines))
    print("wrote %d points to %s" % (len(rows), out_path))


if __name__ == "__main__":
    main()
