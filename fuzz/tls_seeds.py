#!/usr/bin/env python3
"""Writes the tls_records fuzzer's seeds into fuzz/seeds/tls_records/ (not
committed): both directions of every connection of the TLS reference
captures (captures/app/tls-*.pcap), as tshark reassembles them
(`-z follow,tcp,raw`), in the target's layout `[piece, len_hi, len_lo,
client…, server…]`, with a few piece sizes each.

The committed corpus (fuzz/corpus/tls_records/) was grown from these by the
fuzzer and minimised with `cargo fuzz cmin`. Needs tshark.
"""

import glob
import hashlib
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "seeds", "tls_records")


def streams(pcap):
    out = subprocess.run(
        ["tshark", "-r", pcap, "-T", "fields", "-e", "tcp.stream"],
        capture_output=True, text=True, check=True).stdout
    return sorted({int(s) for s in out.split()})


def follow(pcap, n):
    """The client's and the server's bytes of TCP stream n."""
    out = subprocess.run(
        ["tshark", "-r", pcap, "-q", "-z", f"follow,tcp,raw,{n}"],
        capture_output=True, text=True, check=True).stdout
    client, server = b"", b""
    for line in out.splitlines():
        m = re.fullmatch(r"(\t?)([0-9a-f]+)", line)
        if not m:
            continue
        data = bytes.fromhex(m.group(2))
        if m.group(1):
            server += data
        else:
            client += data
    return client, server


def main():
    os.makedirs(OUT, exist_ok=True)
    for pcap in sorted(glob.glob(os.path.join(ROOT, "captures", "app", "tls-*.pcap"))):
        for n in streams(pcap):
            client, server = follow(pcap, n)
            client = client[:0xFFFF]
            for piece in (0, 7, 200):
                data = bytes([piece]) + len(client).to_bytes(2, "big") + client + server
                name = hashlib.sha1(data).hexdigest()
                with open(os.path.join(OUT, name), "wb") as f:
                    f.write(data)


main()
