#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs into fuzz/seeds/<target>/ (not committed).

The committed corpora (fuzz/corpus/<target>/) were grown from these seeds by the
fuzzers and minimised with `cargo fuzz cmin`; run this again only to start over.
Every input is built here byte by byte: real HTTP requests as curl, browsers and
attackers send them, and small pcap/pcapng captures of TCP connections that end
with FIN or RST, in every link type the wire decoder knows.
"""

import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- HTTP requests -------------------------------------------------------------

REQUESTS = {
    "curl_get": b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
    "browser": b"GET /index.html?q=1 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: Mozilla/5.0\r\n"
    b"Accept: text/html,application/xhtml+xml\r\nAccept-Language: en-GB,en;q=0.9\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nCookie: a=b; c=d\r\n\r\n",
    "post_length": b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 7\r\n\r\na=1&b=2",
    "post_chunked": b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "expect": b"PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
    "http10": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "absolute": b"GET http://example.org/a HTTP/1.1\r\nHost: example.org\r\n\r\n",
    "options_star": b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    "head": b"HEAD /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "pipelined": b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n",
    "leading_crlf": b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "cl_te": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "dup_cl": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
    "cl_list": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd",
    "obs_fold": b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
    "bare_lf": b"GET / HTTP/1.1\nHost: x\n\n",
    "bare_cr": b"GET / HTTP/1.1\rHost: x\r\n\r\n",
    "space_name": b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    "te_not_last": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    "tls_hello": bytes([0x16, 3, 1, 2, 0, 1, 0, 1, 0xFC, 3, 3]) + bytes(range(32)),
    "h2_preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "version_2": b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
    "nul_value": b"GET / HTTP/1.1\r\nHost: x\r\nA: b\x00c\r\n\r\n",
}

CHUNKED = {
    "simple": b"5\r\nhello\r\n0\r\n\r\n",
    "ext_trailer": b"5;name=v\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\n",
    "upper_hex": b"A\r\n0123456789\r\nFF;x=\"q\"\r\n" + b"z" * 255 + b"\r\n0\r\n\r\n",
    "overflow": b"11111111111111111\r\n",
    "bad_size": b"zz\r\n",
    "no_crlf": b"3\r\nabcX\r\n",
    "leading_zeros": b"0005\r\nhello\r\n000\r\n\r\n",
    "ws_ext": b"3 ;a\r\nabc\r\n0\r\n\r\n",
}


# --- Frames ----------------------------------------------------------------------


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", v6=False):
    off = 5 << 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off, flags, 65535, 0, 0)
    seg = hdr + payload
    if v6:
        pseudo = src + dst + struct.pack("!I3xB", len(seg), 6)
    else:
        pseudo = src + dst + struct.pack("!xBH", 6, len(seg))
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv4(src, dst, segment, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(segment), ident, 0x4000, 64, 6, 0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + segment


def ipv6(src, dst, segment):
    return struct.pack("!IHBB16s16s", 6 << 28, len(segment), 6, 64, src, dst) + segment


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16
C4, S4 = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
C6, S6 = bytes(15) + b"\x01", bytes(15) + b"\x02"


def conversation(end, v6=False):
    """IP packets of one HTTP exchange; `end` is 'fin', 'rst' (server aborts with
    the request unread) or 'open'."""
    c, s = (C6, S6) if v6 else (C4, S4)
    ip = (lambda a, b, seg: ipv6(a, b, seg)) if v6 else (lambda a, b, seg: ipv4(a, b, seg))
    cp, sp, ci, si = 40000, 80, 1000, 5000
    req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    p = [
        ip(c, s, tcp(c, s, cp, sp, ci, 0, SYN, v6=v6)),
        ip(s, c, tcp(s, c, sp, cp, si, ci + 1, SYN | ACK, v6=v6)),
        ip(c, s, tcp(c, s, cp, sp, ci + 1, si + 1, ACK, v6=v6)),
        ip(c, s, tcp(c, s, cp, sp, ci + 1, si + 1, PSH | ACK, req, v6=v6)),
        ip(s, c, tcp(s, c, sp, cp, si + 1, ci + 1 + len(req), PSH | ACK, resp, v6=v6)),
    ]
    cs, ss = ci + 1 + len(req), si + 1 + len(resp)
    if end == "fin":
        p += [
            ip(s, c, tcp(s, c, sp, cp, ss, cs, FIN | ACK, v6=v6)),
            ip(c, s, tcp(c, s, cp, sp, cs, ss + 1, FIN | ACK, v6=v6)),
            ip(s, c, tcp(s, c, sp, cp, ss + 1, cs + 1, ACK, v6=v6)),
        ]
    elif end == "rst":
        p += [ip(s, c, tcp(s, c, sp, cp, ss, cs, RST | ACK, v6=v6))]
    return p


def link_frame(link, packet):
    is6 = packet[0] >> 4 == 6
    et = 0x86DD if is6 else 0x0800
    eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01"
    if link == 1:
        f = eth + struct.pack("!H", et) + packet
        return f + bytes(max(0, 60 - len(f)))
    if link == "vlan":
        return eth + struct.pack("!HHH", 0x8100, 7, et) + packet
    if link == 113:
        return struct.pack("!HHH8sH", 0, 772, 6, bytes(8), et) + packet
    if link == 276:
        return struct.pack("!HHIHBB8s", et, 0, 1, 772, 0, 6, bytes(8)) + packet
    if link == 0:
        return struct.pack("<I", 30 if is6 else 2) + packet
    if link == 108:
        return struct.pack("!I", 24 if is6 else 2) + packet
    return packet  # raw IP: 101, 228, 229


def pcap(link, frames, big=False, magic=0xA1B2C3D4, snaplen=65535):
    e = ">" if big else "<"
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link)
    for i, f in enumerate(frames):
        cap = f[:snaplen]
        frac = i * 1000 if magic == 0xA1B2C3D4 else i * 1000000
        out += struct.pack(e + "IIII", 1700000000, frac, len(cap), len(f))
        if magic == 0xA1B2CD34:
            out += bytes(8)
        out += cap
    return out


def block(t, body, e="<"):
    body += bytes(-len(body) % 4)
    n = len(body) + 12
    return struct.pack(e + "II", t, n) + body + struct.pack(e + "I", n)


def pcapng(ifaces, packets, extra=b"", e="<"):
    out = block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1), e)
    for link, tsresol in ifaces:
        opts = b""
        if tsresol is not None:
            opts = struct.pack(e + "HHB3x", 9, 1, tsresol) + struct.pack(e + "HH", 0, 0)
        out += block(1, struct.pack(e + "HHI", link, 0, 0) + opts, e)
    out += extra
    for i, (iface, f) in enumerate(packets):
        ts = 1700000000000000 + i
        body = struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(f), len(f)) + f
        out += block(6, body, e)
    return out


def udp4(dport, payload):
    """An IPv4/UDP datagram between two tunnel endpoints (checksums left zero)."""
    udp = struct.pack(">HHHH", 49152, dport, 8 + len(payload), 0) + payload
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0,
                       bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2])) + udp


def ip4(proto, payload):
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, proto, 0,
                       bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2])) + payload


def tunnels(p):
    """Raw IP packets carrying the IP packet `p` in every tunnel the decoder opens."""
    eth = link_frame(1, p)
    v6 = p[0] >> 4 == 6
    return {
        "vxlan": udp4(4789, bytes([8, 0, 0, 0, 0, 0, 1, 0]) + eth),
        "geneve": udp4(6081, bytes([2, 0, 0x65, 0x58, 0, 0, 1, 0, 1, 2, 0x80, 1, 9, 9, 9, 9]) + eth),
        "gre_key_seq": ip4(47, bytes([0x30, 0, 0x86 if v6 else 0x08, 0xDD if v6 else 0]) + bytes(8) + p),
        "gre_udp": udp4(4754, bytes([0, 0, 0x86 if v6 else 0x08, 0xDD if v6 else 0]) + p),
        "erspan2": ip4(47, bytes([0x10, 0, 0x88, 0xBE, 0, 0, 0, 1]) + bytes([0x10, 0, 0, 1]) + bytes(4) + eth),
        "ipip": ip4(41 if v6 else 4, p),
        "gtp_ext": udp4(2152, bytes([0x34, 0xFF]) + struct.pack(">H", len(p) + 8) + bytes([0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 9, 0]) + p),
        "ayiya": udp4(5072, bytes([0x41, 0x52, 0x11, 41 if v6 else 4]) + bytes(4 + 16 + 20) + p),
        "teredo_origin": udp4(3544, bytes([0, 0, 0xF0, 0x0F, 0x3F, 0x57, 0xFE, 0xFE]) + p),
        "nested": ip4(4, ip4(47, bytes([0, 0, 0x08, 0]) + udp4(4789, bytes([8, 0, 0, 0, 0, 0, 1, 0]) + link_frame(1, ip4(4, ip4(4, p)))))),
    }



# --- HTTP/1 connections, both directions -----------------------------------------

def conversation_pieces(first, steps, piece=100):
    """http1_stream's layout: a first byte, then [dir<<7 | len, bytes] pieces."""
    out = bytearray([first])
    for direction, data in steps:
        if data is None:  # a gap
            out.append(direction << 7)
            continue
        for i in range(0, len(data), piece):
            chunk = data[i:i + piece]
            out.append(direction << 7 | len(chunk))
            out += chunk
    return bytes(out)


GET = b"GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
OK = b"HTTP/1.1 200 OK\r\nServer: wirelab\r\nContent-Length: 11\r\n\r\nhello world"
CONVERSATIONS = {
    "one_get": (1, [(0, GET), (1, OK)]),
    "pipelined": (1, [(0, GET + GET.replace(b"/a", b"/b")), (1, OK + OK)]),
    "chunked_both": (1, [(0, b"POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n0\r\nT: 1\r\n\r\n"),
                         (1, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")]),
    "continue": (1, [(0, b"PUT /f HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
                     (1, b"HTTP/1.1 100 Continue\r\n\r\n"), (0, b"data"), (1, OK)]),
    "head": (1, [(0, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + GET), (1, b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + OK)]),
    "close_fin": (1, [(0, b"GET / HTTP/1.0\r\n\r\n"), (1, b"HTTP/1.0 200 OK\r\n\r\nto the close")]),
    "close_rst": (0, [(0, b"GET / HTTP/1.0\r\n\r\n"), (1, b"HTTP/1.0 200 OK\r\n\r\nto the close")]),
    "h2c_upgrade": (1, [(0, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
                        (1, b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")]),
    "connect": (0, [(0, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\x00\x05hello"),
                    (1, b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03")]),
    "garbage_after_head": (0, [(0, GET + b"\x16\x03\x01\x02\x00garbage\r\n\r\n")]),
    "chunk_overflow": (0, [(0, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n")]),
    "te_and_cl": (1, [(0, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), (1, OK)]),
    "gap_in_body": (2, [(0, GET), (1, OK[:50]), (1, None), (1, b"rld")]),
    "cut_request": (0, [(0, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")]),
    "lone_408": (1, [(1, b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")]),
    "big_header": (0, [(0, b"GET / HTTP/1.1\r\nX: " + b"a" * 70000)]),
}


def http1_seeds():
    for name, (first, steps) in CONVERSATIONS.items():
        write("http1_stream", name, conversation_pieces(first, steps))

# --- HTTP/2, the server's side --------------------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def h2settings(*params, ack=False):
    return h2frame(4, 1 if ack else 0, 0, b"".join(struct.pack(">HI", i, v) for i, v in params))


# HPACK by hand: indexed :method GET (2), :scheme http (6), :path / (4), and a
# literal :authority (index 1) "x" without indexing.
GET = bytes([0x82, 0x86, 0x84, 0x01, 0x01]) + b"x"
POST = bytes([0x83, 0x86, 0x84, 0x01, 0x01]) + b"x"
CURL_SETTINGS = h2settings((3, 100), (4, 33554432), (2, 0))

H2_CLIENTS = {
    # first byte: bit 0 upgrade, bit 1 one-shot, bit 2 graceful, bit 3 small body
    "curl_get": (0, PREFACE + CURL_SETTINGS + h2frame(8, 0, 0, b"\x01\xff\x00\x01")
                 + h2frame(1, 5, 1, GET) + h2settings(ack=True)),
    "upgraded": (1, PREFACE + CURL_SETTINGS + h2settings(ack=True) + h2frame(1, 5, 3, GET)),
    "post_window": (8, PREFACE + h2settings((4, 10)) + h2frame(1, 4, 1, POST)
                    + h2frame(0, 0, 1, b"a" * 100) + h2frame(8, 0, 1, b"\x00\x00\x10\x00")
                    + h2frame(0, 1, 1, b"b" * 20)),
    "nghttp_priority": (0, PREFACE + h2settings((3, 100), (4, 65535))
                        + b"".join(h2frame(2, 0, i, b"\x00\x00\x00\x00\xc8") for i in (3, 5, 7, 9, 11))
                        + h2frame(1, 0x25, 13, b"\x80\x00\x00\x0b\x0f" + GET)),
    "continuation": (8, PREFACE + h2settings() + h2frame(1, 1, 1, GET[:3]) + h2frame(9, 4, 1, GET[3:])),
    "ping_goaway": (4, PREFACE + h2settings() + h2frame(6, 0, 0, b"12345678") + h2frame(1, 5, 1, GET)
                    + h2frame(6, 1, 0, b"goingawy") + h2frame(7, 0, 0, b"\x00" * 8)),
    "rst_stream": (0, PREFACE + h2settings() + h2frame(1, 4, 1, GET) + h2frame(3, 0, 1, b"\x00\x00\x00\x08")
                   + h2frame(1, 5, 3, GET)),
    "many_streams": (8, PREFACE + h2settings() + b"".join(h2frame(1, 4, i, GET) for i in (1, 3, 5, 7, 9, 11))),
    "no_read": (2, PREFACE + CURL_SETTINGS + h2frame(1, 5, 1, GET) + h2settings(ack=True)),
    "bad_settings": (0, PREFACE + h2settings((2, 2))),
    "even_stream": (0, PREFACE + h2settings() + h2frame(1, 5, 2, GET)),
    "window_overflow": (8, PREFACE + h2settings() + h2frame(1, 4, 1, GET) + h2frame(8, 0, 1, b"\x7f\xff\xff\xff")
                        + h2frame(8, 0, 0, b"\x7f\xff\xff\xff")),
    "hpack_bomb": (8, PREFACE + h2settings() + h2frame(1, 5, 1, GET + b"\x40\x01b\x7f\x81\x1e" + b"a" * 4000
                                                        + bytes([0x80 | 62]) * 200)),
    "padded_trailers": (8, PREFACE + h2settings() + h2frame(1, 0xc, 1, b"\x03" + GET + b"\x00\x00\x00")
                        + h2frame(0, 9, 1, b"\x02hi\x00\x00")),
    "bad_preface": (1, b"GET / HTTP/1.1\r\n\r\n"),
}


def h2_server_seeds():
    for name, (first, client) in H2_CLIENTS.items():
        # Pieces of up to 127 bytes, the layout fuzzing::h2_server reads.
        out = bytes([first])
        for i in range(0, len(client), 100):
            piece = client[i:i + 100]
            out += bytes([len(piece)]) + piece
        write("h2_server", name, out)


def main():
    http1_seeds()
    h2_server_seeds()
    for name, req in REQUESTS.items():
        write("http_request", name, b"\x00\x55\xaa" + req)
        write("http_request", name + "_small", b"\x01\x10\xf0" + req)
    for name, body in CHUNKED.items():
        write("chunked_body", name, b"\x00\x80" + body)
        write("chunked_body", name + "_small", b"\x01\x20" + body)

    fin, rst, six = conversation("fin"), conversation("rst"), conversation("fin", v6=True)
    captures = {
        "eth_fin": pcap(1, [link_frame(1, p) for p in fin]),
        "eth_rst_be_ns": pcap(1, [link_frame(1, p) for p in rst], big=True, magic=0xA1B23C4D),
        "eth_snaplen60": pcap(1, [link_frame(1, p) for p in fin], snaplen=60),
        "modified": pcap(1, [link_frame(1, p) for p in rst], magic=0xA1B2CD34),
        "vlan_v6": pcap(1, [link_frame("vlan", p) for p in six]),
        "sll": pcap(113, [link_frame(113, p) for p in rst]),
        "sll2": pcap(276, [link_frame(276, p) for p in fin]),
        "null": pcap(0, [link_frame(0, p) for p in six]),
        "loop": pcap(108, [link_frame(108, p) for p in rst]),
        "raw": pcap(101, fin),
        "unknown_link": pcap(147, fin[:2]),
        "ng_two_ifaces": pcapng(
            [(1, None), (101, 9)],
            [(i % 2, link_frame(1, p) if i % 2 == 0 else p) for i, p in enumerate(rst)],
        ),
        "ng_unknown_block": pcapng([(1, 6)], [(0, link_frame(1, p)) for p in fin], extra=block(0x99, b"junk")),
        "ng_big_endian": pcapng([(228, None)], [(0, p) for p in fin], e=">"),
        "ng_spb": pcapng([(1, None)], [])
        + b"".join(block(3, struct.pack("<I", len(f)) + f) for f in (link_frame(1, p) for p in rst)),
    }
    # The lab's reference captures (recorded by `lab reset`) seed both capture targets.
    ref = os.path.join(os.path.dirname(OUT), "..", "captures")
    for f in sorted(os.listdir(ref)):
        if f.endswith(".pcap"):
            captures["ref-" + f] = open(os.path.join(ref, f), "rb").read()
    for name, data in captures.items():
        write("capture_file", name, data)
        write("analyze_capture", name, data)
    links = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 0xFFFF]
    for link in (0, 1, 101, 108, 113, 276):
        for i, p in enumerate(fin[:4] + six[3:5]):
            write("wire_frame", "link%d_%d" % (link, i), bytes([links.index(link), 0]) + link_frame(link, p))
    write("wire_frame", "vlan", bytes([1, 0]) + link_frame("vlan", six[3]))
    write("wire_frame", "snaplen", bytes([1, 200]) + link_frame(1, fin[3])[:54])
    for name, t in list(tunnels(fin[3]).items()) + [("v6_" + n, t) for n, t in tunnels(six[3]).items()]:
        write("wire_frame", "tunnel_" + name, bytes([1, 0]) + link_frame(1, t))
    write("analyze_capture", "tunnels", pcap(1, [link_frame(1, t) for p in fin + rst for t in tunnels(p).values()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
