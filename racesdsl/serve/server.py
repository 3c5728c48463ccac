"""Run the reward server: the worker pool, then uvicorn on a socket bound here.

The socket is bound before the workers start, so `--port 0` works (the line
`racesdsl serve: listening on http://HOST:PORT` names the real port) and a
port in use fails at once. SIGTERM and SIGINT stop it gracefully: uvicorn
stops accepting and lets in-flight requests finish (up to the request time
limit), then the workers are told to exit, and the process exits 0."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from racesdsl.serve.app import MAX_BODY, build_app
from racesdsl.serve.workers import Pool

__all__ = ["serve"]


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, so asyncio sets TCP_NODELAY on accepted connections (it checks the
    # proto): without it, Nagle holds a response's body behind its headers for a delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock


def serve(paths: Sequence[Path], search_path: Sequence[Path] = (), *, host: str = "127.0.0.1", port: int = 8000,
          workers: int = 1, timeout: float = 30.0, max_body: int | None = None, log_level: str = "warning") -> None:
    """Serve until SIGTERM / SIGINT. Raises OSError when the address cannot be bound and
    PoolError when a worker cannot load the specs."""
    sock = bind(host, port)
    stopped: list[int] = []

    def early_stop(sig: int, frame: object) -> None:  # before uvicorn takes over the signals
        stopped.append(sig)

    previous = {sig: signal.signal(sig, early_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        asyncio.run(_main(sock, paths, search_path, workers, timeout, max_body, log_level, stopped))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


class _Server(uvicorn.Server):
    """uvicorn's server, telling the pool at the stop signal that it is draining."""

    def __init__(self, config: uvicorn.Config, pool: Pool) -> None:
        super().__init__(config)
        self.pool = pool

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.pool.closing = True
        super().handle_exit(sig, frame)


async def _main(sock: socket.socket, paths: Sequence[Path], search_path: Sequence[Path], workers: int,
                timeout: float, max_body: int | None, log_level: str, stopped: list[int]) -> None:
    pool = Pool(paths, search_path, size=workers, timeout=timeout)
    await pool.start()
    try:
        if stopped:
            return
        app = build_app(pool, max_body=MAX_BODY if max_body is None else max_body)
        config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off",
                                timeout_graceful_shutdown=int(timeout) + 5, server_header=False)
        server = _Server(config, pool)
        where, real_port = sock.getsockname()[:2]
        where = f"[{where}]" if ":" in where else where
        sys.stderr.write(f"racesdsl serve: listening on http://{where}:{real_port} ({workers} worker"
                         f"{'s' if workers != 1 else ''}, {len(pool.catalog['envs'])} environments)\n")
        sys.stderr.flush()
        # uvicorn re-raises a caught signal after its graceful shutdown; our handler
        # (installed above) then only records it, so the process can exit 0.
        await server.serve(sockets=[sock])
    finally:
        await pool.close()
