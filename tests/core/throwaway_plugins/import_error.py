"""Fails on import, like a plugin whose dependency is not installed."""
import pc_app_no_such_dependency  # noqa: F401

NAME = "import_error"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1"}
