"""Throughput and per-call overhead of the Python package.

    python python/bench.py            # after `maturin develop --release` or `pip install .`

Prints, for `secretscan.redact`:

- MB/s on a 10 MB str and the same as bytes: an application log (timestamps,
  HTTP requests, SQL, JSON lines) with a key planted every ~100 KB, and on
  10 MB of prose with no key (the best of several runs each);
- the time per call on a 200-byte str, clean and with a key, and on an
  empty str (the floor of a call: argument conversion and the result).

Inputs are generated here, deterministically; keys are assembled at run time.
"""

from __future__ import annotations

import random
import string
import sys
import time
import timeit
import zlib

import secretscan

MB = 1_000_000


def github_pat(rng: random.Random) -> str:
    alnum = string.ascii_letters + string.digits
    base62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
    entropy = "".join(rng.choice(alnum) for _ in range(30))
    n, digits = zlib.crc32(entropy.encode()), ""
    for _ in range(6):
        n, d = divmod(n, 62)
        digits = base62[d] + digits
    return "ghp_" + entropy + digits


def app_log(size: int, rng: random.Random) -> str:
    services = ["api-gateway", "billing", "auth", "search", "worker"]
    paths = ["/v1/users", "/v1/orders/{id}", "/healthz", "/v2/search?q=shoes", "/v1/invoices"]
    lines, total, next_key = [], 0, 100_000
    i = 0
    while total < size:
        i += 1
        kind = rng.randrange(5)
        ts = f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000:03d}Z"
        svc = rng.choice(services)
        if kind == 0:
            line = f'{ts} INFO {svc} request method=GET path={rng.choice(paths)} status=200 duration_ms={rng.randrange(900)}'
        elif kind == 1:
            line = f"{ts} DEBUG {svc} SELECT id, email, created_at FROM users WHERE org_id = {rng.randrange(10**6)} LIMIT 50"
        elif kind == 2:
            line = f'{{"ts":"{ts}","level":"info","svc":"{svc}","msg":"job done","job_id":{rng.randrange(10**9)},"items":{rng.randrange(500)}}}'
        elif kind == 3:
            line = f"{ts} WARN {svc} retrying upstream call attempt={rng.randrange(1, 5)} backoff_ms={rng.randrange(2000)}"
        else:
            line = f"{ts} ERROR {svc} Traceback (most recent call last): File \"app/handlers.py\", line {rng.randrange(900)}, in handle"
        if total >= next_key:
            line += f" auth=token {github_pat(rng)}"
            next_key += 100_000
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)[:size]


def prose(size: int, rng: random.Random) -> str:
    words = ("the of and to in is that for it as was with be by on not he this are or his from at "
             "which but have an they you were her she there been one all we their has would when "
             "if so what out up who them some could into than other time only new about").split()
    out, total = [], 0
    while total < size:
        w = rng.choice(words)
        out.append(w)
        total += len(w) + 1
    return " ".join(out)[:size]


def throughput(text) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        secretscan.redact(text)
        best = min(best, time.perf_counter() - t0)
    return len(text) / best / MB


def per_call_us(text, number: int = 20000) -> float:
    best = min(timeit.repeat(lambda: secretscan.redact(text), number=number, repeat=5))
    return best / number * 1e6


def main() -> int:
    rng = random.Random(1)
    log = app_log(10 * MB, rng)
    clean = prose(10 * MB, rng)
    print(f"python {sys.version.split()[0]}, secretscan {secretscan.__version__}")
    print(f"keys found in the 10 MB log: {len(secretscan.scan(log))}")
    results = {
        "redact 10 MB log (str)": throughput(log),
        "redact 10 MB log (bytes)": throughput(log.encode()),
        "redact 10 MB prose (str)": throughput(clean),
    }
    for name, mbs in results.items():
        print(f"{name:32} {mbs:8.0f} MB/s")
    small_clean = prose(200, rng)
    small_key = ("user=ann action=deploy token " + github_pat(rng) + " ") + prose(200, rng)
    small_key = small_key[:200]
    assert secretscan.redact(small_key) != small_key
    for name, text in [
        ("redact '' (call floor)", ""),
        ("redact 200 B clean", small_clean),
        ("redact 200 B with a key", small_key),
    ]:
        print(f"{name:32} {per_call_us(text):8.2f} µs/call")
    return 0 if results["redact 10 MB log (str)"] >= 300 else 1


if __name__ == "__main__":
    sys.exit(main())
