"""The scoring processes: each loads the specs itself and answers requests from a pipe.

Why processes: python verifiers and samplers are user code that can hang or
spin; a thread cannot be stopped, a process can. A request gets a deadline;
past it the worker is killed, a fresh one is started in the background and
the request is answered 504, while the other workers go on serving. The
server process never holds environments: it passes bodies through as bytes
(parsing and encoding happen in the workers, in parallel).

Processes are spawned, not forked: the server's event loop and threads must
not be copied into a child. A worker ignores SIGINT (a Ctrl-C reaches the
whole process group) so the server decides when it stops: in-flight
requests finish, then each idle worker is told to exit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["Pool", "PoolError", "WorkerDied", "worker_main"]

READY_TIMEOUT = 300.0  # seconds a new worker may take to load the specs


class PoolError(RuntimeError):
    """A worker could not start (its specs failed to load)."""


class WorkerDied(RuntimeError):
    """A worker's pipe closed mid-request (it crashed or was killed)."""


def worker_main(conn: Connection, paths: Sequence[str], search_path: Sequence[str]) -> None:
    """A worker process: load the specs, report the catalog, answer (route, body) until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import racesdsl
        from racesdsl.serve.scoring import Scorer

        scorer = Scorer(racesdsl.load(list(paths), list(search_path)))
        conn.send(("ready", scorer.catalog()))
    except Exception as exc:  # reported to the server, which stops with the reason
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the server went away
            return
        if message is None:
            return
        route, body = message
        conn.send(scorer.handle(route, body))


class Worker:
    """One process and the server's end of its pipe."""

    def __init__(self, ctx: Any, paths: Sequence[str], search_path: Sequence[str]) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=worker_main, args=(child, list(paths), list(search_path)), daemon=True)
        self.process.start()
        child.close()
        self.catalog: dict[str, Any] | None = None

    async def _receive(self, timeout: float | None) -> Any:
        """The next message, awaited on the event loop (no thread): EOF raises WorkerDied."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        fd = self.conn.fileno()

        def readable() -> None:
            loop.remove_reader(fd)
            if future.done():
                return
            try:
                future.set_result(self.conn.recv())
            except (EOFError, OSError) as exc:
                future.set_exception(WorkerDied(f"the worker exited ({type(exc).__name__})"))

        loop.add_reader(fd, readable)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            loop.remove_reader(fd)

    async def ready(self) -> dict[str, Any]:
        kind, payload = await self._receive(READY_TIMEOUT)
        if kind != "ready":
            raise PoolError(payload)
        self.catalog = payload
        return payload

    async def call(self, route: str, body: bytes, timeout: float) -> tuple[int, bytes]:
        self.conn.send((route, body))
        return await self._receive(timeout)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self, grace: float) -> None:
        """Ask the worker to exit; kill it if it has not within `grace` seconds."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(grace)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


class Pool:
    """`size` workers; a request waits for an idle one, runs with a deadline, and a worker
    that misses it is replaced. Use from one event loop."""

    def __init__(self, paths: Sequence[str | os.PathLike[str]], search_path: Sequence[str | os.PathLike[str]] = (),
                 *, size: int = 1, timeout: float = 30.0) -> None:
        if size < 1:
            raise ValueError(f"a pool needs at least one worker, got {size}")
        self.paths = [os.fspath(p) for p in paths]
        self.search_path = [os.fspath(p) for p in search_path]
        self.size, self.timeout = size, timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        self._busy: set[Worker] = set()
        self._replacing: set[asyncio.Task[None]] = set()
        self.catalog: dict[str, Any] = {"envs": []}
        self.restarts = 0
        self.closing = False  # set at the stop signal: no new requests, no replacement workers

    async def start(self) -> None:
        """Start every worker and wait until all have loaded the specs (PoolError if one cannot)."""
        workers = [Worker(self._ctx, self.paths, self.search_path) for _ in range(self.size)]
        try:
            catalogs = await asyncio.gather(*(w.ready() for w in workers))
        except BaseException:
            for w in workers:
                w.kill()
            raise
        self.catalog = catalogs[0]
        for w in workers:
            self._idle.put_nowait(w)

    @property
    def alive(self) -> int:
        return self._idle.qsize() + len(self._busy)

    async def run(self, route: str, body: bytes) -> tuple[int, bytes]:
        """(status, JSON body) of one request: the worker's answer, or 504 / 503 from here."""
        worker = await self._idle.get()
        self._busy.add(worker)
        started = time.monotonic()
        try:
            answer = await worker.call(route, body, self.timeout)
        except (TimeoutError, WorkerDied, OSError) as exc:
            self._busy.discard(worker)
            worker.kill()
            self._replace()
            if isinstance(exc, TimeoutError):
                return 504, _error("timeout", f"not answered within {self.timeout:g} s (a hanging verifier or "
                                   f"sampler?); its worker was restarted, other requests were not affected")
            return 503, _error("worker_died", f"the worker died after {time.monotonic() - started:.1f} s "
                               f"({exc}); it was restarted: retry")
        except BaseException:  # the client went away (cancelled): the worker may be mid-request
            self._busy.discard(worker)
            worker.kill()
            self._replace()
            raise
        self._busy.discard(worker)
        self._idle.put_nowait(worker)
        return answer

    def _replace(self) -> None:
        if self.closing:
            return
        self.restarts += 1
        task = asyncio.get_running_loop().create_task(self._start_one())
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _start_one(self) -> None:
        """Start a replacement; retried with back-off while it fails (the spec files changed
        on disk, say): meanwhile /health reports the missing workers and requests wait."""
        delay = 1.0
        while not self.closing:
            worker = Worker(self._ctx, self.paths, self.search_path)
            try:
                await worker.ready()
            except (PoolError, WorkerDied, TimeoutError) as exc:
                worker.kill()
                sys.stderr.write(f"racesdsl serve: a replacement worker failed to start ({exc}); "
                                 f"retrying in {delay:g} s\n")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            except BaseException:
                worker.kill()
                raise
            if self.closing:
                worker.stop(5)
            else:
                self._idle.put_nowait(worker)
            return

    async def close(self, grace: float = 5.0) -> None:
        """Stop every worker (the server has finished its in-flight requests by now)."""
        self.closing = True
        pending = list(self._replacing)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        workers = list(self._busy)
        while not self._idle.empty():
            workers.append(self._idle.get_nowait())
        await asyncio.gather(*(asyncio.to_thread(w.stop, grace) for w in workers))


def _error(code: str, reason: str) -> bytes:
    return json.dumps({"error": code, "reason": reason}).encode("utf-8")
