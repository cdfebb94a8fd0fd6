"""HubSpot plugin: OAuth 2.0 connection, encrypted tokens, the deal pipeline, token refresh."""
__version__ = "1.0.0"
NAME = "hubspot"
REQUIRES = {"pc_app": ">=1,<2"}
