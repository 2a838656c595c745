#!/usr/bin/env python3
"""test/faults/netload.py — hostile HTTP clients for test/faults/run.sh (127.0.0.1 only, bounded).

  netload.py flood HOST PORT N SECONDS   keep N idle TCP connections open for SECONDS, reopening
                                         those the server closes; prints "opened K" once the first
                                         round is open, then "closed_by_server M" and "reopened R"
  netload.py slow HOST PORT LIMIT        two slow clients at once: headers never finished, and a body
                                         sent one byte per 4 s; prints "slow headers closed after X s" /
                                         "slow body closed after X s", or "... still open after LIMIT s"
  netload.py trickle HOST PORT LIMIT     clients that never go idle: headers and a body sent one byte
                                         per second, and a keep-alive client asking once a second;
                                         prints "trickle headers closed after X s" (or "still open"),
                                         "trickle body ...", and "keepalive answered A of N"
"""
import os
import select
import socket
import sys
import time


def loopback(host):
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("netload.py: loopback only")


def connect(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect((host, port))
    except BlockingIOError:
        pass
    return s


def flood(host, port, n, seconds):
    n = min(n, 2000)
    seconds = min(seconds, 60)
    socks = [connect(host, port) for _ in range(n)]
    print("opened %d" % len(socks), flush=True)
    closed = reopened = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        poller = select.poll()
        byfd = {}
        for s in socks:
            poller.register(s, select.POLLIN | select.POLLHUP | select.POLLERR)
            byfd[s.fileno()] = s
        for fd, _ in poller.poll(200):
            s = byfd[fd]
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data == b"":
                closed += 1
                i = socks.index(s)
                s.close()
                if time.monotonic() < deadline - 0.5 and reopened < 20 * n:
                    socks[i] = connect(host, port)
                    reopened += 1
        time.sleep(0.05)
    for s in socks:
        s.close()
    print("closed_by_server %d" % closed)
    print("reopened %d" % reopened)


def unfinished_pair(host, port, header):
    """Two requests left unfinished: headers cut off inside HEADER, and a snapshot POST announcing
    1000 bytes of body (with NETLOAD_KEY, a valid ingest key, so the body is read, not refused)."""
    hdr = socket.create_connection((host, port), timeout=5)
    hdr.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b": ")
    body = socket.create_connection((host, port), timeout=5)
    key = os.environ.get("NETLOAD_KEY", "")
    body.sendall(b"POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
                 b"Authorization: Bearer " + key.encode() + b"\r\nContent-Length: 1000\r\n\r\n")
    for s in (hdr, body):
        s.setblocking(False)
    return hdr, body


def reap(pending, start, label, wait):
    """Wait up to WAIT s; print and forget the connections of PENDING the server closed or refused."""
    r, _, _ = select.select(list(pending), [], [], wait)
    for s in r:
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if data == b"" or data.startswith(b"HTTP/1.1 4"):
            print("%s %s closed after %.1f s%s" % (label, pending[s], time.monotonic() - start,
                                                   " (answered %r)" % data[:12] if data else ""), flush=True)
            s.close()
            del pending[s]


def slow(host, port, limit):
    limit = min(limit, 60)
    hdr, body = unfinished_pair(host, port, b"X-Slow")
    start = time.monotonic()
    pending = {hdr: "headers", body: "body"}
    last_byte = start
    while pending and time.monotonic() - start < limit:
        reap(pending, start, "slow", 0.2)
        if body in pending and time.monotonic() - last_byte >= 4:
            try:
                body.send(b"x")
            except OSError:
                pass
            last_byte = time.monotonic()
    for s, what in pending.items():
        print("slow %s still open after %d s" % (what, limit))
        s.close()


def trickle(host, port, limit):
    limit = min(limit, 60)
    hdr, body = unfinished_pair(host, port, b"X-Trickle")
    keep = socket.create_connection((host, port), timeout=5)
    start = time.monotonic()
    pending = {hdr: "headers", body: "body"}
    asked = answered = 0
    next_tick = start
    while time.monotonic() - start < limit:
        reap(pending, start, "trickle", 0.1)
        if time.monotonic() >= next_tick:
            next_tick += 1.0
            for s in pending:
                try:
                    s.send(b"x")
                except OSError:
                    pass
            # one whole request on the keep-alive connection, its answer read in full
            if keep is not None:
                asked += 1
                try:
                    keep.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    got = b""
                    while b"\r\n\r\n" not in got:
                        chunk = keep.recv(4096)
                        if not chunk:
                            raise OSError("closed")
                        got += chunk
                    head, rest = got.split(b"\r\n\r\n", 1)
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    while len(rest) < length:
                        chunk = keep.recv(4096)
                        if not chunk:
                            raise OSError("closed")
                        rest += chunk
                    if head.startswith(b"HTTP/1.1 200"):
                        answered += 1
                except OSError:
                    keep.close()
                    keep = None
    for s, what in pending.items():
        print("trickle %s still open after %d s" % (what, limit))
        s.close()
    if keep is not None:
        keep.close()
    print("keepalive answered %d of %d" % (answered, asked))


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    loopback(host)
    if mode == "flood":
        flood(host, port, int(sys.argv[4]), float(sys.argv[5]) if len(sys.argv) > 5 else 10)
    elif mode == "slow":
        slow(host, port, float(sys.argv[4]))
    elif mode == "trickle":
        trickle(host, port, float(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
