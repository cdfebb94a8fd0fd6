"""Payments plugin: seller payouts (Stripe Connect), reservations, card purchases, invoices and refunds."""
__version__ = "1.0.0"
NAME = "payments"
REQUIRES = {"pc_app": ">=1,<2", "marketplace": ">=1,<2"}
# Stripe's settings keep the names every Stripe integration uses.
SETTING_PREFIXES = ("STRIPE_",)
