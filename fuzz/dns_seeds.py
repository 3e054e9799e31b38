#!/usr/bin/env python3
"""Writes seeds for the dns_message fuzzer into fuzz/corpus/dns_message/:
queries and answers made by dnspython (an independent encoder, which
compresses names), with HTTPS and SVCB records using every SvcParam key,
EDNS, and a few broken messages (pointer loops, cut records, keys out of
order). Needs Debian's python3-dnspython (scripts/setup installs it).
"""

import hashlib
import os

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus", "dns_message")

HTTPS = [
    '1 . alpn="h3,h2" port=8443',
    '1 . alpn=h3 no-default-alpn port=4433',
    '0 wirelab-alias.test.',
    '2 h3.wirelab.test. mandatory=alpn,port alpn=h3 port=443 ipv4hint=127.0.0.1,10.0.0.1 '
    'ech=AAT+DQAA ipv6hint=::1,2001:db8::1 key65001="x"',
]


def seeds():
    for qname in ("wirelab.test.", "_8443._https.wirelab.test."):
        for rdtype in ("A", "AAAA", "HTTPS", "SVCB", "TXT"):
            q = dns.message.make_query(qname, rdtype, use_edns=(rdtype != "A"))
            yield q.to_wire()
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            if rdtype == "A":
                r.answer.append(dns.rrset.from_text(qname, 300, "IN", "A", "127.0.0.1"))
            elif rdtype == "AAAA":
                r.answer.append(dns.rrset.from_text(qname, 300, "IN", "AAAA", "::1"))
            elif rdtype in ("HTTPS", "SVCB"):
                for text in HTTPS:
                    one = dns.message.make_response(q)
                    one.answer.append(dns.rrset.from_text(qname, 300, "IN", rdtype, text))
                    one.answer.append(dns.rrset.from_text(qname, 300, "IN", "A", "127.0.0.1"))
                    yield one.to_wire()
                continue
            else:
                r.set_rcode(dns.rcode.NXDOMAIN)
            yield r.to_wire()
    header = bytes([0, 1, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    yield header + bytes([0xC0, 12, 0, 1, 0, 1])  # pointer to itself
    yield header + bytes([1, 0x61, 0xC0, 12, 0, 1, 0, 1])  # back to its own label
    yield header + bytes([0x41, 0, 0, 1, 0, 1])  # extended label type
    ans = bytes([0, 1, 0x81, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 65, 0, 1, 0, 0, 1, 44])
    bad_order = bytes([0, 1, 0, 0, 3, 0, 2, 0x20, 0xFB, 0, 1, 0, 3, 2, 0x68, 0x33])
    yield ans + len(bad_order).to_bytes(2, "big") + bad_order
    yield ans + bytes([0, 40]) + bad_order  # record data runs past the end


def main():
    os.makedirs(OUT, exist_ok=True)
    n = 0
    for data in seeds():
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        n += 1
    print(f"{n} seeds in {OUT}")


if __name__ == "__main__":
    main()
