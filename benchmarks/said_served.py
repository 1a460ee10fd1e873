"""`/api/search` of `vidx serve` with and without words: what the web app's user waits for, HTTP included.

said_query.py times `Library.search` held open; said_cli.py the `vidx query` command. This starts `vidx serve` on
said_cli.py's catalogue (benchmarks/cache/said-home; built on first use) and asks `/api/search?q=TEXT&mode=...`
over one kept-alive connection, the modes in turn, for each query of said_query.py. Prints the medians of the
wall time a request takes (response read whole) and their ratios, with the load average.

Usage: python benchmarks/said_served.py [--rounds 30]
"""

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode

import said_query
from said_cli import HOME, built_once


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            sys.exit(f"vidx serve ended with exit code {server.returncode}: {log.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("vidx serve did not answer within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    built_once()
    port = free_port()
    command = [sys.executable, "-P", "-c", "from vidx.cli import main; main()", "serve", "--port", str(port)]
    log = tempfile.TemporaryFile()  # its line a request, kept out of the figures' way
    env = dict(os.environ, VIDX_HOME=str(HOME))
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_until_up(port, server, log)
        connection = http.client.HTTPConnection("127.0.0.1", port)

        def request(text: str, mode: str) -> float:
            started = time.perf_counter()
            connection.request("GET", "/api/search?" + urlencode({"q": text, "k": 10, "mode": mode}))
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                sys.exit(f"/api/search answered {response.status}")
            return time.perf_counter() - started

        load = os.getloadavg()[0]
        runs: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.rounds + 1):  # the first round loads the model and warms the caches: dropped
            for name, text in said_query.QUERIES.items():
                for mode in ("seen", "both"):
                    took = request(text, mode)
                    if round_:
                        runs.setdefault((name, mode), []).append(took)
    finally:
        server.terminate()
        server.wait()
        log.close()
    for name, text in said_query.QUERIES.items():
        seen, both = (statistics.median(runs[name, mode]) * 1000 for mode in ("seen", "both"))
        print(f"{text!r} ({name}): --seen {seen:.1f} ms, both {both:.1f} ms: {both / seen:.2f}x")
    print(f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; {args.rounds} rounds")


if __name__ == "__main__":
    main()
