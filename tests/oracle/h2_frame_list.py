#!/usr/bin/python3
"""The HTTP/2 frames in one direction of a connection, read by hyperframe
(python3-hyperframe): a second, independent reader of the frames tshark
lists in tests/app_tshark_oracle.rs.

  h2_frame_list.py < HEX

stdin: the hex of one direction's bytes from the first frame on (the
client's 24-byte preface and any HTTP/1.1 before it already removed).
stdout: JSON {"frames": [[type, stream id], ...], "rest": bytes left over
that do not make a whole frame}.
"""
import json
import sys

from hyperframe.frame import Frame

data = bytes.fromhex(sys.stdin.read().strip())
frames = []
at = 0
while len(data) - at >= 9:
    frame, length = Frame.parse_frame_header(memoryview(data[at:at + 9]))
    if len(data) - at - 9 < length:
        break
    frames.append([frame.type, frame.stream_id])
    at += 9 + length
print(json.dumps({"frames": frames, "rest": len(data) - at}))
