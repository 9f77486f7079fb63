#!/usr/bin/env python3
"""Measure how the web server holds up against slow clients and login bursts (issue 14).

  slow:   hold --connections slow connections (partial headers, one more byte every few
          seconds, reopened when the server closes them) from --sources addresses while timing
          GET /api/v1/health from 127.0.0.1 on a new connection every 100 ms.
  logins: send --logins parallel sign-ins (wrong passwords, one address and user name each)
          and print the server's resident memory before, at its peak and after.

Loopback answers any 127.x.y.z, so sources 127.0.0.2 … stand for other machines.
Usage: measure-web-flood.py slow|logins --port 8080 --pid PID [--connections 1100] [--sources 1]
"""

import argparse
import http.client
import os
import re
import socket
import statistics
import threading
import time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return int(fields["VmRSS"].split()[0]) / 1024


def slow(args):
    stop = time.monotonic() + args.seconds
    held = [0]
    opened = [0]
    lock = threading.Lock()

    def attacker(source):
        sock = None
        while time.monotonic() < stop:
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", args.port), timeout=5, source_address=(source, 0))
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: xanh\r\nX-Slow: ")
                    with lock:
                        held[0] += 1
                        opened[0] += 1
                time.sleep(3)
                sock.sendall(b"a")
            except OSError:
                if sock is not None:
                    sock.close()
                    sock = None
                    with lock:
                        held[0] -= 1
                time.sleep(0.2)
        if sock is not None:
            sock.close()

    sources = [f"127.0.{1 + i // 250}.{2 + i % 250}" for i in range(args.sources)]
    threads = [threading.Thread(target=attacker, args=(sources[i % len(sources)],), daemon=True) for i in range(args.connections)]
    for t in threads:
        t.start()
    time.sleep(5)
    times, failures, most_held, most_fds = [], 0, 0, 0
    while time.monotonic() < stop - 1:
        started = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=15)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status != 200:
                failures += 1
            conn.close()
            times.append((time.monotonic() - started) * 1000)
        except OSError:
            failures += 1
        with lock:
            most_held = max(most_held, held[0])
        if args.pid:
            most_fds = max(most_fds, len(os.listdir(f"/proc/{args.pid}/fd")))
        time.sleep(0.1)
    times.sort()
    print(f"slow connections attempted {args.connections} from {args.sources} address(es); opened {opened[0]}, "
          f"at most {most_held} open on the client's side at once; server's open descriptors at most {most_fds}")
    print(f"health: {len(times)} answers, {failures} failures; ms p50 {statistics.median(times):.1f}, "
          f"p95 {times[int(len(times) * 0.95) - 1]:.1f}, max {times[-1]:.1f}; over 100 ms: {sum(t > 100 for t in times)}")


def logins(args):
    before = rss_mib(args.pid)
    peak = [before]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib(args.pid))
            time.sleep(0.02)

    outcomes = {}
    lock = threading.Lock()

    def login(i):
        source = f"127.0.{1 + i // 250}.{2 + i % 250}"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60, source_address=(source, 0))
            conn.request("GET", "/login")
            page = conn.getresponse()
            cookie = page.getheader("set-cookie").split(";")[0]
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.read().decode()).group(1)
            body = f"csrf={csrf}&username=khach{i}&password=sai-mat-khau-{i}&next=/"
            conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            location = conn.getresponse().getheader("location") or ""
            outcome = re.search(r"error=(\w+)", location)
            outcome = outcome.group(1) if outcome else location
        except OSError as e:
            outcome = type(e).__name__
        with lock:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    threads = [threading.Thread(target=login, args=(i,)) for i in range(args.logins)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    time.sleep(10)
    done.set()
    print(f"{args.logins} parallel logins in {elapsed:.1f} s: {outcomes}")
    print(f"resident memory MiB: before {before:.0f}, peak {peak[0]:.0f}, 10 s after {rss_mib(args.pid):.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["slow", "logins"])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--sources", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--logins", type=int, default=250)
    args = parser.parse_args()
    slow(args) if args.mode == "slow" else logins(args)


if __name__ == "__main__":
    main()
