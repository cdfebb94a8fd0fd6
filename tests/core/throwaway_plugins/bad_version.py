"""Declares a version that is not a version."""
NAME = "bad_version"
__version__ = "one point oh"
REQUIRES = {"pc_app": ">=1"}
