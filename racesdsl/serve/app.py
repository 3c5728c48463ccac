"""The HTTP routes: a thin Starlette layer over the worker pool.

This process reads bodies (refusing, with 413, one larger than the limit
before reading it all), hands them as bytes to a worker and sends back the
worker's JSON. Every error is a JSON object `{"error": CODE, "reason": TEXT}`:
404 and 405 too, so a client can always show the reason.

Routes: `POST /score`, `POST /sample`, `GET /envs`, `GET /health`, and the
trainer shapes `POST /openrlhf` (alias `/get_reward`, OpenRLHF's own reward
server path), `POST /slime` and `POST /verify` (see trainers.py). A request
past the time limit is a 504 on `/score` and `/sample`; on the trainer routes
its rows score 0 with the reason instead, so a hanging verifier cannot end a
training run through the trainer's retry limit."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from racesdsl import __version__
from racesdsl.serve.trainers import TRAINER_ROUTES, timeout_answer
from racesdsl.serve.workers import Pool

__all__ = ["MAX_BODY", "build_app"]

MAX_BODY = 8 * 1024 * 1024  # bytes a request body may have (--max-body)


class TooLarge(Exception):
    pass


def _json(status: int, code: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": code, "reason": reason}, status_code=status)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed `limit` (Content-Length or streamed bytes)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(int(declared))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)


def build_app(pool: Pool, *, max_body: int = MAX_BODY) -> Starlette:
    """The app over a started pool (server.py starts and closes it around the server)."""

    def forward(route: str) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                body = await read_body(request, max_body)
            except TooLarge as exc:
                return _json(413, "too_large", f"the body has {exc.args[0]} bytes or more; the limit is "
                             f"{max_body} (split the batch, or start the server with a larger --max-body)")
            except ClientDisconnect:
                return _json(400, "disconnected", "the client went away before sending the whole body")
            if pool.closing:
                return _json(503, "shutting_down", "the server is shutting down")
            status, answer = await pool.run(route, body)
            if status == 504 and route in TRAINER_ROUTES:
                zeros = timeout_answer(route, body, json.loads(answer)["reason"])
                if zeros is not None:
                    status, answer = 200, zeros
            return Response(answer, status_code=status, media_type="application/json")

        endpoint.__name__ = route
        return endpoint

    async def envs(request: Request) -> Response:
        return JSONResponse(pool.catalog)

    async def health(request: Request) -> Response:
        ok = pool.alive > 0 and not pool.closing
        return JSONResponse({"status": "ok" if ok else "unavailable", "workers": pool.alive, "size": pool.size,
                             "restarts": pool.restarts, "envs": len(pool.catalog["envs"]),
                             "version": __version__}, status_code=200 if ok else 503)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _json(exc.status_code, {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http"),
                     f"{request.method} {request.url.path}: {exc.detail}")

    routes = [Route(f"/{name}", forward(name), methods=["POST"]) for name in ("score", "sample", "slime", "verify")]
    routes += [Route("/openrlhf", forward("openrlhf"), methods=["POST"]),
               Route("/get_reward", forward("openrlhf"), methods=["POST"]),
               Route("/envs", envs, methods=["GET"]), Route("/health", health, methods=["GET"])]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
