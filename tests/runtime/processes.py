"""Start ``pc-app`` commands as real child processes pointed at the test services."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pc_app.testing import TEST_DB

REPO = Path(__file__).resolve().parents[2]
PC_APP = str(Path(sys.executable).parent / "pc-app")


def service_env(pc_services, **extra) -> dict:
    """The environment a deployed process would get, aimed at the session's MongoDB and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "PC_"))}
    env.update(MONGODB_URL=pc_services.mongodb_url, MONGODB_DB=TEST_DB, REDIS_URL=pc_services.redis_url,
               PC_ENV="development", PYTHONPATH=str(REPO), LOG_LEVEL="INFO")
    env.update(extra)
    return env


def run_pc_app(args: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([PC_APP, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
