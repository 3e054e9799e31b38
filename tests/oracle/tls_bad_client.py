#!/usr/bin/python3
"""Bytes that look like TLS and are not, sent to a real TLS server (openssl
s_server) for the bad-input reference capture captures/app/tls-bad-input.pcap:

  tls_bad_client.py --port P

One connection per case, each read until the server closes (its alert, if it
sends one, is in the clear: no handshake ever completed):
1. a record header announcing 18 432 bytes, more than the 2^14 + 256 a
   TLSCiphertext may carry (RFC 8446 §5.2), then that many bytes;
2. a ClientHello whose SNI extension claims more bytes than the extension
   list holds (RFC 8446 §4.2: the server answers decode_error);
3. a handshake record whose first byte is TLS and the rest is not a
   handshake message (type 0xee);
4. a ClientHello record cut short: its header announces 512 bytes, 100 are
   sent, then the client closes its side (the capture's last record is
   truncated).
"""
import argparse
import os
import socket
import struct


def record(content_type, body, version=b"\x03\x01"):
    return bytes([content_type]) + version + struct.pack(">H", len(body)) + body


def client_hello(extensions):
    body = b"\x03\x03" + os.urandom(32) + b"\x00"  # version, random, no session id
    body += b"\x00\x02\x13\x01" + b"\x01\x00"  # TLS_AES_128_GCM_SHA256; null compression
    body += struct.pack(">H", len(extensions)) + extensions
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


def exchange(port, data, shut=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    try:
        while s.recv(65536):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    port = p.parse_args().port
    exchange(port, b"\x16\x03\x03\x48\x00" + b"\x00" * 0x4800)
    # server_name (0) claiming 4000 bytes in a list of a dozen.
    bad_sni = b"\x00\x00\x0f\xa0\x00\x0a\x00\x00\x07example"
    exchange(port, record(22, client_hello(bad_sni)))
    exchange(port, record(22, b"\xee" + b"not a handshake message"))
    hello = client_hello(b"\x00" * 400)
    exchange(port, b"\x16\x03\x01\x02\x00" + hello[:100], shut=True)


main()
