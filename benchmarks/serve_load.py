"""Load test of `racesdsl serve`: batch scoring over HTTP against scoring in-process.

Starts a server on 127.0.0.1 (a free port; nothing else is contacted) over
tests/fixtures/serve/serve_demo.races and measures, for a base env
(`lists.sort_list`) and a depth-3 composite (`serve_demo.top3_sum`, README's
top3_sum), at 1, 8 and 64 concurrent clients:
  - throughput (items/s) and p50/p99 latency of POST /score with batches of 256
    (32 prompts x 8 rollouts, as a GRPO group shares its prompt), every batch
    new seeds, so re-sampling is part of the cost;
  - errors (non-200 answers, a wrong number of scores, or, for every 4th request,
    scores that differ from in-process `env.verify`: must be 0) and lost requests
    (sent but never answered: must be 0);
  - the in-process rate of the same rows (re-sample once per prompt, `env.verify`
    per rollout, one process) and the ratio HTTP / in-process;
then the server's RSS (server + workers) before and after many small requests,
and a mix of malformed payloads (every answer must be a 4xx).

Bounded: fixed counts (`--quick` for a smoke run, `--rss-requests N` for a long
RSS run) and a wall-clock limit (`--max-seconds`, default 600) after which the
remaining phases are skipped. It stops the server itself.

    python benchmarks/serve_load.py [--quick] [--workers N] [--rss-requests N] [--max-seconds S]

`CPU ratio` is rows per CPU-second of the server (its process and workers) over
the in-process rate: what the ratio would be with a free core a worker. On a
machine shared with other work, wall-clock ratios also measure the neighbours.

Latency at 64 clients is mostly queueing: with W workers busy, a request waits
for the ones ahead of it (Little's law: latency = clients / requests per second).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

import racesdsl  # noqa: E402
from racesdsl.serve.launch import ServerProcess  # noqa: E402

SPEC = ROOT / "tests" / "fixtures" / "serve" / "serve_demo.races"
ENVS = ("lists.sort_list", "serve_demo.top3_sum")
CLIENTS = (1, 8, 64)
PROMPTS, ROLLOUTS = 32, 8  # a batch: 256 rows
MALFORMED = [
    ("/score", b"{not json"), ("/score", b"[]"), ("/score", b"{}"), ("/score", b'{"items": 3}'),
    ("/score", b'{"items": [{"env": "lists.sort_list", "seed": "1", "completion": "x"}]}'),
    ("/score", b'{"items": [{"env": "nope", "seed": 1, "completion": "x"}]}'),
    ("/score", b'{"items": [{"env": "lists.sort_list", "seed": 1, "params": {"n": 99}, "completion": "x"}]}'),
    ("/score", b'{"items": [{"env": "lists.sort_list", "seed": 1}]}'),
    ("/sample", b'{"env": "lists.sort_list", "seed": 0, "n": 0}'), ("/sample", b'{"seed": 0}'),
    ("/openrlhf", b'{"query": ["q"]}'), ("/slime", b'{"response": 1, "label": "{}"}'),
    ("/verify", b'{"env": "lists.sort_list"}'), ("/score", b"\xff" * 64),
]


def rows_for(program: Any, env: str, first_seed: int) -> list[dict[str, Any]]:
    """One batch: PROMPTS seeds x ROLLOUTS completions (every other one right)."""
    e = program[env]
    out = []
    for seed in range(first_seed, first_seed + PROMPTS):
        inst = e.sample(seed)
        right = e.render_answer(inst.answer, **inst.params)
        for k in range(ROLLOUTS):
            out.append({"env": env, "seed": seed, "completion": right if k % 2 == 0 else right[: len(right) // 2]})
    return out


def in_process_rate(program: Any, batches: list[list[dict[str, Any]]], repeat: int = 3
                    ) -> tuple[float, list[list[dict]]]:
    """Rows/s of scoring in this process (best of `repeat`: the machine is shared, the best
    run is the least disturbed): re-sample once per seed, verify each row, no JSON."""
    env = program[batches[0][0]["env"]]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        scores = []
        for batch in batches:
            cache: dict[int, Any] = {}
            out = []
            for row in batch:
                inst = cache.get(row["seed"])
                if inst is None:
                    inst = cache[row["seed"]] = env.sample(row["seed"])
                out.append(env.verify(inst, row["completion"]).to_dict())
            scores.append(out)
        best = min(best, time.perf_counter() - start)
    return sum(map(len, batches)) / best, scores


class RawClient:
    """A keep-alive HTTP/1.1 connection that sends prepared bytes and reads one response:
    the load generator shares the machine's cores with the server, and httpx costs more
    CPU a request than the server does (`--client httpx` measures with it anyway)."""

    def __init__(self, url: str) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def drive(url: str, bodies: list[bytes], clients: int, check: list[list[dict]] | None,
                kind: str = "raw") -> dict[str, Any]:
    """Send every body once over `clients` connections; latencies, errors and lost requests.
    Every answer must be a 200 with one score a row; every 4th is compared in full."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(bodies)):
        queue.put_nowait(i)
    latencies: list[float] = []
    errors, answered = [], 0

    async def client() -> None:
        nonlocal answered
        conn = RawClient(url) if kind == "raw" else httpx.AsyncClient(base_url=url, timeout=120)
        try:
            while not queue.empty():
                i = queue.get_nowait()
                start = time.perf_counter()
                try:
                    if isinstance(conn, RawClient):
                        status, content = await conn.post("/score", bodies[i])
                    else:
                        got = await conn.post("/score", content=bodies[i])
                        status, content = got.status_code, got.content
                except (OSError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
                    errors.append(f"request {i}: {type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - start)
                answered += 1
                if status != 200:
                    errors.append(f"request {i}: HTTP {status} {content[:200]!r}")
                elif check is not None and (i % 4 == 0 or not content.startswith(b'{"scores":[')):
                    if json.loads(content)["scores"] != check[i]:
                        errors.append(f"request {i}: scores differ from in-process env.verify")
        finally:
            await (conn.close() if isinstance(conn, RawClient) else conn.aclose())

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - start
    latencies.sort()
    return {"requests": len(bodies), "answered": answered, "lost": len(bodies) - answered, "errors": errors,
            "wall": wall, "p50": _pct(latencies, 50), "p99": _pct(latencies, 99)}


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs)) - 1))] * 1000


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user + system) of process `pid` and of its children (the workers), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    own = kids = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(entry) == pid:
            own += used
        elif int(fields[1]) == pid:
            kids += used
    return own, kids


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` and its children (the workers), in KiB."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(entry) != pid and int(stat.rsplit(")", 1)[1].split()[1]) != pid:
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total


async def malformed_mix(url: str, repeat: int) -> dict[str, int]:
    statuses: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        answers = await asyncio.gather(*(http.post(path, content=body) for path, body in MALFORMED * repeat))
    for got in answers:
        key = f"{got.status_code // 100}xx"
        statuses[key] = statuses.get(key, 0) + 1
        if not (400 <= got.status_code < 500 and "reason" in got.json()):
            statuses["bad"] = statuses.get("bad", 0) + 1
    return statuses


async def small_requests(url: str, n: int, clients: int = 8) -> int:
    """`n` one-row requests over `clients` raw connections; returns how many were not a 200."""
    body = json.dumps({"items": [{"env": "lists.sort_list", "seed": 1, "completion": "<answer>[1]</answer>"}]})
    res = await drive(url, [body.encode()] * n, clients, None)
    return len(res["errors"]) + res["lost"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few requests: a smoke run")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rss-requests", type=int, default=None, help="small requests for the RSS phase")
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw", help="load generator (see RawClient)")
    args = ap.parse_args()
    deadline = time.monotonic() + args.max_seconds
    batches_per_cell = {"lists.sort_list": 8 if args.quick else 96, "serve_demo.top3_sum": 4 if args.quick else 24}
    rss_requests = args.rss_requests if args.rss_requests is not None else (500 if args.quick else 10_000)
    program = racesdsl.load([SPEC])
    failures = 0
    print(f"racesdsl serve load test: {args.workers} workers, batches of {PROMPTS * ROLLOUTS} rows, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, {args.client} client", flush=True)
    srv = ServerProcess([SPEC], "--workers", str(args.workers), "--timeout", "120", "--max-body",
                        str(64 * 1024 * 1024))
    url = srv.start()
    try:
        assert srv.process is not None
        failures += throughput(url, srv.process.pid, program, batches_per_cell, deadline, args.client)
        if time.monotonic() < deadline:
            assert srv.process is not None
            before = rss_kib(srv.process.pid)
            start = time.perf_counter()
            bad = asyncio.run(small_requests(url, rss_requests))
            after = rss_kib(srv.process.pid)
            print(f"RSS of server + workers over {rss_requests} requests: {before / 1024:.1f} MiB -> "
                  f"{after / 1024:.1f} MiB ({(after - before) / 1024:+.1f} MiB), {bad} errors, "
                  f"{rss_requests / (time.perf_counter() - start):.0f} requests/s")
            failures += bool(bad)
        if time.monotonic() < deadline:
            mix = asyncio.run(malformed_mix(url, 20 if not args.quick else 2))
            print(f"malformed payloads: {len(MALFORMED)} kinds x {20 if not args.quick else 2}: {mix}")
            failures += "bad" in mix
            health = httpx.get(f"{url}/health").json()
            print(f"after the run: /health {health['status']}, {health['workers']} workers, "
                  f"{health['restarts']} restarts")
    finally:
        code = srv.stop()
        print(f"server stopped (SIGTERM), exit code {code}")
    return int(failures > 0 or code != 0)


def throughput(url: str, pid: int, program: Any, batches_per_cell: dict[str, int], deadline: float,
               kind: str) -> int:
    """The table: every env at every client count; returns how many cells had errors or losses."""
    failures = 0
    print(f"{'env':22} {'clients':>7} {'rows/s':>9} {'in-proc':>9} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'lost':>5}  CPU s: server workers client  CPU ratio")
    seed = 0
    for env in ENVS:
        for clients in CLIENTS:
            if time.monotonic() > deadline:
                print("deadline reached: remaining cells skipped")
                return failures + 1
            batches = []
            for _ in range(batches_per_cell[env]):
                batches.append(rows_for(program, env, seed))
                seed += PROMPTS
            local, scores = in_process_rate(program, batches)
            bodies = [json.dumps({"items": b}).encode() for b in batches]
            asyncio.run(drive(url, bodies[:2], 2, None))  # warm the workers (their env caches)
            before, mine = cpu_seconds(pid), time.process_time()
            res = asyncio.run(drive(url, bodies, clients, scores, kind))
            after, mine = cpu_seconds(pid), time.process_time() - mine
            rate = sum(map(len, batches)) / res["wall"]
            used = (after[0] - before[0]) + (after[1] - before[1])
            cpu_rate = sum(map(len, batches)) / used if used > 0 else float("inf")
            failures += bool(res["errors"]) + bool(res["lost"])
            print(f"{env:22} {clients:>7} {rate:>9.0f} {local:>9.0f} {rate / local:>6.2f} {res['p50']:>8.1f} "
                  f"{res['p99']:>8.1f} {len(res['errors']):>6} {res['lost']:>5}  {after[0] - before[0]:>6.2f} "
                  f"{after[1] - before[1]:>7.2f} {mine:>6.2f}  {cpu_rate / local:>9.2f}", flush=True)
            for e in res["errors"][:3]:
                print("   ", e)
    return failures


if __name__ == "__main__":
    sys.exit(main())
