#!/usr/bin/python3
"""HTTP/2 frames through hyperframe (python3-hyperframe), the oracle for
wirelab's frame parser and writer (src/proto/h2).

  h2_frames.py make    prints frames hyperframe serializes, one per line:
                       hex of the wire bytes, a tab, JSON of the fields
  h2_frames.py parse   reads hex frames on stdin, one per line, and prints
                       JSON of the fields hyperframe parses from each
  h2_frames.py count   reads one direction's bytes as hex on stdin (the
                       client's preface first, if any) and prints JSON
                       {frame type number: count}

The fields are named as wirelab's tests compare them.
"""
import json
import sys

from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame,
                              HeadersFrame, PingFrame, PriorityFrame,
                              PushPromiseFrame, RstStreamFrame, SettingsFrame,
                              WindowUpdateFrame)


def fields(f):
    d = {"type": f.type, "stream": f.stream_id, "flags": sorted(f.flags)}
    if isinstance(f, (DataFrame, HeadersFrame, ContinuationFrame, PushPromiseFrame)):
        d["data"] = bytes(f.data).hex()
    if isinstance(f, (DataFrame, HeadersFrame, PushPromiseFrame)):
        d["pad_length"] = f.pad_length
    if isinstance(f, (HeadersFrame, PriorityFrame)) and (
            isinstance(f, PriorityFrame) or "PRIORITY" in f.flags):
        d["priority"] = [bool(f.exclusive), f.depends_on, f.stream_weight]
    if isinstance(f, RstStreamFrame):
        d["code"] = f.error_code
    if isinstance(f, SettingsFrame):
        d["settings"] = sorted([k, v] for k, v in f.settings.items())
    if isinstance(f, PushPromiseFrame):
        d["promised"] = f.promised_stream_id
    if isinstance(f, PingFrame):
        d["data"] = bytes(f.opaque_data).hex()
    if isinstance(f, GoAwayFrame):
        d["last_stream"] = f.last_stream_id
        d["code"] = f.error_code
        d["data"] = bytes(f.additional_data).hex()
    if isinstance(f, WindowUpdateFrame):
        d["increment"] = f.window_increment
    return d


def made():
    out = []
    f = DataFrame(1, data=b"hello", flags=["END_STREAM"])
    out.append(f)
    f = DataFrame(3, data=b"padded body", flags=["PADDED"])
    f.pad_length = 7
    out.append(f)
    f = HeadersFrame(1, data=b"\x82\x86\x84", flags=["END_HEADERS", "END_STREAM"])
    out.append(f)
    f = HeadersFrame(5, data=b"\x88", flags=["END_HEADERS", "PRIORITY", "PADDED"])
    f.depends_on, f.stream_weight, f.exclusive, f.pad_length = 3, 200, True, 2
    out.append(f)
    f = PriorityFrame(7)
    f.depends_on, f.stream_weight, f.exclusive = 1, 15, False
    out.append(f)
    out.append(RstStreamFrame(9, error_code=8))
    out.append(SettingsFrame(0, settings={3: 100, 4: 1 << 20, 0xfe: 7}))
    out.append(SettingsFrame(0, flags=["ACK"]))
    f = PushPromiseFrame(1, promised_stream_id=2, data=b"\x82", flags=["END_HEADERS"])
    out.append(f)
    out.append(PingFrame(0, opaque_data=b"12345678"))
    out.append(PingFrame(0, opaque_data=b"\x00" * 8, flags=["ACK"]))
    out.append(GoAwayFrame(0, last_stream_id=7, error_code=0, additional_data=b"bye"))
    out.append(GoAwayFrame(0, last_stream_id=0, error_code=11))
    out.append(WindowUpdateFrame(0, window_increment=(1 << 31) - 1))
    out.append(WindowUpdateFrame(3, window_increment=1))
    out.append(ContinuationFrame(1, data=b"\x41\x01a", flags=["END_HEADERS"]))
    for f in out:
        print(f.serialize().hex() + "\t" + json.dumps(fields(f)))


def parsed():
    for line in sys.stdin:
        raw = bytes.fromhex(line.strip())
        f, length = Frame.parse_frame_header(memoryview(raw[:9]))
        f.parse_body(memoryview(raw[9:9 + length]))
        print(json.dumps(fields(f)))


def counted():
    raw = bytes.fromhex(sys.stdin.read().strip())
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    if raw.startswith(preface):
        raw = raw[len(preface):]
    counts = {}
    while raw:
        f, length = Frame.parse_frame_header(memoryview(raw[:9]))
        counts[f.type] = counts.get(f.type, 0) + 1
        raw = raw[9 + length:]
    print(json.dumps(counts))


if __name__ == "__main__":
    {"make": made, "parse": parsed, "count": counted}[sys.argv[1]]()
