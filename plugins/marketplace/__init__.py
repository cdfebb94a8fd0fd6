"""Marketplace plugin: list leads for sale, browse them ranked by ICP fit, detail and views."""
__version__ = "1.0.0"
NAME = "marketplace"
REQUIRES = {"pc_app": ">=1,<2"}
