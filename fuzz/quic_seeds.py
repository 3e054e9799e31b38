#!/usr/bin/env python3
"""Seeds for the quic_initial fuzz target from the QUIC reference captures.

Every UDP datagram of captures/quic/*.pcap becomes one corpus file in the
target's layout, [flags, dcid_len, dcid..., datagram...]: flags bit 0 for a
server datagram, bit 1 for a greased fixed bit, and dcid the client's first
Destination Connection ID (the one the Initial keys come from). Files are
named by the SHA-1 of their contents, as cargo-fuzz names its own.

    fuzz/quic_seeds.py      writes fuzz/corpus/quic_initial/
"""
import glob
import hashlib
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus", "quic_initial")
SERVER_PORTS = {18490, 18491, 18492}


def datagrams(path):
    data = open(path, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", path
    at = 24
    while at + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, at + 8)[0]
        frame = data[at + 16 : at + 16 + caplen]
        at += 16 + caplen
        # Ethernet, IPv4 without options, UDP.
        src = struct.unpack_from(">H", frame, 34)[0]
        yield src in SERVER_PORTS, frame[42:]


os.makedirs(OUT, exist_ok=True)
written = 0
for path in sorted(glob.glob(os.path.join(ROOT, "captures", "quic", "*.pcap"))):
    dcid = None
    for from_server, payload in datagrams(path):
        if dcid is None and payload[0] & 0x80:
            dcid = payload[6 : 6 + payload[5]]
        d = dcid or b""
        seed = bytes([(1 if from_server else 0) | 2, len(d)]) + d + payload
        name = hashlib.sha1(seed).hexdigest()
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(seed)
        written += 1
print(f"{OUT}: {written} seeds")
