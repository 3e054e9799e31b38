#!/usr/bin/env python3
"""Shrinks a fuzz corpus to a small set that keeps every coverage edge.

`cargo fuzz cmin` keeps, smallest first, every file that adds an edge, which
leaves hundreds of tiny files. This runs the target's merge once to learn which
edges each file reaches, then keeps the files a greedy set cover picks (the file
adding the most uncovered edges first), so the committed corpus stays a few dozen
files with the same edge coverage.

    python3 fuzz/shrink.py TARGET [MIN_GAIN]   # rewrites fuzz/corpus/TARGET in place

With MIN_GAIN above 1 the cover stops at the first file that would add fewer
new edges than that: a smaller corpus that gives up the rarest edges.
"""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def edges_of(binary, path, tmp):
    """The coverage edges (PC table indices) one input reaches on its own."""
    one = os.path.join(tmp, "one")
    os.makedirs(one, exist_ok=True)
    for f in os.listdir(one):
        os.remove(os.path.join(one, f))
    os.symlink(path, os.path.join(one, "input"))
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty, exist_ok=True)
    control = os.path.join(tmp, "control")
    subprocess.run(
        [binary, "-merge=1", "-merge_control_file=" + control, empty, one],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for line in open(control):
        parts = line.split()
        if parts and parts[0] == "COV":
            return set(parts[2:])
    return set()


def main(target, min_gain=1):
    corpus = os.path.join(HERE, "corpus", target)
    binary = os.path.join(HERE, "target", "x86_64-unknown-linux-gnu", "release", target)
    files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus))
    with tempfile.TemporaryDirectory() as tmp:
        edges = {f: edges_of(binary, f, tmp) for f in files}
    uncovered = set().union(*edges.values())
    total = len(uncovered)
    keep = []
    while uncovered:
        best = max(edges, key=lambda f: (len(edges[f] & uncovered), -os.path.getsize(f)))
        if len(edges[best] & uncovered) < min_gain:
            break
        keep.append(best)
        uncovered -= edges.pop(best)
    for f in files:
        if f not in keep:
            os.remove(f)
    kept_edges = total - len(uncovered)
    print("%s: kept %d of %d files, %d of %d edges" % (target, len(keep), len(files), kept_edges, total))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1))
