#!/usr/bin/python3
"""A small cleartext HTTP/2 server on Python's h2 package, the real peer the
reference captures in captures/app/ are recorded against (not a test double:
it speaks to curl, nghttp and h2_client.py over loopback TCP).

  h2_server.py --port P [--goaway]

One port takes both ways into HTTP/2 over cleartext:
- prior knowledge: the connection starts with the client preface
  (RFC 9113 §3.4);
- Upgrade: an HTTP/1.1 request carrying `Upgrade: h2c` and exactly one
  `HTTP2-Settings` field is answered `101 Switching Protocols`, and the
  response to that request goes out on stream 1 (RFC 7540 §3.2; nghttpd does
  not do this, which is why this server exists).
An HTTP/1.1 request without an acceptable Upgrade gets a plain HTTP/1.1 200
and the connection is closed.

Every request whose path is not /hang is answered 200 with a short text body
once its request has ended (so a POST's body is read first). A request for
/hang gets no answer: the client is expected to cancel it with RST_STREAM.
With --goaway the server sends GOAWAY (NO_ERROR, last stream = the one it
just answered) after its first response and closes the connection, the
graceful shutdown of RFC 9113 §6.8.

The server prints one line when it listens ("listening PORT") and otherwise
stays quiet; it runs until killed.
"""
import argparse
import socket
import socketserver
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEAD_LIMIT = 65536


def body_for(method, path):
    return f"hello from h2_server: {method} {path}\n".encode()


class Connection(socketserver.BaseRequestHandler):
    def handle(self):
        # A client may close or reset first (nghttp closes right after its
        # GOAWAY): that ends this connection, not the server.
        try:
            self.converse(self.request)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def converse(self, sock):
        buf = b""
        # Tell prior knowledge from HTTP/1.1 by the first bytes: the preface
        # starts like a request line, so wait until either the whole preface
        # or a whole HTTP/1.1 head is in.
        while True:
            if buf.startswith(PREFACE):
                return self.serve_h2(sock, buf, None)
            if b"\r\n\r\n" in buf and not PREFACE.startswith(buf[: len(PREFACE)]):
                return self.serve_http1(sock, buf)
            if len(buf) > HEAD_LIMIT:
                return
            chunk = sock.recv(65536)
            if not chunk:
                return
            buf += chunk

    def serve_http1(self, sock, buf):
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        fields = {}
        counts = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            fields[key] = value.strip()
            counts[key] = counts.get(key, 0) + 1
        # The request body, if any, comes before the switch (RFC 7540 §3.2:
        # it must be sent in full before HTTP/2 frames).
        length = int(fields.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return
            rest += chunk
        after = rest[length:]
        upgrade = [t.strip().lower() for t in fields.get("upgrade", "").split(",")]
        if "h2c" in upgrade and counts.get("http2-settings") == 1:
            sock.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\n"
                b"Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
            )
            return self.serve_h2(sock, after, (fields["http2-settings"], method, target))
        body = body_for(method, target)
        sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )

    def serve_h2(self, sock, buf, upgrade):
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        conn = h2.connection.H2Connection(config=config)
        requests = {}
        if upgrade is None:
            conn.initiate_connection()
        else:
            settings, method, target = upgrade
            # HTTP2-Settings is base64url without padding (RFC 7540 §3.2.1).
            settings += "=" * (-len(settings) % 4)
            conn.initiate_upgrade_connection(settings.encode())
            requests[1] = (method, target)
            self.respond(conn, 1, method, target)
        sock.sendall(conn.data_to_send())
        done = self.goaway_if_due(conn, upgrade is not None)
        while not done:
            if buf:
                try:
                    events = conn.receive_data(buf)
                except h2.exceptions.ProtocolError:
                    # h2 has queued a GOAWAY with the error (RFC 9113
                    # §5.4.1); send it and close.
                    break
                buf = b""
                done = self.handle_events(conn, events, requests)
                sock.sendall(conn.data_to_send())
                if done:
                    break
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf = chunk
        out = conn.data_to_send()
        if out:
            sock.sendall(out)
        # A clean close: FIN after the last frame, then read whatever the
        # client still sends so the close does not turn into a RST.
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(2)
            while sock.recv(65536):
                pass
        except OSError:
            pass

    def handle_events(self, conn, events, requests):
        for ev in events:
            if isinstance(ev, h2.events.RequestReceived):
                head = dict(ev.headers)
                requests[ev.stream_id] = (head.get(":method"), head.get(":path"))
            elif isinstance(ev, h2.events.DataReceived):
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                # h2 reports the end of a request (with or without a body)
                # as its own event, after RequestReceived and any data.
                if ev.stream_id in requests:
                    self.respond(conn, ev.stream_id, *requests[ev.stream_id])
                    if self.goaway_if_due(conn, True):
                        return True
            elif isinstance(ev, h2.events.ConnectionTerminated):
                return True
        return False

    def respond(self, conn, stream, method, path):
        if path == "/hang":
            return
        body = body_for(method, path)
        conn.send_headers(stream, [
            (":status", "200"),
            ("content-type", "text/plain"),
            ("content-length", str(len(body))),
        ])
        conn.send_data(stream, body, end_stream=True)

    def goaway_if_due(self, conn, answered):
        if self.server.goaway and answered:
            conn.close_connection(last_stream_id=conn.highest_inbound_stream_id)
            return True
        return False


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--goaway", action="store_true")
    args = ap.parse_args()
    with Server(("127.0.0.1", args.port), Connection) as server:
        server.goaway = args.goaway
        print(f"listening {server.server_address[1]}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
