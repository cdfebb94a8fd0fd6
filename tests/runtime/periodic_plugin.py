"""A throwaway plugin declaring one periodic job, as a feature plugin would."""
from pc_app import hookimpl
from pc_app.jobs import JobSpec

NAME = "runtime_periodic"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_register_jobs():
    """Declare a nightly digest on the mail queue."""
    return [JobSpec(id="nightly-digest", func="tests.runtime.sample_jobs.record_run", cron="0 3 * * *",
                    queue="mail", args=("nightly-digest",), description="Send the nightly digest")]
