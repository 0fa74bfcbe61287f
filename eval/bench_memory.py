"""Peak memory (max RSS, in MB) of the processes `newsqa bench` runs: a step process's
own, read at its end, and a child server's, read just before it is stopped.

Only the kernel's high-water mark: it does not sample memory over time, nor say what used
it. Linux's `VmHWM` (`/proc/PID/status`) is read, not `ru_maxrss`: a process started from a
bigger one (`subprocess` forks, or vforks, then execs) inherits its parent's high-water mark
in `ru_maxrss`, so a fresh worker started by a bench step that had just filled a 100k-chunk
store reported the step's 673 MB as its own. `ru_maxrss` is the fallback where there is no
/proc.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import time
from pathlib import Path


def high_water_mb(pid: int | str = "self") -> float | None:
    """The peak RSS of process `pid` since it last exec'd, in MB (`VmHWM`); None without it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def own_peak_rss_mb() -> float:
    """This process's peak RSS so far, in MB: taken at a step's end, the step's own peak
    (`os.wait4` in the parent would also count the chroma server the step started)."""
    peak = high_water_mb()
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stop_and_measure(process: subprocess.Popen[bytes]) -> float:
    """Stop a child process; its peak RSS in MB (0 when it was already reaped)."""
    if process.poll() is not None:
        return 0.0
    peak = high_water_mb(process.pid)
    process.terminate()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return peak if peak is not None else usage.ru_maxrss / 1024
        time.sleep(0.1)
    process.kill()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return peak if peak is not None else usage.ru_maxrss / 1024
