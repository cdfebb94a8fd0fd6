"""Requires a plugin that is not installed."""
NAME = "needs_ghost"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2", "ghost": ">=1"}
