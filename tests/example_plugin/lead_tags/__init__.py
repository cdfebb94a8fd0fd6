"""Lead tags: the example plugin of docs/plugins.md, written only against ``pc_app.toolkit``.

Partner users tag their leads (``hot``, ``q3-campaign``); a tag added is an event; a
deleted lead loses its tags through a durable subscription.
"""
__version__ = "1.0.0"
NAME = "lead_tags"
REQUIRES = {"pc_app": ">=1,<2"}
