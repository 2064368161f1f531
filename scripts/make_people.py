#!/usr/bin/env python3
"""Writes person_info_N.log files like the seed deployment's producer:
`AGE GENDER HEIGHT WEIGHT` per line, 1,000 lines per file (fixed seed, reproducible)."""
import random
import sys

out_dir = sys.argv[1] if len(sys.argv) > 1 else "samples/people"
files = int(sys.argv[2]) if len(sys.argv) > 2 else 3
lines = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
rng = random.Random(42)
for n in range(1, files + 1):
    with open(f"{out_dir}/person_info_{n}.log", "w") as f:
        for _ in range(lines):
            age = rng.randint(20, 23)
            if rng.random() < 0.5:
                gender, h, w = "male", rng.gauss(174.2, 5.89), rng.gauss(71.5, 11.63)
            else:
                gender, h, w = "female", rng.gauss(160.9, 5.89), rng.gauss(55.1, 8.58)
            f.write(f"{age} {gender} {h:.1f} {w:.1f}\n")
