"""What the payments plugin decides, one module per concern: payouts, reservations, purchases, the sale,
refunds, invoices, Stripe's webhooks and the replay of client idempotency keys."""
