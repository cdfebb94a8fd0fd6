"""Analytics plugin: partner and marketplace numbers from daily rollups folded from the event stream."""
__version__ = "1.0.0"
NAME = "analytics"
REQUIRES = {"pc_app": ">=1,<2"}
