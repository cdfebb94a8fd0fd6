"""The other half of a dependency cycle."""
NAME = "cycle_b"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1", "cycle_a": ">=1"}
