"""Peak memory (max RSS, in MB) of the processes `newsqa bench` runs: a step process's
own, read with `resource.getrusage` at its end, and a child server's, read with `os.wait4`
as it is stopped.

Only the kernel's high-water mark, in Linux's units (`ru_maxrss` in KiB): it does not
sample memory over time, nor say what used it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import time


def own_peak_rss_mb() -> float:
    """This process's peak RSS so far, in MB: taken at a step's end, the step's own peak
    (`os.wait4` in the parent would also count the chroma server the step started)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def stop_and_measure(process: subprocess.Popen[bytes]) -> float:
    """Stop a child process; its peak RSS in MB (0 when it was already reaped)."""
    if process.poll() is not None:
        return 0.0
    process.terminate()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_maxrss / 1024
        time.sleep(0.1)
    process.kill()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024
