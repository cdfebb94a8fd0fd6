"""Half of a dependency cycle."""
NAME = "cycle_a"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1", "cycle_b": ">=1"}
