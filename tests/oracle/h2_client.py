#!/usr/bin/python3
"""An HTTP/2 client on Python's h2 package that makes one prior-knowledge
connection carrying what a decoder has to get right beyond one plain
request (the reference capture captures/app/h2-python-client.pcap):

  h2_client.py --port P

- streams 1 and 3 opened back to back; stream 3's header block is larger
  than the 16384-byte default SETTINGS_MAX_FRAME_SIZE, so h2 sends it as
  HEADERS followed by CONTINUATION frames (RFC 9113 §6.10);
- stream 5 asks for /hang (which h2_server.py never answers) and is
  cancelled with RST_STREAM CANCEL (RFC 9113 §6.4, §7);
- stream 7 is a POST with a body in DATA frames;
- once 1, 3 and 7 are answered, a PING, then GOAWAY NO_ERROR (RFC 9113
  §6.8) and the client closes.

Prints one line per answered stream ("stream N status S bytes B") and exits
0, or exits 1 with one line on stderr.
"""
import argparse
import socket
import sys

import h2.config
import h2.connection
import h2.errors
import h2.events

# 40000 bytes of field value: even Huffman-coded (about 5 bits a letter)
# it is over 16384 bytes, so the block needs CONTINUATION frames.
BIG_VALUE = ("abcdefghijklmnopqrstuvwxyz0123456789" * 1200)[:40000]


def request(conn, stream, method, path, port, extra=(), end_stream=True):
    conn.send_headers(stream, [
        (":method", method),
        (":path", path),
        (":scheme", "http"),
        (":authority", f"127.0.0.1:{port}"),
        ("user-agent", "wirelab-h2-client"),
        *extra,
    ], end_stream=end_stream)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()

    sock = socket.create_connection(("127.0.0.1", args.port), timeout=5)
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())

    request(conn, 1, "GET", "/a", args.port)
    request(conn, 3, "GET", "/big", args.port, extra=[("x-big", BIG_VALUE)])
    sock.sendall(conn.data_to_send())

    request(conn, 5, "GET", "/hang", args.port)
    conn.reset_stream(5, h2.errors.ErrorCodes.CANCEL)
    sock.sendall(conn.data_to_send())

    body = b"field=value&other=" + b"x" * 200
    request(conn, 7, "POST", "/post", args.port,
            extra=[("content-length", str(len(body)))], end_stream=False)
    conn.send_data(7, body[:100])
    conn.send_data(7, body[100:], end_stream=True)
    sock.sendall(conn.data_to_send())

    waiting = {1, 3, 7}
    status = {}
    received = {}
    pinged = acked = False
    while not acked:
        if not waiting and not pinged:
            conn.ping(b"wirelab!")
            sock.sendall(conn.data_to_send())
            pinged = True
        data = sock.recv(65536)
        if not data:
            print("h2_client: the server closed before answering", file=sys.stderr)
            return 1
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                status[ev.stream_id] = dict(ev.headers)[":status"]
            elif isinstance(ev, h2.events.DataReceived):
                received[ev.stream_id] = received.get(ev.stream_id, 0) + len(ev.data)
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                waiting.discard(ev.stream_id)
            elif isinstance(ev, h2.events.PingAckReceived):
                acked = True
            elif isinstance(ev, h2.events.ConnectionTerminated):
                print(f"h2_client: GOAWAY from the server: {ev.error_code!r}",
                      file=sys.stderr)
                return 1
        sock.sendall(conn.data_to_send())

    conn.close_connection()
    sock.sendall(conn.data_to_send())
    # Our FIN after the GOAWAY; wait for the server's so the capture ends in
    # a clean FIN/FIN.
    sock.shutdown(socket.SHUT_WR)
    while sock.recv(65536):
        pass
    sock.close()
    for stream in sorted(status):
        print(f"stream {stream} status {status[stream]} bytes {received.get(stream, 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
