"""Child processes the bench scripts start in their own process group, and stop whatever happens."""

import os
import signal
import subprocess


def stop(process):
    """SIGTERM to the process's whole group; SIGKILL if it has not exited 20 s later."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
