"""HTTP routes of the payments plugin, one blueprint per resource."""
from .invoices import blp as invoices_blp
from .payouts import blp as payouts_blp
from .purchases import blp as purchases_blp
from .reservations import blp as reservations_blp
from .webhooks import blp as webhooks_blp

BLUEPRINTS = (reservations_blp, purchases_blp, payouts_blp, webhooks_blp, invoices_blp)
