#!/usr/bin/env python3
"""Writes the first reference deployment's input: `person_info_N.log` files of
`AGE GENDER HEIGHT WEIGHT` rows into a spool directory, as the seed's log producer did
(../shared/reference, section 1), with two fixes:

- each file is written under a hidden name and renamed into place when complete, so the
  spooldir input never sees a partial file (the seed wrote in place);
- file numbers never repeat in a directory: the next one is kept in a hidden state file,
  because the seed reused the lowest free name, which a deleting spooldir source frees.

Distributions as the seed's: age uniform in 20..23, gender uniform, height and weight
normal per gender (male 174.2±5.89 cm, 71.5±11.63 kg; female 160.9±5.89 cm, 55.1±8.58 kg).
`--copy-to` keeps a copy of every file, the ground truth a reconciliation compares with.

  scripts/seed1/produce.py --dir spool --files 100 [--rows 1000] [--interval 5] [--seed 1]
"""
import argparse
import os
import random
import shutil
import time

STATE = ".person_info.next"


def next_number(directory):
    try:
        with open(os.path.join(directory, STATE)) as f:
            return int(f.read().strip() or 0)
    except FileNotFoundError:
        return 0


def rows(rng, n):
    out = []
    for _ in range(n):
        gender = rng.choice(["male", "female"])
        age = rng.choice(range(20, 24))
        if gender == "male":
            height, weight = rng.normalvariate(174.2, 5.89), rng.normalvariate(71.5, 11.63)
        else:
            height, weight = rng.normalvariate(160.9, 5.89), rng.normalvariate(55.1, 8.58)
        out.append(f"{age} {gender} {height:.1f} {weight:.1f}\n")
    return "".join(out)


def write_atomically(path, text):
    directory, name = os.path.split(path)
    hidden = os.path.join(directory, "." + name + ".tmp")
    with open(hidden, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(hidden, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", required=True, help="spool directory")
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0, help="seconds between files (the seed: 5)")
    parser.add_argument("--seed", type=int, help="random seed, for a reproducible run")
    parser.add_argument("--copy-to", help="directory that keeps a copy of every file written")
    args = parser.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    if args.copy_to:
        os.makedirs(args.copy_to, exist_ok=True)
    rng = random.Random(args.seed)
    number = next_number(args.dir)
    for i in range(args.files):
        name = f"person_info_{number}.log"
        text = rows(rng, args.rows)
        if args.copy_to:
            write_atomically(os.path.join(args.copy_to, name), text)
        write_atomically(os.path.join(args.dir, name), text)
        number += 1
        write_atomically(os.path.join(args.dir, STATE), f"{number}\n")
        if args.interval and i + 1 < args.files:
            time.sleep(args.interval)


if __name__ == "__main__":
    main()
