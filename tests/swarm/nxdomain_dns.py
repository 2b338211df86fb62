#!/usr/bin/python3
"""A DNS server that knows no name: every query gets NXDOMAIN, at once.

The two test hosts live in network namespaces with no way out, so the resolver Docker gives
their tasks would forward a name it does not know (a node whose task is gone) to an upstream
server that never answers, and every such lookup would take 20 s; slurmctld, resolving a node
that left, then stops answering anyone. A network's DNS server answers at once; this one stands
in for it (two_hosts.py runs one per host and starts dockerd with --dns at it).

    nxdomain_dns.py ADDRESS
"""
import socket
import sys


def answer(query):
    """The query's header and question, flagged as a response with RCODE 3 (NXDOMAIN)."""
    if len(query) < 12:
        return None
    flags = 0x8000 | (query[2] & 0x01) << 8 | 0x0080 | 3  # QR, RD copied, RA, NXDOMAIN
    return query[:2] + flags.to_bytes(2, "big") + query[4:6] + b"\0\0\0\0\0\0" + query[12:]


def main(address):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((address, 53))
    while True:
        query, client = server.recvfrom(4096)
        reply = answer(query)
        if reply:
            server.sendto(reply, client)


if __name__ == "__main__":
    main(sys.argv[1])
