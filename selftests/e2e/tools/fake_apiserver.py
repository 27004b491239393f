#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in Kubernetes API server for the end-to-end tests.

It speaks the list/watch protocol of the six kinds sluice reads, over TLS,
and requires a bearer token:

- GET <collection>?limit=N&continue=T: a List page of the state at one
  resourceVersion (continue tokens keep it), at most --page-size items;
- GET <collection>?watch=1&resourceVersion=RV&allowWatchBookmarks=true&
  timeoutSeconds=S: a chunked stream of WatchEvent lines, every event after
  RV first, then new ones as they happen, BOOKMARKs every
  --bookmark-interval seconds; each event is cut into chunks at random
  places (--split), so clients must join lines across chunks.

The test changes it through JSON files dropped into --control DIR (written
elsewhere, then renamed in). Each file holds one operation or a list of
them, applied together, in file name order; the file is then renamed to
*.done. Operations:

  {"apply": OBJECT}                       create or replace
  {"delete": {"kind", "namespace", "name"}}
  {"drop_watches": true}                  cut every open watch (no last chunk)
  {"compact": true}                       resourceVersions so far are too old:
                                          open watches get an ERROR 410 event,
                                          later ones from before get a 410
  {"gone_http": N}                        the next N watches that must get a
                                          410 get it as an HTTP status instead

The .done file holds {"resourceVersion": "N"}, the store's after the file,
or {"error": ".."} when an operation failed (those before it stay applied).

Every request is appended to --requests as a JSON line: method, path, query
and whether the Authorization header carried the token ("ok", "missing" or
"wrong"; never the header itself). The server exits after --lifetime
seconds in any case.
"""

import argparse
import base64
import copy
import json
import os
import random
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# collection path -> (kind, apiVersion, namespaced)
KINDS = {
    "/api/v1/nodes": ("Node", "v1", False),
    "/api/v1/namespaces": ("Namespace", "v1", False),
    "/api/v1/pods": ("Pod", "v1", True),
    "/api/v1/services": ("Service", "v1", True),
    "/apis/discovery.k8s.io/v1/endpointslices": ("EndpointSlice", "discovery.k8s.io/v1", True),
    "/apis/networking.k8s.io/v1/networkpolicies": ("NetworkPolicy", "networking.k8s.io/v1", True),
}
NAMESPACED = {kind: ns for kind, _, ns in KINDS.values()}
# How often the control directory is read.
CONTROL_POLL_S = 0.05
# Longest a watch waits for news before it looks again (bookmarks, drops, timeout).
WATCH_TICK_S = 0.1
# Longest a client may stall a read or write before its connection is dropped.
CLIENT_TIMEOUT_S = 30


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class Store:
    """Objects with their full history, so any resourceVersion can be listed."""

    def __init__(self):
        self.cond = threading.Condition()
        self.rv = 1
        self.history = []       # (rv, type, kind, object)
        self.compacted = 0      # resourceVersions below this are gone
        self.drop_gen = 0       # bumped to cut every open watch
        self.gone_http = 0      # watches owed an HTTP 410

    def key(self, obj):
        meta = obj["metadata"]
        return (obj["kind"], meta.get("namespace", ""), meta["name"])

    def state_at(self, rv):
        objs = {}
        for at, typ, _, obj in self.history:
            if at > rv:
                break
            if typ == "DELETED":
                objs.pop(self.key(obj), None)
            else:
                objs[self.key(obj)] = obj
        return objs

    def apply(self, obj):
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if NAMESPACED[obj["kind"]]:
            meta.setdefault("namespace", "default")
        old = self.state_at(self.rv).get(self.key(obj))
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        meta["uid"] = old["metadata"]["uid"] if old else str(uuid.uuid4())
        meta.setdefault("creationTimestamp", "2025-01-01T00:00:00Z")
        self.history.append((self.rv, "MODIFIED" if old else "ADDED", obj["kind"], obj))

    def delete(self, ref):
        key = (ref["kind"], ref.get("namespace", "default") if NAMESPACED[ref["kind"]] else "",
               ref["name"])
        old = self.state_at(self.rv).get(key)
        if old is None:
            raise KeyError("no %s %s/%s" % key)
        self.rv += 1
        obj = copy.deepcopy(old)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.history.append((self.rv, "DELETED", obj["kind"], obj))

    def run(self, op):
        if "apply" in op:
            self.apply(op["apply"])
        elif "delete" in op:
            self.delete(op["delete"])
        elif "drop_watches" in op:
            self.drop_gen += 1
        elif "compact" in op:
            # As etcd compacts: the current revision stays watchable, older ones go.
            self.compacted = self.rv
        elif "gone_http" in op:
            self.gone_http = int(op["gone_http"])
        else:
            raise ValueError("unknown operation %r" % (op,))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver"
    timeout = CLIENT_TIMEOUT_S

    def setup(self):
        super().setup()
        self.request.do_handshake()

    def log_message(self, fmt, *args):
        pass

    def record(self, query, auth):
        line = json.dumps({"method": self.command, "path": self.path.split("?")[0],
                           "query": query, "auth": auth})
        with self.server.log_lock:
            with open(self.server.args.requests, "a") as f:
                f.write(line + "\n")

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        header = self.headers.get("Authorization")
        want = "Bearer " + self.server.args.token
        auth = "missing" if header is None else "ok" if header == want else "wrong"
        self.record(query, auth)
        if auth != "ok":
            self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
            return
        if url.path not in KINDS:
            self.send_json(404, status(404, "NotFound", "no collection " + url.path))
            return
        if query.get("watch") in ("1", "true"):
            self.watch(KINDS[url.path], query)
        else:
            self.list(KINDS[url.path], query)

    def list(self, kind_info, query):
        kind, api_version, _ = kind_info
        store = self.server.store
        limit = min(int(query.get("limit", "0")) or 1 << 30, self.server.args.page_size)
        with store.cond:
            start, rv = 0, store.rv
            if query.get("continue"):
                token = json.loads(base64.urlsafe_b64decode(query["continue"]))
                start, rv = token["start"], token["rv"]
                if rv < store.compacted:
                    self.send_json(410, status(410, "Expired",
                                               "The provided continue parameter is too old"))
                    return
            objs = [o for k, o in sorted(store.state_at(rv).items()) if k[0] == kind]
        page = objs[start:start + limit]
        meta = {"resourceVersion": str(rv)}
        if start + limit < len(objs):
            token = json.dumps({"start": start + limit, "rv": rv}).encode()
            meta["continue"] = base64.urlsafe_b64encode(token).decode()
            meta["remainingItemCount"] = len(objs) - start - limit
        items = []
        for o in page:
            o = copy.deepcopy(o)
            # List items carry no kind or apiVersion of their own.
            o.pop("kind", None)
            o.pop("apiVersion", None)
            items.append(o)
        self.send_json(200, {"kind": kind + "List", "apiVersion": api_version,
                             "metadata": meta, "items": items})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def send_event(self, typ, obj):
        line = json.dumps({"type": typ, "object": obj}).encode() + b"\n"
        cuts = sorted(random.sample(range(1, len(line)), min(self.server.args.split,
                                                             len(line) - 1)))
        for a, b in zip([0] + cuts, cuts + [len(line)]):
            self.chunk(line[a:b])

    def cut(self):
        """Ends the connection with no last chunk: the client sees a broken transfer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def watch(self, kind_info, query):
        kind, api_version, _ = kind_info
        store, args = self.server.store, self.server.args
        since = int(query.get("resourceVersion") or "0")
        deadline = time.monotonic() + int(query.get("timeoutSeconds") or args.lifetime)
        bookmarks = query.get("allowWatchBookmarks") == "true"
        gone = status(410, "Expired", "too old resource version: %d" % since)
        with store.cond:
            expired = since < store.compacted
            if expired and store.gone_http:
                store.gone_http -= 1
                self.send_json(410, gone)
                return
            drop_gen, compacted = store.drop_gen, store.compacted
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if expired:
            self.send_event("ERROR", gone)
            self.chunk(b"")
            return
        sent, next_bookmark = since, time.monotonic() + args.bookmark_interval
        try:
            while time.monotonic() < deadline:
                with store.cond:
                    store.cond.wait_for(lambda: store.rv > sent or store.drop_gen != drop_gen
                                        or store.compacted != compacted, WATCH_TICK_S)
                    news = [(rv, t, o) for rv, t, k, o in store.history if rv > sent and k == kind]
                    dropped = store.drop_gen != drop_gen
                    now_compacted = store.compacted != compacted
                    current = store.rv
                if dropped:
                    self.cut()
                    return
                if now_compacted:
                    self.send_event("ERROR", status(410, "Expired", "too old resource version"))
                    break
                for rv, typ, obj in news:
                    self.send_event(typ, obj)
                    sent = rv
                sent = max(sent, current)
                if bookmarks and time.monotonic() >= next_bookmark:
                    self.send_event("BOOKMARK", {"kind": kind, "apiVersion": api_version,
                                                 "metadata": {"resourceVersion": str(sent)}})
                    next_bookmark = time.monotonic() + args.bookmark_interval
            self.chunk(b"")
        except OSError:
            self.close_connection = True


def control_loop(store, directory):
    while True:
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".json"):
                continue
            path = os.path.join(directory, name)
            with open(path) as f:
                ops = json.load(f)
            try:
                with store.cond:
                    for op in ops if isinstance(ops, list) else [ops]:
                        store.run(op)
                    store.cond.notify_all()
                    result = {"resourceVersion": str(store.rv)}
            except (KeyError, ValueError, TypeError) as e:
                result = {"error": str(e)}
            with open(path, "w") as f:
                json.dump(result, f)
            os.rename(path, path[:-len(".json")] + ".done")
        time.sleep(CONTROL_POLL_S)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=6443)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--control", required=True, help="directory of operation files")
    p.add_argument("--requests", required=True, help="JSON lines, one per request")
    p.add_argument("--ready", required=True, help="created once the server listens")
    p.add_argument("--page-size", type=int, default=500)
    p.add_argument("--bookmark-interval", type=float, default=1.0)
    p.add_argument("--split", type=int, default=2, help="cuts per event")
    p.add_argument("--lifetime", type=int, default=600, help="seconds before exiting")
    args = p.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server = ThreadingHTTPServer((args.listen, args.port), Handler)
    server.daemon_threads = True
    # The handshake runs in the request's thread: a stuck client holds up nobody.
    server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                    do_handshake_on_connect=False)
    server.args = args
    server.store = Store()
    server.log_lock = threading.Lock()
    threading.Thread(target=control_loop, args=(server.store, args.control),
                     daemon=True).start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(args.ready, "w") as f:
        f.write("%d\n" % os.getpid())
    time.sleep(args.lifetime)
    sys.exit(0)


if __name__ == "__main__":
    main()
