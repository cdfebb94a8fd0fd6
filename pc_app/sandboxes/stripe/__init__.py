"""A Stripe sandbox: a real HTTP server answering Stripe's API for what a Connect marketplace does.

Connect Express accounts and account links, PaymentIntents with Stripe's test payment methods
(declines, 3-D Secure), destination charges with transfers and application fees, refunds with
transfer reversals and fee refunds, balances, idempotency keys, events and signed webhooks.
Run it with ``python -m pc_app.sandboxes stripe --port N``; point the ``stripe`` SDK at it with
``stripe.StripeClient(key, base_addresses={"api": "http://127.0.0.1:N"})``.
"""
