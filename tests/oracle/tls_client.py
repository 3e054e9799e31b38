#!/usr/bin/env python3
"""A TLS client for tests/server_tls_peers.rs, on Python's own ssl module
(OpenSSL underneath, but not curl's code): ALPN as an application sets it,
and the odd ClientHellos a server must survive.

    tls_client.py alpn PORT CAFILE h2,http/1.1|none
    tls_client.py unwrap PORT CAFILE    keep-alive GET, then close_notify first
                                        (unwrap: waits for the server's own)
    tls_client.py split PORT CAFILE     ClientHello cut into 32-byte records
    tls_client.py bigext PORT CAFILE    ClientHello with a 40 000-byte extension
    tls_client.py huge PORT             handshake message claiming 16 MiB
    tls_client.py garbage PORT          a record header, then noise

Prints one JSON object on stdout.
"""

import json
import socket
import ssl
import struct
import sys

REQUEST = b"GET /py HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def context(cafile, alpn):
    ctx = ssl.create_default_context(cafile=cafile)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def read_all(sock):
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError) as e:
            return data, type(e).__name__
        if not chunk:
            return data, "eof"
        data += chunk


def http_answer(data):
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.") else None
    return {"status": status, "body_len": len(body), "version": head[:8].decode()}


def alpn(port, cafile, protos):
    protos = [] if protos == "none" else protos.split(",")
    raw = socket.create_connection(("127.0.0.1", port))
    tls = context(cafile, protos).wrap_socket(raw, server_hostname="localhost")
    out = {"alpn": tls.selected_alpn_protocol(), "tls": tls.version()}
    if out["alpn"] in (None, "http/1.1"):
        tls.sendall(REQUEST)
        data, end = read_all(tls)
        out.update(http_answer(data))
        out["end"] = end
    tls.close()
    return out


def unwrap(port, cafile):
    """A keep-alive request whose answer has a Content-Length; then the
    client ends TLS first: unwrap() sends close_notify and reads until the
    server's close_notify (CPython calls SSL_shutdown a second time), so a
    server that answers it is heard before the socket closes."""
    raw = socket.create_connection(("127.0.0.1", port))
    tls = context(cafile, ["http/1.1"]).wrap_socket(raw, server_hostname="localhost")
    tls.sendall(b"GET /unwrap HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += tls.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += tls.recv(65536)
    out = http_answer(head + b"\r\n\r\n" + body)
    try:
        plain = tls.unwrap()
        out["unwrapped"] = True
    except (ssl.SSLError, OSError) as e:
        plain = raw
        out["unwrapped"] = False
        out["error"] = str(e)
    plain.close()
    return out


def records(kind, payload, size):
    """`payload` as TLS records of at most `size` bytes (RFC 8446 §5.1)."""
    out = b""
    for i in range(0, len(payload), size):
        part = payload[i : i + size]
        out += struct.pack("!BHH", kind, 0x0301, len(part)) + part
    return out


def handshake_messages(data):
    """The handshake bytes inside a run of records."""
    out = b""
    while data:
        kind, _, length = struct.unpack("!BHH", data[:5])
        assert kind == 22, "only handshake records are expected here"
        out += data[5 : 5 + length]
        data = data[5 + length :]
    return out


def memory_client(cafile):
    inc, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = context(cafile, ["http/1.1"]).wrap_bio(inc, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return obj, inc, outgoing


def pump(sock, obj, inc, outgoing, first):
    """Finishes the handshake through memory BIOs, `first` already sent."""
    sock.sendall(first)
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(outgoing.read())
            chunk = sock.recv(65536)
            if not chunk:
                return "eof"
            inc.write(chunk)
    sock.sendall(outgoing.read())
    obj.write(REQUEST)
    sock.sendall(outgoing.read())
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        inc.write(chunk)
        try:
            while chunk := obj.read(65536):
                data += chunk
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
    return data


def split(port, cafile):
    obj, inc, outgoing = memory_client(cafile)
    hello = handshake_messages(outgoing.read())
    sock = socket.create_connection(("127.0.0.1", port))
    cut = records(22, hello, 32)
    data = pump(sock, obj, inc, outgoing, cut)
    out = http_answer(data) if isinstance(data, bytes) else {"status": None}
    out["records"] = cut.count(b"\x16\x03\x01\x00")
    return out


def first_reply(sock):
    sock.settimeout(5)
    try:
        data = sock.recv(7)
    except ConnectionResetError:
        return {"reply": "reset"}
    if not data:
        return {"reply": "eof"}
    return {"reply": "record", "type": data[0], "bytes": data.hex()}


def bigext(port, cafile):
    _, _, outgoing = memory_client(cafile)
    hello = handshake_messages(outgoing.read())
    body = hello[4:]
    # legacy_version, random, session id, suites, compression (RFC 8446 §4.1.2)
    at = 2 + 32
    at += 1 + body[at]
    at += 2 + struct.unpack("!H", body[at : at + 2])[0]
    at += 1 + body[at]
    ext_len = struct.unpack("!H", body[at : at + 2])[0]
    extra = struct.pack("!HH", 0xFFCE, 40000) + b"\x00" * 40000
    body = body[:at] + struct.pack("!H", ext_len + len(extra)) + body[at + 2 :] + extra
    hello = b"\x01" + struct.pack("!I", len(body))[1:] + body
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(records(22, hello, 16384))
    return first_reply(sock)


def huge(port):
    sock = socket.create_connection(("127.0.0.1", port))
    message = b"\x01\xff\xff\xff" + b"\x03\x03" + b"\x00" * 2000
    sock.sendall(records(22, message, 16384))
    return first_reply(sock)


def garbage(port):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"\x16\x03\x01\x00\x40" + bytes(range(64)))
    return first_reply(sock)


def main():
    scenario, port = sys.argv[1], int(sys.argv[2])
    if scenario == "alpn":
        out = alpn(port, sys.argv[3], sys.argv[4])
    elif scenario == "unwrap":
        out = unwrap(port, sys.argv[3])
    elif scenario == "split":
        out = split(port, sys.argv[3])
    elif scenario == "bigext":
        out = bigext(port, sys.argv[3])
    elif scenario == "huge":
        out = huge(port)
    elif scenario == "garbage":
        out = garbage(port)
    else:
        sys.exit(f"unknown scenario {scenario}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
