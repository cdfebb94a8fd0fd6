"""Requires a core version that does not exist yet."""
NAME = "wants_core_2"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=2,<3"}
