"""Shared fixtures come from the core's pytest plugin (pc_app.testing, loaded in setup.cfg)."""
