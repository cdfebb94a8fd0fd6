"""Sync plugin: each lead of a connected partner kept in step with one HubSpot deal, both ways, conflicts for people."""
__version__ = "1.0.0"
NAME = "sync"
REQUIRES = {"pc_app": ">=1,<2", "hubspot": ">=1,<2"}
