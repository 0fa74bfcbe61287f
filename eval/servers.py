"""Child servers on loopback, shared by the benchmark, the load test and the tests: a port
nothing listens on, and a bounded wait until a started server answers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

from index.errors import NewsQAError


class ServerStartError(NewsQAError):
    """A child server exited before answering, or did not answer in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], seconds: float, *, name: str
) -> None:
    """Poll `url` every half second until it answers; `ServerStartError` naming the server
    when `process` exits first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"{name} exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise ServerStartError(f"{name} did not answer at {url} within {seconds:.0f} s")
