"""Forgets to declare its version and requirements."""
NAME = "no_metadata"
