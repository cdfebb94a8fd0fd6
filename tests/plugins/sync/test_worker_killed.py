"""A real ``pc-app worker`` SIGKILLed while HubSpot executes its deal create: the next run finishes from the
checkpoint, finds the deals the dead worker created by our marker, and makes no duplicate deal or contact."""
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pc_app.testing import TEST_DB

from .conftest import ENCRYPTION_KEY, FAST, REDIRECT_URI, wait_until

REPO = Path(__file__).resolve().parents[3]
PC_APP = str(Path(sys.executable).parent / "pc-app")


@pytest.fixture
def app_config(app_config):
    # A checkpoint every 100 leads; a dead worker's lease runs out after a second.
    return {**app_config, "SYNC_LEASE_SECONDS": 1, "SYNC_BATCH_SIZE": 100}


def _worker_env(pc_services, sandbox) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "PC_", "HUBSPOT_"))}
    env.update(MONGODB_URL=pc_services.mongodb_url, MONGODB_DB=TEST_DB, REDIS_URL=pc_services.redis_url,
               PC_ENV="development", PYTHONPATH=str(REPO), PC_PLUGINS="hubspot,sync", ENCRYPTION_KEY=ENCRYPTION_KEY,
               HUBSPOT_REDIRECT_URI=REDIRECT_URI, SYNC_LEASE_SECONDS="1", SYNC_BATCH_SIZE="100",
               **{k: str(v) for k, v in sandbox.app_settings.items()},
               **{k: str(int(v)) for k, v in FAST.items()})
    return env


def test_a_worker_killed_mid_task_is_resumed_without_duplicate_deals_or_contacts(world, app, pc_services, tmp_path):
    from plugins.sync.models import DealLink, SyncTask

    actor, portal = world.connect()
    lead_ids = world.leads(actor, 400)
    task_id = world.trigger(actor).get_json()["taskId"]
    # HubSpot takes its time over the third deal create: the worker dies while HubSpot executes it.
    world.admin.slow_fraction(1500, 0.34, path="/crm/v3/objects/deals/batch/create", portal=portal, count=1)
    worker = subprocess.Popen([PC_APP, "worker", "sync"], env=_worker_env(pc_services, world.sandbox), cwd=REPO,
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / "worker.log", "w"))

    def third_create_received():  # the slow fault is used up once HubSpot received that call
        return not world.admin.faults()
    try:
        assert wait_until(third_create_received, timeout=60), (tmp_path / "worker.log").read_text()[-2000:]
        with app.app_context():
            assert DealLink.objects(partner=actor.partner_id, status="linked").count() == 200
            assert DealLink.objects(partner=actor.partner_id, create_attempted=True, status="pending").count() == 100
        with app.app_context():
            owner = SyncTask.objects(id=task_id).get().owner
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    horse = int(owner.split(":")[1])  # rq's work horse runs in a session of its own
    if horse != worker.pid:
        try:
            os.kill(horse, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # HubSpot finished the create the dead worker asked for: 300 deals, only 200 of them linked
    assert wait_until(lambda: len(world.deals(portal)) == 300, timeout=10)
    assert world.task(actor, task_id)["status"] == "running"

    world.admin.clear_faults()
    before = len(world.crm_calls(portal))
    wait_until(lambda: False, timeout=1.1)  # the dead worker's lease runs out
    assert world.trigger(actor).get_json()["taskId"] == task_id
    world.run_jobs()

    task = world.task(actor, task_id)
    assert task["status"] == "completed" and task["counts"]["created"] == 400
    deals = world.deals(portal)
    markers = Counter(d["properties"]["pc_lead_id"] for d in deals)
    assert len(deals) == 400 and sorted(markers) == lead_ids and set(markers.values()) == {1}
    emails = Counter(c["properties"]["email"] for c in world.admin.portal(portal)["contacts"])
    assert len(emails) == 400 and set(emails.values()) == {1}
    resumed = [c["route"] for c in world.crm_calls(portal, before)]
    # from the checkpoint: one search for our marker finds the dead worker's 100 deals, 100 more are created
    assert resumed.count("/crm/v3/objects/deals/search") == 1
    assert resumed.count("/crm/v3/objects/deals/batch/create") == 1
    with app.app_context():
        assert DealLink.objects(partner=actor.partner_id, status="linked").count() == 400
        assert SyncTask.objects(id=task_id).get().owner != owner
