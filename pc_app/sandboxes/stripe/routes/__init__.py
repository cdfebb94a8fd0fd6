"""The Stripe sandbox's routes, one module per resource (and one for the pages a browser opens)."""
