"""Requires an older version of another plugin than the one enabled."""
NAME = "wants_old_recorder"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1", "event_recorder": "<1"}
