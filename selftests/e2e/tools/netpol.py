#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reachability probing for the NetworkPolicy end-to-end tests, in the
manner of the upstream Kubernetes network-policy suite: every pod serves
TCP and UDP on a few ports; a probe tries every (target, protocol, port)
at once; a check compares the whole matrix with what the test expects.

  netpol.py serve --lifetime S PORT...
      accept TCP connections and echo UDP datagrams on each port
  netpol.py probe --src NAME --timeout S --ports P,P NAME=IP...
      print "SRC DST PROTO PORT 1|0" for every target, protocol and port
  netpol.py check EXPECT OBSERVED
      EXPECT lines: "SRC DST PROTO/PORT 1|0", shell globs allowed, the last
      matching line decides; prints the matrices and exits 1 on a mismatch
  netpol.py churn --seconds S --timeout S --interval S IP:PORT...
      opens and closes a TCP connection to each target in turn, one every
      interval, for S seconds; prints "ok N failed M" (and each failure on
      stderr)
  netpol.py flip --timeout S --deadline S --want 0|1 --rename OLD NEW IP PORT
      renames OLD to NEW (a manifest), then connects to IP:PORT over TCP
      until the outcome is WANT three times in a row; prints the
      milliseconds from the rename to the start of the first of them
"""

import argparse
import errno
import fnmatch
import os
import selectors
import socket
import struct
import sys
import time

PROTOS = ("tcp", "udp")
# Attempts in a row that must show the change before flip believes it.
FLIP_STREAK = 3


def serve(args):
    sel = selectors.DefaultSelector()
    for port in args.ports:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind(("0.0.0.0", port))
        t.listen(64)
        t.setblocking(False)
        sel.register(t, selectors.EVENT_READ, "tcp")
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", port))
        u.setblocking(False)
        sel.register(u, selectors.EVENT_READ, "udp")
    end = time.monotonic() + args.lifetime
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                if key.data == "tcp":
                    c, _ = s.accept()
                    c.close()
                else:
                    data, peer = s.recvfrom(512)
                    s.sendto(data, peer)
            except OSError:
                pass


def probe(args):
    ports = [int(p) for p in args.ports.split(",")]
    sel = selectors.DefaultSelector()
    pending = {}
    results = {}
    for target in args.targets:
        name, ip = target.split("=", 1)
        for proto in PROTOS:
            for port in ports:
                key = (name, proto, port)
                results[key] = 0
                if proto == "tcp":
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setblocking(False)
                    err = s.connect_ex((ip, port))
                    if err not in (0, errno.EINPROGRESS):
                        s.close()
                        continue
                    sel.register(s, selectors.EVENT_WRITE, key)
                else:
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.setblocking(False)
                    s.connect((ip, port))
                    s.send(b"probe")
                    sel.register(s, selectors.EVENT_READ, key)
                pending[key] = s
    start = time.monotonic()
    resent = False
    while pending:
        left = args.timeout - (time.monotonic() - start)
        if left <= 0:
            break
        # UDP gets one more datagram halfway, as a lost first one is no verdict.
        if not resent and left < args.timeout / 2:
            resent = True
            for key, s in pending.items():
                if key[1] == "udp":
                    try:
                        s.send(b"probe")
                    except OSError:
                        pass
        for skey, _ in sel.select(timeout=min(left, args.timeout / 4)):
            key = skey.data
            s = skey.fileobj
            if key[1] == "tcp":
                ok = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
            else:
                try:
                    ok = s.recv(512) == b"probe"
                except OSError:
                    ok = False
            results[key] = 1 if ok else 0
            sel.unregister(s)
            s.close()
            del pending[key]
    for s in pending.values():
        s.close()
    for (name, proto, port), ok in sorted(results.items()):
        print(f"{args.src} {name} {proto} {port} {ok}")


def expected(rules, src, dst, proto, port):
    verdict = None
    for r_src, r_dst, r_pp, r_v in rules:
        if (fnmatch.fnmatchcase(src, r_src) and fnmatch.fnmatchcase(dst, r_dst)
                and fnmatch.fnmatchcase(f"{proto}/{port}", r_pp)):
            verdict = r_v
    return verdict


def check(args):
    rules = []
    with open(args.expect) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                if len(line) != 4 or line[3] not in ("0", "1"):
                    sys.exit(f"bad expectation: {' '.join(line)}")
                rules.append(tuple(line))
    observed = []
    with open(args.observed) as f:
        for line in f:
            src, dst, proto, port, ok = line.split()
            observed.append((src, dst, proto, int(port), ok))
    if not observed:
        sys.exit("nothing was probed")
    bad = []
    grid = {}
    for src, dst, proto, port, ok in observed:
        want = expected(rules, src, dst, proto, port)
        if want is None:
            sys.exit(f"no expectation covers {src} -> {dst} {proto}/{port}")
        grid[(src, dst, proto, port)] = (ok, want)
        if ok != want:
            bad.append(f"{src} -> {dst} {proto}/{port}: got {ok}, want {want}")
    pods = sorted({k[0] for k in grid} | {k[1] for k in grid})
    pps = sorted({(k[2], k[3]) for k in grid})
    if bad or args.verbose:
        # One matrix per protocol/port: rows are sources; "X" marks a mismatch.
        for proto, port in pps:
            print(f"{proto}/{port}  " + " ".join(f"{p:>4}" for p in pods))
            for s in pods:
                cells = []
                for d in pods:
                    ok, want = grid.get((s, d, proto, port), ("-", "-"))
                    cells.append(f"{ok}{'X' if ok != want else ' '}".rjust(4))
                print(f"{s:>7} " + " ".join(cells))
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print(f"{len(observed)} probes as expected")


def churn(args):
    targets = []
    for t in args.targets:
        ip, port = t.rsplit(":", 1)
        targets.append((ip, int(port)))
    ok = failed = 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        for ip, port in targets:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(args.timeout)
            # Closed with a reset: no side keeps TIME_WAIT, which a quickly
            # reused client port would meet and lose a second to (RFC 1122).
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            try:
                s.connect((ip, port))
                ok += 1
            except OSError as e:
                failed += 1
                print(f"{time.monotonic():.3f} {ip}:{port}: {e}", file=sys.stderr)
            s.close()
            # Paced: a single-threaded server must keep up, or its backlog overflows.
            time.sleep(args.interval)
    print(f"ok {ok} failed {failed}")


def flip(args):
    os.rename(args.old, args.new)
    start = time.monotonic()
    first = None
    streak = 0
    while True:
        # The attempt that shows the change counts from its own start: a
        # denied one spends its whole timeout waiting for nothing.
        began = time.monotonic() - start
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(args.timeout)
        try:
            ok = 1 if s.connect_ex((args.ip, args.port)) == 0 else 0
        except OSError:
            ok = 0
        s.close()
        if ok == args.want:
            first = began if streak == 0 else first
            streak += 1
            # A lone outcome may be chance (a reused port): it must hold.
            if streak == FLIP_STREAK:
                print(int(first * 1000))
                return
        else:
            streak = 0
        if began > args.deadline:
            sys.exit(f"still {ok} after {args.deadline}s")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--lifetime", type=float, required=True)
    p.add_argument("ports", type=int, nargs="+")
    p = sub.add_parser("probe")
    p.add_argument("--src", required=True)
    p.add_argument("--timeout", type=float, required=True)
    p.add_argument("--ports", required=True)
    p.add_argument("targets", nargs="+")
    p = sub.add_parser("check")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("expect")
    p.add_argument("observed")
    p = sub.add_parser("churn")
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--timeout", type=float, required=True)
    p.add_argument("--interval", type=float, required=True)
    p.add_argument("targets", nargs="+")
    p = sub.add_parser("flip")
    p.add_argument("--timeout", type=float, required=True)
    p.add_argument("--deadline", type=float, required=True)
    p.add_argument("--want", type=int, choices=(0, 1), required=True)
    p.add_argument("--rename", nargs=2, metavar=("OLD", "NEW"), required=True)
    p.add_argument("ip")
    p.add_argument("port", type=int)
    args = ap.parse_args()
    if args.cmd == "flip":
        args.old, args.new = args.rename
    {"serve": serve, "probe": probe, "check": check, "churn": churn,
     "flip": flip}[args.cmd](args)


if __name__ == "__main__":
    main()
