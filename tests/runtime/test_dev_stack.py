"""`pc-app dev` brings up the whole stack, mail reaches /dev/outbox, and Ctrl-C leaves nothing behind."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from pc_app.devstack import free_port

from .processes import PC_APP, REPO


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, read from /proc (no psutil needed)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def call(url: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read() or b"null")


def wait_for(predicate, timeout: float, what: str, proc, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"pc-app dev exited early:\n{log.read_text()[-3000:]}"
        try:
            result = predicate()
        except (urllib.error.URLError, OSError):
            result = None
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {timeout}s:\n{log.read_text()[-3000:]}")


def test_dev_stack_delivers_mail_to_the_outbox_and_stops_every_child_on_ctrl_c(tmp_path):
    # The state dir is the default `.pc-dev` of tmp_path, where the "second terminal" below runs.
    state = tmp_path / ".pc-dev"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "dev.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "PC_", "INITIAL_"))}
    with open(log, "wb") as out:
        proc = subprocess.Popen([PC_APP, "dev", "--port", str(port), "--state-dir", str(state)],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    children: set[int] = set()
    try:
        wait_for(lambda: "Ctrl-C stops everything" in log.read_text(), 60, "start-up", proc, log)
        assert call(f"{base}/readyz")[0] == 200
        banner = log.read_text()
        password = (state / "owner-password").read_text().strip()
        for line in (f"{base}/v1", f"{base}/docs", f"{base}/dev/outbox", "mongodb://127.0.0.1:", "redis://127.0.0.1:",
                     f"owner@partner-connector.local / {password}", "Hubspot sandbox", "Stripe sandbox", "/_sandbox"):
            assert line in banner
        children |= descendants(proc.pid)
        assert len(children) >= 7  # MongoDB, Redis, the HubSpot and Stripe sandboxes, worker, scheduler, API
        stripe_line = next(line for line in banner.splitlines() if "Stripe sandbox" in line)
        stripe_url = stripe_line.split()[2]
        stripe_config = call(f"{stripe_url}/_sandbox/config")[1]
        assert stripe_config["webhookUrl"] == f"{base}/v1/payments/webhooks/stripe"

        status, _ = call(f"{base}/v1/auth/sign-in", {"email": "owner@partner-connector.local", "password": password})
        assert status == 200
        assert call(f"{base}/v1/auth/forgot-password", {"email": "owner@partner-connector.local"})[0] == 202
        mails = wait_for(lambda: call(f"{base}/dev/outbox")[1], 15, "the reset mail in /dev/outbox", proc, log)
        assert mails[0]["to"] == "owner@partner-connector.local"
        assert "/reset-password?token=" in mails[0]["text"]

        # A second terminal: no MONGODB_URL, REDIS_URL or sandbox settings, only the stack's record.
        record = json.loads((state / "stack.json").read_text())
        assert record["api"] == base and (state / "stack.json").stat().st_mode & 0o077 == 0
        demo = subprocess.run([PC_APP, "demo-data", "--leads", "10"], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=180)
        assert demo.returncode == 0, demo.stderr[-3000:]
        assert "added 5 partners, 10 users, 10 leads, 3 payouts" in demo.stdout, demo.stdout
        assert "1 hubspotPortals" in demo.stdout and "1 conflicts" in demo.stdout and "note:" not in demo.stdout
        assert "demo data: " in demo.stderr and "done in" in demo.stderr   # not a terminal: plain lines
        people = demo.stdout.split("people (password ", 1)[1]
        buyers = [p.split(" (buyer")[0] for p in demo.stdout.split("partners: ", 1)[1].split("\n")[0].split("; ")
                  if "(buyer" in p]
        buyer = next(line.split()[0] for line in people.splitlines()[1:] if f"member of {buyers[0]}" in line)
        signed_in = call(f"{base}/v1/auth/sign-in", {"email": buyer, "password": people.split(")", 1)[0]})[1]
        request = urllib.request.Request(f"{base}/v1/marketplace/purchases?as=buyer",
                                         headers={"Authorization": f"Bearer {signed_in['accessToken']}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["total"] == 2   # the running API sees what demo-data made
    finally:
        children |= descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)

    assert "stopped." in log.read_text()
    assert not (state / "stack.json").exists()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in children if alive(pid)] == []


def test_dev_refuses_a_port_already_in_use(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([PC_APP, "dev", "--port", str(port), "--state-dir", str(tmp_path)], cwd=REPO,
                                capture_output=True, text=True, timeout=30)

    assert result.returncode != 0
    assert f"Port {port} is already in use" in result.stderr and "--port" in result.stderr
    assert not (tmp_path / "mongo").exists()  # nothing was started
