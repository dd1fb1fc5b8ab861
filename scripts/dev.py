"""Run the development stack: the web server, a Celery worker and Celery beat.

Usage: ``.venv/bin/python scripts/dev.py`` (``make run``); ``PORT`` picks the port
(default 8000). Each child's output is prefixed with its name. Ctrl-C or SIGTERM, or
any child exiting, stops all three.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOP_TIMEOUT = 10  # seconds a child gets to exit after SIGTERM before SIGKILL

LOGINS = [
    ("admin@acme.test", "admin, Acme Corporation"),
    ("manager@acme.test", "manager, Acme Corporation"),
    ("member@acme.test", "member, Acme Corporation"),
    ("admin@globex.test", "admin, Globex"),
    ("manager@globex.test", "manager, Globex"),
    ("member@globex.test", "member, Globex"),
    ("consultant@cairn.test", "member of both organisations"),
]

print_lock = threading.Lock()
pumps: list[threading.Thread] = []


def say(name: str, line: str) -> None:
    with print_lock:
        sys.stdout.write(f"{name:<6} | {line}\n")
        sys.stdout.flush()


def commands(port: str) -> dict[str, list[str]]:
    celery = str(BIN / "celery")
    return {
        "web": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        # The solo pool works with every broker, the filesystem one included.
        "worker": [celery, "-A", "config", "worker", "-l", "info", "--pool=solo"],
        "beat": [celery, "-A", "config", "beat", "-l", "info"],
    }


def start(name: str, argv: list[str]) -> subprocess.Popen:
    """Start a child in its own process group (runserver's reloader has a child too)."""
    proc = subprocess.Popen(  # noqa: S603 - fixed argv built above, no shell
        argv,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )

    def pump() -> None:
        for line in proc.stdout:
            say(name, line.rstrip("\n"))

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    pumps.append(thread)
    return proc


def stop(procs: dict[str, subprocess.Popen]) -> None:
    """SIGTERM every child's process group, then SIGKILL whatever is left."""
    for proc in procs.values():
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say("dev", f"{name} did not stop in {STOP_TIMEOUT}s: killing it")
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        # Also end anything left in the group (the reloader's child, pool processes).
        _signal_group(proc, signal.SIGKILL)
    for thread in pumps:
        thread.join(timeout=1)  # let the last lines of output through


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def main() -> int:
    port = os.environ.get("PORT", "8000")
    # Links in emails (invitations) point at this server.
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    stopping = threading.Event()

    def on_signal(signum, frame) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    say("dev", f"Cairn on http://127.0.0.1:{port}/ (Ctrl-C stops everything)")
    say("dev", 'Demo logins, password "cairn-demo" (create them with manage.py seed_demo):')
    for email, what in LOGINS:
        say("dev", f"  {email:<24} {what}")

    procs: dict[str, subprocess.Popen] = {}
    for name, argv in commands(port).items():
        procs[name] = start(name, argv)
    code = 0
    while not stopping.is_set():
        exited = [name for name, proc in procs.items() if proc.poll() is not None]
        if exited:
            name = exited[0]
            code = procs[name].returncode or 1
            say("dev", f"{name} exited with status {procs[name].returncode}: stopping the rest")
            break
        stopping.wait(0.2)
    else:
        say("dev", "Stopping...")
    stop(procs)
    say("dev", "Stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
