"""Creating and changing partners: unique slugs under concurrency, ICP updates, status moves."""
from __future__ import annotations

import re
import unicodedata

from mongoengine.errors import NotUniqueError

from ...actors import Actor
from ...db import text_contains
from ...events import emit
from ..models import ICP, Partner, utcnow


def partner_query(args: dict):
    """Partners for platform staff, newest first, by status and a search on name and slug."""
    query = {}
    if args.get("status"):
        query["status"] = args["status"]
    qs = Partner.objects(**query).order_by("-created_at", "-id")  # the id breaks ties: pages never overlap
    if args.get("q"):
        qs = qs.filter(__raw__=text_contains(("name", "slug"), args["q"]))
    return qs


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60].strip("-") or "partner"


def create_partner(name: str, *, status: str, website: str | None = None, phone: str | None = None,
                   is_platform: bool = False, icp: dict | None = None) -> Partner:
    """Insert a partner under the first free slug: ``acme``, ``acme-2``, ``acme-3``...

    The unique index decides between racing registrations, so two requests for the same name
    always end with two distinct slugs.
    """
    base = slugify(name)
    # One query for the likely candidates; the unique index still settles races below.
    candidates = [base] + [f"{base}-{i}" for i in range(2, 51)]
    taken = {p.slug for p in Partner.objects(slug__in=candidates).only("slug")}
    n = 1
    while True:
        slug = base if n == 1 else f"{base}-{n}"
        n += 1
        if slug in taken:
            continue
        partner = Partner(name=name.strip(), slug=slug, website=website, phone=phone, status=status,
                          is_platform=is_platform, icp=ICP(**(icp or {})))
        if status == "active":
            partner.activated_at = utcnow()
        try:
            return partner.save(force_insert=True)
        except NotUniqueError:
            taken.add(slug)


def update_partner(partner: Partner, changes: dict, actor: Actor) -> Partner:
    for key in ("name", "website", "phone"):
        if key in changes:
            setattr(partner, key, changes[key])
    if "icp" in changes:
        partner.icp = ICP(**changes["icp"])
    partner.save()
    emit("core.partner_updated", partner_ids=[partner.id], actor=actor,
         payload={"partnerId": str(partner.id), "fields": sorted(changes)})
    return partner


def set_partner_status(partner_id, *, to: str, allowed_from: tuple[str, ...], reason: str | None = None
                       ) -> Partner | None:
    """Move a partner's status with one conditional update; None when it was not in ``allowed_from``."""
    now = utcnow()
    updates = {"set__status": to, "set__updated_at": now, "set__status_reason": reason}
    if to == "suspended":
        updates["set__suspended_at"] = now
    partner = Partner.objects(id=partner_id, status__in=allowed_from).modify(new=True, **updates)
    if partner is not None and to == "active" and partner.activated_at is None:
        # The first activation date stays: reinstating a suspended partner does not move it.
        Partner.objects(id=partner_id, activated_at=None).update_one(set__activated_at=now)
        partner.reload()
    return partner
