"""Reset latency (issue 13): starts amlite through the Python package (python/amlite; binary from
$AMLITE_BIN, e.g. target/release/amlite) on a temporary on-disk data folder, calls
`POST /_amlite/reset` 50 times and prints the server-side time (`elapsedMs`) and the HTTP round
trip (a new TLS connection per call, as `amlite reset` and the pytest plugin make), median and
p90. Extra arguments go to `amlite serve` (absolute paths: it runs in its data folder, e.g.
`--fixtures $PWD/fixtures/isolation.json`).

    AMLITE_BIN=target/release/amlite PYTHONPATH=python python3 bench/reset_latency.py
"""

import statistics
import sys
import time

from amlite import Server

ROUNDS = 50


def main(args):
    with Server.start(args) as server:
        inside, round_trip = [], []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            report = server.reset()
            round_trip.append((time.perf_counter() - started) * 1000)
            inside.append(report["elapsedMs"])

    def summary(v):
        return f"median {statistics.median(v):.2f} ms, p90 {sorted(v)[int(ROUNDS * 0.9) - 1]:.2f} ms"

    print(f"{' '.join(args) or 'default fixture'}: reset {summary(inside)}; HTTP round trip {summary(round_trip)}")


if __name__ == "__main__":
    main(sys.argv[1:])
