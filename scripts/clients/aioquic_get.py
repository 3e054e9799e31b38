#!/usr/bin/env python3
"""One HTTP/3 GET with aioquic, for `lab discover --client aioquic`.

aioquic's wheel ships no example client (examples/http3_client.py lives
only in its git tree and sdist), so the lab carries this one. It resolves
nothing: the lab reads the HTTPS record and passes the address and port.
It checks the server's certificate against --ca for the name in the URL
(also its SNI), offers ALPN h3 only, writes the TLS secrets to --keylog in
the NSS key log format, GETs the URL and then waits for the connection to
end, printing one `key value` line per fact:

    alpn h3
    status 200
    body-bytes 1234
    ending received CONNECTION_CLOSE (0x1d) code 0x100 reason ''

When the server has not ended the connection within --wait seconds, the
client closes it itself with H3_NO_ERROR (RFC 9114 §8.1) in an
application CONNECTION_CLOSE (0x1d, RFC 9000 §19.19) and says so.
Exit status 0 when a response came, 1 otherwise, 2 for bad arguments.
Run it with the interpreter of the venv scripts/setup makes.
"""

import argparse
import asyncio
import sys
import time
from urllib.parse import urlsplit

try:
    from aioquic.asyncio import connect
    from aioquic.asyncio.protocol import QuicConnectionProtocol
    from aioquic.h3.connection import H3_ALPN, ErrorCode, H3Connection
    from aioquic.h3.events import DataReceived, HeadersReceived
    from aioquic.quic.configuration import QuicConfiguration
    from aioquic.quic.events import ConnectionTerminated, PingAcknowledged
except ImportError as e:
    print(f"error {sys.executable} cannot import aioquic ({e}): run scripts/setup")
    sys.exit(1)

# How often to PING while waiting for the server's ending: a server that
# has forgotten the connection answers a packet with a stateless reset
# (RFC 9000 §10.3), and it needs one to answer.
PING_EVERY = 0.3


class OneGet(QuicConnectionProtocol):
    """Collects what one request and the connection's ending showed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.status = None
        self.body = 0
        self.response_done = asyncio.Event()
        self.terminated = None
        self.ended = asyncio.Event()

    def quic_event_received(self, event):
        if isinstance(event, ConnectionTerminated):
            self.terminated = event
            self.ended.set()
            self.response_done.set()
            return
        if isinstance(event, PingAcknowledged):
            return
        for h3_event in self.h3.handle_event(event):
            if isinstance(h3_event, HeadersReceived):
                for name, value in h3_event.headers:
                    if name == b":status":
                        self.status = int(value)
                if h3_event.stream_ended:
                    self.response_done.set()
            elif isinstance(h3_event, DataReceived):
                self.body += len(h3_event.data)
                if h3_event.stream_ended:
                    self.response_done.set()

    def get(self, authority, path):
        stream = self._quic.get_next_available_stream_id()
        self.h3.send_headers(
            stream,
            [
                (b":method", b"GET"),
                (b":scheme", b"https"),
                (b":authority", authority.encode()),
                (b":path", path.encode()),
                (b"user-agent", b"wirelab-aioquic-get"),
            ],
            end_stream=True,
        )
        self.transmit()


def ending_words(event):
    """How the connection ended, as aioquic reported it."""
    reason = repr(event.reason_phrase)
    if event.reason_phrase == "Idle timeout":
        return "idle timeout (nothing was sent)"
    if event.frame_type is None:
        frame = "0x1d"
    else:
        frame = "0x1c"
    return f"received CONNECTION_CLOSE ({frame}) code 0x{event.error_code:x} reason {reason}"


async def run(args):
    url = urlsplit(args.url)
    if url.scheme != "https" or not url.hostname:
        print(f"aioquic_get: not an https URL: {args.url}", file=sys.stderr)
        return 2
    config = QuicConfiguration(
        is_client=True,
        alpn_protocols=H3_ALPN,
        server_name=url.hostname,
        idle_timeout=args.idle_timeout,
    )
    config.load_verify_locations(cafile=args.ca)
    keylog = open(args.keylog, "a", encoding="ascii")
    config.secrets_log_file = keylog
    authority = url.netloc
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    try:
        async with connect(
            args.address,
            args.port,
            configuration=config,
            create_protocol=OneGet,
        ) as client:
            print(f"alpn {client._quic.tls.alpn_negotiated}", flush=True)
            client.get(authority, path)
            try:
                await asyncio.wait_for(client.response_done.wait(), args.wait)
            except asyncio.TimeoutError:
                pass
            if client.status is not None:
                print(f"status {client.status}")
                print(f"body-bytes {client.body}", flush=True)
            deadline = time.monotonic() + args.wait
            while not client.ended.is_set() and time.monotonic() < deadline:
                if args.ping:
                    client._quic.send_ping(0)
                    client.transmit()
                try:
                    await asyncio.wait_for(client.ended.wait(), PING_EVERY)
                except asyncio.TimeoutError:
                    pass
            if client.terminated is not None:
                print(f"ending {ending_words(client.terminated)}")
            else:
                client.close(error_code=ErrorCode.H3_NO_ERROR)
                print(
                    "ending it closed itself: CONNECTION_CLOSE (0x1d) code 0x100 "
                    "(H3_NO_ERROR): the server did nothing"
                )
            ok = client.status is not None
    except (ConnectionError, OSError, asyncio.TimeoutError) as e:
        print(f"error {type(e).__name__}: {e}")
        ok = False
    finally:
        keylog.close()
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description="One HTTP/3 GET with aioquic.")
    p.add_argument("--address", required=True, help="the server's IP address")
    p.add_argument("--port", type=int, required=True, help="the server's UDP port")
    p.add_argument("--ca", required=True, help="PEM file of the CA to trust")
    p.add_argument("--keylog", required=True, help="NSS key log to append to")
    p.add_argument("--idle-timeout", type=float, default=60.0,
                   help="the client's max_idle_timeout, seconds")
    p.add_argument("--wait", type=float, default=5.0,
                   help="seconds to wait for the response, then for the ending")
    p.add_argument("--ping", action="store_true",
                   help="PING while waiting for the ending")
    p.add_argument("url")
    sys.exit(asyncio.run(run(p.parse_args())))


if __name__ == "__main__":
    main()
