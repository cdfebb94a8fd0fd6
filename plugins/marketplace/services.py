"""Marketplace business logic: list, reprice, delist, browse, detail with views, and the
small conditional state changes the payments plugin drives (reserve, relist, sell)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from mongoengine.errors import NotUniqueError
from pymongo import ReturnDocument

from pc_app.toolkit import (SYSTEM, Actor, Conflict, Invalid, Lead, NotFound, Partner, call_hook, emit,
                            iso_utc, utcnow)

from . import scoring, unmask_quota
from .browse import browse_answer
from .browse import TITLES_KEY, fit_terms, keep_titles, listings_changed
from .listing_changes import changing
from .masking import mask_email, mask_phone
from .models import Listing
from .unmask_quota import UnmaskLimitReached

UNMASK_POLICIES = ("view", "reservation", "purchase")
SELLER_SUSPENDED = "seller_suspended"  # the ``reason`` of a delisting because the seller was suspended


class ListingRefused(Conflict):
    """The lead cannot be listed or the listing cannot change (409); ``check`` names the failed rule."""

    def __init__(self, check: str, message: str, errors: dict | None = None):
        super().__init__(check, message, errors=errors)
        self.check = check


def own_lead(partner_id: str, lead_id: str) -> Lead:
    """The partner's live lead with this id.

    :raises NotFound: foreign and deleted leads look the same, so ids cannot be probed.
    """
    lead = Lead.objects(id=lead_id, partner=partner_id, is_deleted=False).first()
    if lead is None:
        raise NotFound("lead")
    return lead


def check_price(price: int) -> None:
    low, high = current_app.config["MARKETPLACE_MIN_PRICE"], current_app.config["MARKETPLACE_MAX_PRICE"]
    if not low <= price <= high:
        message = f"The price must be between {low} and {high} cents."
        raise Invalid("price", message)


def listing_vetoes(partner: Partner, lead: Lead) -> list[tuple[str, str]]:
    """Every ``(check, sentence)`` other plugins raise against listing this lead."""
    vetoes = []
    for _plugin, answer in call_hook("pc_listing_vetoes", partner=partner, lead=lead):
        vetoes.extend(tuple(item) for item in answer or [])
    return vetoes


def snapshot_of(lead: Lead) -> dict:
    """The lead's browse attributes as a listing stores them (contact data masked)."""
    email = (lead.email or "").strip().lower()
    return {
        "industry": lead.industry, "company_size": lead.company_size, "country": lead.country,
        "job_title": lead.job_title, "job_title_key": (lead.job_title or "").strip().lower() or None,
        "seniority": lead.seniority, "company": lead.company, "first_name": lead.first_name,
        "masked_email": mask_email(email), "masked_phone": mask_phone(lead.phone),
        "lead_created_at": lead.created_at, "email": email,
        "fit_terms": fit_terms(lead.seniority, (lead.job_title or "").strip().lower() or None),
    }


def list_lead(partner: Partner, lead: Lead, price: int, actor: Actor) -> Listing:
    """Offer the lead for sale; the sparse unique ``open_key`` refuses a second open listing."""
    check_price(price)
    if not lead.email:
        raise ListingRefused("leadEmail", "Only a lead with an e-mail address can be listed.")
    if getattr(lead, "read_only_reason", None):
        # A sold lead stays in its seller's history but belongs to its buyer now.
        raise ListingRefused("readOnly", "This lead was sold and is read-only; it cannot be listed again.")
    vetoes = listing_vetoes(partner, lead)
    if vetoes:
        sentences = " ".join(sentence for _check, sentence in vetoes)
        errors: dict = {}
        for check, sentence in vetoes:
            errors.setdefault(check, []).append(sentence)
        raise ListingRefused(vetoes[0][0], f"This lead cannot be listed: {sentences}", errors=errors)
    listing = Listing(lead=lead.id, seller=partner.id, open_key=lead.id, price=price,
                      currency=lead.currency or "usd", status="listed", **snapshot_of(lead))

    def insert() -> Listing | None:
        try:
            return listing.save(force_insert=True)
        except NotUniqueError:
            return None

    keep_titles()
    if _changes_browse(insert, _comes_back, title=listing.job_title_key) is None:
        raise ListingRefused("alreadyListed", "This lead is already on the marketplace.")
    emit("marketplace.lead_listed", partner_ids=[partner.id], actor=actor, payload={
        "listingId": listing.id, "leadId": lead.id, "sellerPartnerId": partner.id, "price": price,
        "currency": listing.currency, "matchingPartnerIds": matching_partner_ids(listing),
        "industry": listing.industry, "listedAt": iso_utc(listing.listed_at)})
    return listing


def matching_partner_ids(listing: Listing) -> list[str]:
    """Active partners (not the seller) whose ICP scores this listing at the notify threshold or more."""
    threshold = current_app.config["MARKETPLACE_NOTIFY_SCORE"]
    snapshot = listing.to_mongo().to_dict()
    found = []
    for partner in Partner.objects(status="active", id__ne=listing.seller).only("id", "icp"):
        score, _matched = scoring.score_listing(partner.icp, snapshot)
        if score is not None and score >= threshold:
            found.append(str(partner.id))
    return found


def open_listing_of(lead_id: str) -> Listing | None:
    return Listing.objects(open_key=lead_id).first()


def _refuse_change(lead_id: str, verb: str) -> None:
    listing = open_listing_of(lead_id)
    if listing is None:
        raise ListingRefused("notListed", f"This lead is not on the marketplace, so it cannot be {verb}.")
    raise ListingRefused("notListed", f"This lead is {listing.status}, so its listing cannot be {verb}.")


def reprice_listing(partner: Partner, lead: Lead, price: int, actor: Actor) -> Listing:
    """Change the price while the listing is ``listed`` (a reserved buyer keeps the price they saw)."""
    check_price(price)
    before = _changes_browse(
        lambda: Listing.objects(open_key=lead.id, seller=partner.id, status="listed").modify(
            set__price=price, set__updated_at=utcnow()),
        lambda before: (_as_browsed(before), {**_as_browsed(before), "price": price}))
    if before is None:
        _refuse_change(lead.id, "repriced")
    listing = Listing.objects(id=before.id).first()
    emit("marketplace.listing_repriced", partner_ids=[partner.id], actor=actor, payload={
        "listingId": listing.id, "leadId": lead.id, "oldPrice": before.price, "price": price,
        "currency": listing.currency})
    return listing


def delist_lead(partner: Partner, lead: Lead, actor: Actor) -> Listing:
    """Take a ``listed`` listing off the marketplace; reserved and sold ones stay as they are."""
    listing = _close_listed(lead.id, "seller", seller=partner.id)
    if listing is None:
        _refuse_change(lead.id, "delisted")
    _emit_delisted(listing, actor, "seller")
    return listing


def _close_listed(lead_id: str, reason: str, seller: str | None = None) -> Listing | None:
    query = {"open_key": lead_id, "status": "listed"}
    if seller is not None:
        query["seller"] = seller
    return _changes_browse(lambda: Listing.objects(**query).modify(
        new=True, set__status="delisted", unset__open_key=True, set__delisted_at=utcnow(), set__delisted_reason=reason,
        set__updated_at=utcnow()), _leaves)


def _changes_browse(write, rows_of, title: str | None = None) -> Listing | None:
    """Run a conditional write that moves one listing out of browse, into it, or both (a listing made, a
    reservation, a delisting, a relisting, a reprice, a snapshot refreshed), told to browse as it
    happens (``listing_changes``: what buyers learnt is kept); the listings version is bumped only
    when browse could not be told, or the listing brings a ``title`` browse does not know (its
    patterns are built from the listed titles: the title is added to them then). ``rows_of``: see
    ``listing_changes.changing``."""
    listing, told = changing(write, rows_of, needs=(TITLES_KEY, title))
    if listing is not None and not told:
        listings_changed(titles=[title])
    return listing


def _as_browsed(listing: Listing) -> dict:
    """The listing's document as browse reads it while it is listed (without its viewers: a popular
    listing's could be long, and no browse condition reads them)."""
    return {**listing.to_mongo().to_dict(), "status": "listed", "unique_viewers": []}


def _leaves(listing: Listing) -> tuple[dict, None]:
    """A listing that was listed and is not any more: out of browse."""
    return _as_browsed(listing), None


def _comes_back(listing: Listing) -> tuple[None, dict]:
    """A listing listed, or listed again: into browse."""
    return None, _as_browsed(listing)


def _emit_delisted(listing: Listing, actor: Actor, reason: str) -> None:
    emit("marketplace.lead_delisted", partner_ids=[listing.seller], actor=actor, payload={
        "listingId": listing.id, "leadId": listing.lead, "reason": reason, "industry": listing.industry,
        "price": listing.price})


def delist_for_lead(lead_id: str, reason: str, actor: Actor = SYSTEM) -> Listing | None:
    """Delist the lead's open listing if it is ``listed`` (lead deleted, deal won in the CRM...)."""
    if _listed_listing_id(lead_id) is None:
        return None
    listing = _close_listed(lead_id, reason)
    if listing is not None:
        _emit_delisted(listing, actor, reason)
    return listing


def delist_seller(seller_id: str, reason: str, actor: Actor = SYSTEM) -> int:
    """Delist every ``listed`` listing of a seller (suspended: it cannot trade); returns how many left.

    Reserved listings stay held: the payments plugin refuses their purchase and ``relist`` delists them
    when the hold ends. Idempotent: a second run finds nothing listed.
    """
    delisted = 0
    for listed in Listing.objects(seller=seller_id, status="listed").only("lead"):
        listing = _close_listed(listed.lead, reason, seller=seller_id)
        if listing is not None:
            _emit_delisted(listing, actor, reason)
            delisted += 1
    return delisted


def seller_suspended(seller_id: str) -> bool:
    """Whether the seller is suspended (one read of its status by id): its listings must not trade."""
    partner = Partner.objects(id=seller_id).only("status").first()
    return partner is not None and partner.status == "suspended"


def refresh_snapshot(lead_id: str) -> None:
    """Keep a listed lead's browse attributes in step with the lead after the seller edits it."""
    lead = Lead.objects(id=lead_id, is_deleted=False).first()
    if lead is None:
        return
    listing_id = _listed_listing_id(lead_id)
    if listing_id is None:
        return
    snapshot = snapshot_of(lead)
    _changes_browse(lambda: Listing.objects(id=listing_id, status="listed").modify(
        **{f"set__{key}": value for key, value in snapshot.items()}, set__updated_at=utcnow()),
        lambda before: (_as_browsed(before), {**_as_browsed(before), **snapshot}), title=snapshot["job_title_key"])


def reserved_lead_veto(lead: Lead) -> list[tuple[str, str]]:
    """Why the lead may not change while a buyer holds it: the buyer pays for the data it reserved (one indexed
    read of its open listing; a lead that is not reserved, as most are, changes as before)."""
    if Listing.objects(open_key=str(lead.id), status="reserved").only("id").first() is None:
        return []
    return [("reserved", "A buyer holds this lead on the marketplace: it cannot be edited or deleted until the "
                         "reservation ends (bought, cancelled or expired).")]


def _listed_listing_id(lead_id: str) -> str | None:
    """The id of the lead's listing while it is ``listed``, else None: one indexed read, so that an edit or
    a deletion of a lead that is not listed (most are; a CRM sync writes thousands) announces no change
    to browse (``listing_changes``), which would keep buyers from saving what they learn meanwhile."""
    found = Listing.objects(open_key=lead_id, status="listed").only("id").first()
    return None if found is None else found.id


# --- browse ------------------------------------------------------------------------------

def browse(partner: Partner, args: dict, schema):
    """One page of listed leads for a buyer, as its kept JSON answer (see ``browse.py``: read by score
    pattern, never scored in bulk)."""
    return browse_answer(partner, args, schema)


# --- detail and views ----------------------------------------------------------------------

def buyer_relationship(listing: Listing, partner: Partner) -> str | None:
    """What another plugin (payments) says about this partner and listing: purchased, reserved or None."""
    answers = {answer for _plugin, answer in call_hook("pc_buyer_relationship", listing=listing,
                                                       partner=partner) if answer}
    for relationship in ("purchased", "reserved"):
        if relationship in answers:
            return relationship
    return None


def may_unmask(policy: str, relationship: str | None) -> bool:
    if policy == "view":
        return True
    if policy == "reservation":
        return relationship in ("reserved", "purchased")
    return relationship == "purchased"


@dataclass
class ListingDetail:
    """What a partner sees when it opens a listing."""
    listing: Listing
    unmasked: bool
    relationship: str | None
    lead: Lead | None
    icp_score: int | None
    matched_criteria: list
    unmask_policy: str

    def as_dict(self) -> dict:
        """The listing's stored fields plus what this partner's view adds (``lead_doc`` when unmasked)."""
        return {**self.listing.to_mongo().to_dict(), "lead_doc": self.lead, "unmasked": self.unmasked,
                "relationship": self.relationship, "icp_score": self.icp_score,
                "matched_criteria": self.matched_criteria, "unmask_policy": self.unmask_policy}


def current_listing_of(lead_id: str) -> Listing | None:
    """The lead's open listing, else its latest one (sold or delisted); None if it was never listed."""
    return open_listing_of(lead_id) or Listing.objects(lead=lead_id).order_by("-created_at", "-id").first()


def open_listing_detail(partner: Partner, lead_id: str, actor: Actor) -> ListingDetail:
    """The listing of a lead (its open one, else its latest) as this partner may see it.

    Counts a view unless the partner is the seller. Listed listings are visible to every
    trading partner; reserved and sold ones only to the seller and to the buyer another
    plugin vouches for. Anything else is NotFound (404).

    :raises UnmaskLimitReached: opening it would unmask more listings today than
        ``MARKETPLACE_UNMASK_DAILY_LIMIT``; nothing is counted then.
    """
    listing = current_listing_of(lead_id)
    if listing is None:
        raise NotFound("listing")
    is_seller = listing.seller == partner.id
    policy = current_app.config["MARKETPLACE_UNMASK"]
    relationship = None
    if not is_seller and (listing.status != "listed" or policy != "view"):
        relationship = buyer_relationship(listing, partner)
    if not is_seller and listing.status != "listed" and relationship is None:
        raise NotFound("listing")
    unmasked = is_seller or may_unmask(policy, relationship)
    if unmasked and not is_seller and relationship is None:
        # Unmasked only because it was opened: counts against the daily limit (before anything changes).
        take_unmask_quota(partner, listing, actor)
    if not is_seller:
        listing = count_view(listing, partner, actor) or listing
    lead = Lead.objects(id=listing.lead).only("email", "phone", "last_name", "company_domain").first() \
        if unmasked else None
    score, matched = (None, []) if is_seller else scoring.score_listing(partner.icp, listing.to_mongo().to_dict())
    return ListingDetail(listing, unmasked and lead is not None, relationship, lead, score, matched, policy)


def take_unmask_quota(partner: Partner, listing: Listing, actor: Actor) -> None:
    """Count the listing against the partner's daily unmask limit.

    :raises UnmaskLimitReached: over the limit; the first refusal of the day emits
        ``marketplace.unmask_limit_reached`` (for the partner's analytics).
    """
    try:
        unmask_quota.take(partner.id, listing.id)
    except UnmaskLimitReached as exc:
        if exc.first:
            emit("marketplace.unmask_limit_reached", partner_ids=[partner.id], actor=actor, payload={
                "partnerId": partner.id, "limit": exc.limit, "day": utcnow().date().isoformat()})
        raise


def count_view(listing: Listing, partner: Partner, actor: Actor) -> Listing | None:
    """Count one view atomically: ``$inc`` always, ``$addToSet`` keeps one entry per partner."""
    before = Listing._get_collection().find_one_and_update(
        {"_id": listing.id, "seller": {"$ne": partner.id}},
        {"$inc": {"view_count": 1}, "$addToSet": {"unique_viewers": partner.id}},
        projection={"unique_viewers": 1, "view_count": 1, "seller": 1},  # the seller: only its list ends
        return_document=ReturnDocument.BEFORE)
    if before is None:
        return None
    first_view = partner.id not in (before.get("unique_viewers") or [])
    listing.view_count = int(before.get("view_count") or 0) + 1
    listing.unique_viewers = list(before.get("unique_viewers") or []) + ([partner.id] if first_view else [])
    emit("marketplace.lead_viewed", partner_ids=[listing.seller], actor=actor, payload={
        "listingId": listing.id, "leadId": listing.lead, "viewerPartnerId": partner.id, "firstView": first_view})
    return listing


def my_listings(partner_id: str, status: str | None):
    """The partner's own listings, newest first, optionally of one status."""
    query = {"seller": partner_id}
    if status:
        query["status"] = status
    return Listing.objects(**query).order_by("-created_at", "-id")


def has_listed(partner_id: str) -> bool:
    """Whether the partner has ever listed a lead (the ``firstLeadListed`` onboarding step)."""
    return Listing.objects(seller=partner_id).only("id").first() is not None


# --- for the payments plugin: conditional single-document state changes --------------------

def get_open_listing(listing_id: str) -> Listing | None:
    """The listing if it can be reserved right now (status ``listed``), else None."""
    return Listing.objects(id=listing_id, status="listed").first()


def get_listing(listing_id: str) -> Listing | None:
    """A listing in any state (payments reads the price, the seller and the snapshot)."""
    return Listing.objects(id=listing_id).first()


def _epoch_ms(moment) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _reserve(query: dict, buyer_partner_id: str, expires_at, hold_id: str | None) -> Listing | None:
    return _changes_browse(lambda: Listing.objects(**query, status="listed", seller__ne=buyer_partner_id).modify(
        new=True, set__status="reserved", set__reserved_by=buyer_partner_id, set__reserved_at=utcnow(),
        set__reservation_expires_at=expires_at, set__reservation_expires_ms=_epoch_ms(expires_at),
        set__hold_id=hold_id, set__updated_at=utcnow()), _leaves)


def mark_reserved(listing_id: str, buyer_partner_id: str, expires_at=None, hold_id: str | None = None
                  ) -> Listing | None:
    """``listed`` → ``reserved`` for this buyer in one conditional update; None if someone else won.

    ``hold_id`` names the hold (payments: the reservation id), so that only that hold is released later.
    """
    return _reserve({"id": listing_id}, buyer_partner_id, expires_at, hold_id)


def mark_lead_reserved(lead_id: str, buyer_partner_id: str, expires_at=None, hold_id: str | None = None
                       ) -> Listing | None:
    """Reserve the lead's open listing (``listed`` → ``reserved``) in one conditional update.

    Exactly one of racing buyers gets the listing back; the others, the seller, and anyone
    when the lead is not listed get None (``why_not_reservable`` says why).
    """
    return _reserve({"open_key": lead_id}, buyer_partner_id, expires_at, hold_id)


def buyer_owns_lead(buyer_partner_id: str, email: str) -> bool:
    """Whether the buyer already has a live lead with this e-mail (one read of the unique ``email_key``): browse
    never shows it such a listing, and reserving or buying one would charge it for a lead it has."""
    return Lead.objects(email_key=Lead.make_email_key(buyer_partner_id, email)).only("id").first() is not None


ALREADY_OWNED = ("alreadyOwned", "You already have a lead with this e-mail address, so this listing is not for you; "
                                 "nothing was reserved or charged.")


def why_not_reservable(lead_id: str, buyer_partner_id: str) -> tuple[str, str] | None:
    """Why ``mark_lead_reserved`` refused: ``(rule, sentence)``, or None when the lead has no listing at all."""
    listing = current_listing_of(lead_id)
    if listing is None or (listing.status == "delisted" and listing.seller != buyer_partner_id):
        return None
    if listing.seller == buyer_partner_id:
        return "ownListing", "You cannot reserve your own listing."
    if listing.status == "reserved":
        if listing.reserved_by == buyer_partner_id:
            return "alreadyReserved", "You have already reserved this lead."
        return "alreadyReserved", "Another buyer has reserved this lead; it may be listed again when the hold ends."
    if listing.status == "sold":
        return "alreadySold", "This lead has been sold."
    return "notListed", "This lead is not on the marketplace any more."


def card_of(listing: Listing) -> dict:
    """The listing's masked browse card (camelCase, as buyers see it), for another plugin to keep."""
    created = listing.lead_created_at
    return {"id": listing.id, "leadId": listing.lead, "price": listing.price, "currency": listing.currency,
            "firstName": listing.first_name, "company": listing.company, "jobTitle": listing.job_title,
            "seniority": listing.seniority, "industry": listing.industry, "companySize": listing.company_size,
            "country": listing.country, "email": listing.masked_email, "phone": listing.masked_phone,
            "leadCreatedAt": iso_utc(created), "listedAt": iso_utc(listing.listed_at)}


def extend_reservation(listing_id: str, buyer_partner_id: str, expires_at) -> Listing | None:
    """Record a new expiry while this buyer still holds the reservation."""
    return Listing.objects(id=listing_id, status="reserved", reserved_by=buyer_partner_id).modify(
        new=True, set__reservation_expires_at=expires_at, set__reservation_expires_ms=_epoch_ms(expires_at),
        set__updated_at=utcnow())


def relist(listing_id: str, buyer_partner_id: str | None = None, hold_id: str | None = None) -> Listing | None:
    """``reserved`` → ``listed`` (expiry or cancel); with a buyer id only that buyer's hold is released,
    with a hold id only that hold (a late retry never releases the same buyer's newer hold)."""
    query = {"id": listing_id, "status": "reserved"}
    if buyer_partner_id is not None:
        query["reserved_by"] = buyer_partner_id
    if hold_id is not None:
        query["hold_id"] = hold_id
    held = Listing.objects(**query).only("seller").first()
    if held is None:
        return None
    if seller_suspended(held.seller):
        # A suspended seller's listing does not come back when its hold ends: it leaves the marketplace.
        closed = Listing.objects(**query).modify(
            new=True, set__status="delisted", unset__open_key=True, set__delisted_at=utcnow(),
            set__delisted_reason=SELLER_SUSPENDED, unset__reserved_by=True, unset__reserved_at=True,
            unset__reservation_expires_at=True, unset__reservation_expires_ms=True, unset__hold_id=True,
            set__updated_at=utcnow())
        if closed is not None:  # reserved to delisted: browse showed it as neither
            _emit_delisted(closed, SYSTEM, SELLER_SUSPENDED)
        return closed
    # Back in browse with its snapshot, and so its title, as it was.
    return _changes_browse(lambda: Listing.objects(**query).modify(
        new=True, set__status="listed", unset__reserved_by=True, unset__reserved_at=True,
        unset__reservation_expires_at=True, unset__reservation_expires_ms=True, unset__hold_id=True,
        set__updated_at=utcnow()), _comes_back)


def reservations_lapsed_before(epoch_ms: int, limit: int = 500) -> list[tuple[str, str, str | None]]:
    """``(listing id, buyer partner id, hold id)`` of reserved listings whose hold ended before ``epoch_ms``.

    The payments sweeper releases those its own records no longer explain (a crash between
    reserving the listing and recording the reservation).
    """
    rows = Listing._get_collection().find({"status": "reserved", "reservation_expires_ms": {"$lt": epoch_ms}},
                                          {"_id": 1, "reserved_by": 1, "hold_id": 1}).limit(limit)
    return [(str(row["_id"]), row.get("reserved_by"), row.get("hold_id")) for row in rows]


def mark_sold(listing_id: str, buyer_partner_id: str, price: int | None = None, sale_ref: str | None = None
              ) -> Listing | None:
    """``reserved`` (by this buyer) → ``sold``; frees the lead for a future listing by its new owner.

    ``sale_ref`` names what sold it (payments: the purchase id), so a repeat of the same sale can
    tell itself from a second payment for a listing already sold.
    """
    listing = Listing.objects(id=listing_id, status="reserved", reserved_by=buyer_partner_id).first()
    if listing is None:
        return None
    # Reserved to sold: browse showed it as neither, so nothing it learnt changes.
    return Listing.objects(id=listing_id, status="reserved", reserved_by=buyer_partner_id).modify(
        new=True, set__status="sold", set__buyer=buyer_partner_id, set__sold_at=utcnow(),
        set__sold_price=listing.price if price is None else price, set__sale_ref=sale_ref, unset__open_key=True,
        unset__hold_id=True, set__updated_at=utcnow())
