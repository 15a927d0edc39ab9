"""A real DNS server for the custom-domain tests: dnslib (PyPI) on loopback,
UDP and TCP, answering from a zone file that is read again on every query
(so a test "creates" a record by rewriting the file).

    python dns_peer.py --port 5353 --zone /tmp/zone.txt

The zone is in master-file syntax, one record per line, e.g.
    _fence-verify.portal.acme.test. 60 IN TXT "fence-verify=abc"
    portal.acme.test. 60 IN CNAME domains.localhost.
"""

import argparse
import signal
import threading

from dnslib import QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class ZoneFile(BaseResolver):
    def __init__(self, path):
        self.path = path

    def resolve(self, request, handler):
        reply = request.reply()
        try:
            with open(self.path) as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
        rrs = RR.fromZone(text) if text.strip() else []
        qname, qtype = request.q.qname, request.q.qtype
        named = [rr for rr in rrs if rr.rname == qname]
        for rr in named:
            if rr.rtype == qtype or (rr.rtype == QTYPE.CNAME and qtype != QTYPE.CNAME):
                reply.add_answer(rr)
        if not named:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--zone", required=True)
    a = p.parse_args()
    resolver = ZoneFile(a.zone)
    quiet = DNSLogger(logf=lambda _: None)
    servers = [
        DNSServer(resolver, port=a.port, address="127.0.0.1", tcp=False, logger=quiet),
        DNSServer(resolver, port=a.port, address="127.0.0.1", tcp=True, logger=quiet),
    ]
    for s in servers:
        s.start_thread()
    print(f"dns peer listening on 127.0.0.1:{a.port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    for s in servers:
        s.stop()


if __name__ == "__main__":
    main()
