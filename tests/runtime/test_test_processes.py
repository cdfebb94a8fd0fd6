"""`make test` runs in two test processes: servers given by PC_TEST_*_URL would be shared, so they are refused."""
import os
import subprocess
import sys

from .processes import REPO


def run_pytest(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PC_TEST_")}
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=REPO, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_servers_given_by_url_are_refused_to_more_than_one_test_process():
    shared = run_pytest("-n", "2", "tests/test_hooks_documented.py", PC_TEST_MONGODB_URL="mongodb://127.0.0.1:1",
                        PC_TEST_REDIS_URL="redis://127.0.0.1:1")
    assert shared.returncode == 4   # a usage error: nothing ran
    assert ("PC_TEST_MONGODB_URL, PC_TEST_REDIS_URL: servers every test process would share; run with -n 0 "
            "(make test TEST_WORKERS=0).") in shared.stderr
    alone = run_pytest("-n", "0", "--collect-only", "tests/test_hooks_documented.py",
                       PC_TEST_MONGODB_URL="mongodb://127.0.0.1:1")
    assert alone.returncode == 0, alone.stdout + alone.stderr
