"""Activity plugin: every event becomes activities, a live stream, e-mails and signed webhooks, per preferences."""
__version__ = "1.0.0"
NAME = "activity"
REQUIRES = {"pc_app": ">=1,<2"}
# Outgoing-webhook settings read better under their own prefix.
SETTING_PREFIXES = ("ACTIVITY_", "WEBHOOKS_")
