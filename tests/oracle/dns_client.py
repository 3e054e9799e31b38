#!/usr/bin/env python3
"""Asks `lab dns` with dnspython (an independent DNS implementation) and
prints what it decoded, one line per fact, for tests/dns_responder.rs:

    rcode NOERROR
    answer wirelab.test. 300 IN HTTPS 1 . alpn="h3,h2" port=8443
    param alpn h3,h2
    param port 8443

Usage: dns_client.py PORT NAME TYPE udp|tcp
"""

import sys

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype


def main():
    port, name, rdtype, transport = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    q = dns.message.make_query(name, rdtype)
    ask = dns.query.tcp if transport == "tcp" else dns.query.udp
    r = ask(q, "127.0.0.1", port=port, timeout=5)
    print("rcode", dns.rcode.to_text(r.rcode()))
    for rrset in r.answer:
        for rd in rrset:
            print("answer", rrset.name, rrset.ttl, "IN", dns.rdatatype.to_text(rrset.rdtype), rd.to_text())
            if rrset.rdtype in (dns.rdatatype.HTTPS, dns.rdatatype.SVCB):
                print("priority", rd.priority, "target", rd.target)
                for key, value in sorted(rd.params.items()):
                    key = dns.rdtypes.svcbbase.key_to_text(key)
                    if key == "alpn":
                        text = ",".join(i.decode() for i in value.ids)
                    elif key == "port":
                        text = str(value.port)
                    else:
                        text = value.to_text() if value is not None else ""
                    print("param", key, text)


if __name__ == "__main__":
    main()
