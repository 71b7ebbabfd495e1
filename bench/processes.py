"""
Child processes the bench scripts start in their own process group, and stop whatever happens;
and the two commands they run against the checkout: manage.py and PostgreSQL's client tools.
"""

import os
import signal
import subprocess
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def start(command, env, log_path, mode="w"):
    """``command`` in the checkout, in a process group of its own, its output in ``log_path``."""
    log_file = open(log_path, mode)  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


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


def manage(env, *args):
    """``manage.py ARGS``'s output; the script stops with it if the command fails."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def postgres(env, *args):
    """A PostgreSQL client tool (createdb, dropdb, ...) at env's DATABASE_URL server."""
    url = urllib.parse.urlparse(env["DATABASE_URL"])
    options = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432)]
    options += ["-U", url.username or "postgres"]
    return subprocess.run([args[0], *options, *args[1:]], capture_output=True, text=True)
