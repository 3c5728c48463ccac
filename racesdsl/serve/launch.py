"""Start `racesdsl serve` as a child process and wait until it is listening.

For training scripts that own their reward server, the tests and
benchmarks/serve_load.py: `with ServerProcess(["specs/lists.races"]) as url: ...`.
It binds 127.0.0.1 on a free port unless told otherwise, and on exit sends
SIGTERM (a graceful stop) and waits for the process. The server prints its
"listening" line only once every worker has loaded the specs, so the first
request is served at once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from types import TracebackType

__all__ = ["ServerProcess"]

LISTENING = re.compile(r"racesdsl serve: listening on (http://\S+)")


class ServerProcess:
    """A `racesdsl serve` child; `url` is set once it is listening. `args` are extra CLI flags."""

    def __init__(self, specs: Sequence[str | os.PathLike[str]], *args: str, host: str = "127.0.0.1",
                 port: int = 0, startup: float = 120.0) -> None:
        self.argv = [sys.executable, "-m", "racesdsl", "serve", *map(os.fspath, specs), "--host", host,
                     "--port", str(port), *args]
        self.startup = startup
        self.url = ""
        self._log = tempfile.TemporaryFile(mode="w+b")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self._log)
        deadline = time.monotonic() + self.startup
        while time.monotonic() < deadline:
            found = LISTENING.search(self.log())
            if found:
                self.url = found.group(1)
                return self.url
            if self.process.poll() is not None:
                raise RuntimeError(f"racesdsl serve exited {self.process.returncode}:\n{self.log()}")
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"racesdsl serve did not start within {self.startup:g} s:\n{self.log()}")

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Signal the server and wait for it; returns its exit code (killed after `timeout`)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
        self._log.close()
