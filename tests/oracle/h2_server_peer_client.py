#!/usr/bin/python3
"""A second, independent HTTP/2 client (Debian's python3-h2) driving
wirelab's server over a real socket, for tests/server_h2_peers.rs.

  h2_server_peer_client.py PORT SCENARIO

prints one JSON object: {"streams": {id: {"status", "body", "headers"}},
"goaways": [[last_stream, code], ...], "resets": [[stream, code], ...],
"end": "fin" | "rst" | "open"}. `body` is hex.

Scenarios:
  streams   prior knowledge; three GETs and one POST of 200 000 bytes at once
            (the upload needs the server's WINDOW_UPDATEs, the downloads
            its respect for our windows); reads to the server's close or
            until every stream is answered and 1 s of quiet
  upgrade   HTTP/1.1 GET with Upgrade: h2c, then stream 1's answer and a
            GET on stream 3
  stay      prior knowledge, one GET, then stays connected and reads to
            EOF (graceful shutdown, idle GOAWAY)
"""
import json
import socket
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import hyperframe.frame

PORT = int(sys.argv[1])
SCENARIO = sys.argv[2]

streams = {}
goaways = []
resets = []


def request(path, method="GET"):
    return [(":method", method), (":scheme", "http"),
            (":authority", "127.0.0.1:%d" % PORT), (":path", path),
            ("user-agent", "h2-server-peer")]


def handle(conn, events):
    for e in events:
        if isinstance(e, h2.events.ResponseReceived):
            s = streams.setdefault(e.stream_id, {"body": ""})
            headers = {k.decode(): v.decode() for k, v in e.headers}
            s["status"] = int(headers[":status"])
            s["headers"] = headers
        elif isinstance(e, h2.events.DataReceived):
            streams.setdefault(e.stream_id, {"body": ""})["body"] += e.data.hex()
            conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
        elif isinstance(e, h2.events.StreamEnded):
            streams.setdefault(e.stream_id, {"body": ""})["ended"] = True
        elif isinstance(e, h2.events.StreamReset):
            resets.append([e.stream_id, int(e.error_code)])


def frames(buf):
    """Splits off whole frames: (list of (frame, bytes), rest)."""
    out = []
    while len(buf) >= 9:
        f, length = hyperframe.frame.Frame.parse_frame_header(memoryview(buf[:9]))
        if len(buf) < 9 + length:
            break
        f.parse_body(memoryview(buf[9:9 + length]))
        out.append((f, buf[:9 + length]))
        buf = buf[9 + length:]
    return out, buf


def feed(sock, conn, data):
    """Feeds frames one at a time. h2 4.x treats the first GOAWAY as the end
    of the connection and refuses the PING of RFC 9113 section 6.8's
    graceful shutdown, so GOAWAYs are recorded here and a PING it refuses
    is acknowledged here."""
    for f, raw in data:
        if isinstance(f, hyperframe.frame.GoAwayFrame):
            goaways.append([f.last_stream_id, f.error_code])
        try:
            handle(conn, conn.receive_data(raw))
        except h2.exceptions.ProtocolError:
            if isinstance(f, hyperframe.frame.PingFrame) and "ACK" not in f.flags:
                ack = hyperframe.frame.PingFrame(0, f.opaque_data)
                ack.flags.add("ACK")
                sock.sendall(ack.serialize())


def pump(sock, conn, want=None, quiet=1.0, pending=None):
    """Reads until EOF, RST, or (with `want`) every wanted stream ended and
    `quiet` seconds pass with nothing new. `pending` sends body bytes as
    the windows allow."""
    sock.settimeout(quiet)
    buf = b""
    while True:
        if pending:
            for sid in list(pending):
                data = pending[sid]
                n = min(len(data), conn.local_flow_control_window(sid),
                        conn.max_outbound_frame_size)
                if n > 0:
                    conn.send_data(sid, data[:n], end_stream=(n == len(data)))
                    pending[sid] = data[n:]
                    if not pending[sid]:
                        del pending[sid]
        out = conn.data_to_send()
        if out:
            sock.sendall(out)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            if want is not None and all(streams.get(s, {}).get("ended") for s in want):
                return "open"
            continue
        except ConnectionResetError:
            return "rst"
        if not data:
            return "fin"
        whole, buf = frames(buf + data)
        feed(sock, conn, whole)


def main():
    sock = socket.create_connection(("127.0.0.1", PORT))
    config = h2.config.H2Configuration(client_side=True)
    conn = h2.connection.H2Connection(config)
    end = None
    if SCENARIO == "upgrade":
        settings = conn.initiate_upgrade_connection()
        head = ("GET /up HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                "HTTP2-Settings: %s\r\n\r\n" % (PORT, settings.decode()))
        sock.sendall(head.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            got = sock.recv(65536)
            if not got:
                raise SystemExit("closed before the 101")
            buf += got
        status, rest = buf.split(b"\r\n\r\n", 1)
        if not status.startswith(b"HTTP/1.1 101"):
            raise SystemExit("no 101: %r" % status)
        sock.sendall(conn.data_to_send())
        whole, buf = frames(rest)
        feed(sock, conn, whole)
        assert not buf, "a partial frame right behind the 101"
        conn.send_headers(3, request("/three"), end_stream=True)
        end = pump(sock, conn, want=[1, 3])
    elif SCENARIO == "streams":
        conn.initiate_connection()
        for sid, path in [(1, "/a"), (3, "/b"), (5, "/c")]:
            conn.send_headers(sid, request(path), end_stream=True)
        upload = bytes(i % 251 for i in range(200000))
        conn.send_headers(7, request("/upload", "POST") + [("content-length", str(len(upload)))])
        end = pump(sock, conn, want=[1, 3, 5, 7], pending={7: upload})
    elif SCENARIO == "stay":
        conn.initiate_connection()
        conn.send_headers(1, request("/stay"), end_stream=True)
        end = pump(sock, conn, quiet=0.2)
    else:
        raise SystemExit("unknown scenario " + SCENARIO)
    for s in streams.values():
        s.pop("ended", None)
    print(json.dumps({"streams": streams, "goaways": goaways, "resets": resets, "end": end}))


main()
