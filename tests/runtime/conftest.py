"""Runtime tests run the core with throwaway plugins only, so they test the machinery itself."""
import pytest

QUIET_PLUGIN = {"runtime_quiet": "tests.runtime.quiet_plugin"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": ["runtime_quiet"], "PC_EXTRA_PLUGINS": dict(QUIET_PLUGIN)}


def release_retries(app, queue: str) -> list[str]:
    """Make jobs waiting for a retry due now (rq's own API), instead of waiting out the backoff."""
    from rq.registry import ScheduledJobRegistry

    from pc_app.jobs import get_queue

    with app.app_context():
        registry = ScheduledJobRegistry(queue=get_queue(queue))
        job_ids = registry.get_job_ids()
        for job_id in job_ids:
            registry.requeue(job_id)
        return job_ids
