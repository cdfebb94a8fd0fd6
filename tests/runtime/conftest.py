"""Runtime tests run the core with throwaway plugins only, so they test the machinery itself."""
import pytest

QUIET_PLUGIN = {"runtime_quiet": "tests.runtime.quiet_plugin"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": ["runtime_quiet"], "PC_EXTRA_PLUGINS": dict(QUIET_PLUGIN)}
