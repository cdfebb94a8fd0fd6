"""The split of a sale: the platform's fee rounded half up to the cent, the seller's payout the rest."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    amount: int
    platform_fee: int
    seller_payout: int


def split(amount: int, fee_bps: int, house_sale: bool = False) -> Split:
    """``fee = round_half_up(amount × bps / 10000)``, ``payout = amount − fee``.

    The house seller (the platform's own partner) keeps 100 %: no fee, the whole amount as its
    payout, and no Stripe transfer (the money already sits in the platform's account).

    Integer arithmetic only (``(2 × a × bps + 10000) // 20000`` is a × bps / 10000 rounded half
    up), so fee + payout == amount exactly for every amount.
    """
    if house_sale:
        return Split(amount, 0, amount)
    fee = (2 * amount * fee_bps + 10000) // 20000
    return Split(amount, fee, amount - fee)
