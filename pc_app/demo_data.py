"""Demo data for a local stack: a marketplace worth looking at, made through the API the way partners would make it.

A plan (partners, people, leads, prices) is drawn once from a seeded Faker, so the same seed gives
the same data; then each step looks up what already exists before it acts, so a second run adds
nothing. Partners and people are created by the core's services; everything else (leads, payouts,
listings, reservations, purchases, the HubSpot connection and its sync) goes through the API with
the app's test client, and through the HubSpot and Stripe sandboxes of ``make dev`` when they are
there, so every record is as consistent as one a user made.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import phonenumbers

DEMO_PASSWORD = "Demo-Partner-2026!"
DEFAULT_SEED = 2026
DEFAULT_LEADS = 200
CARD = "pm_card_visa"

# Faker's locale for each country the demo's leads and partners come from.
LOCALES = {"US": "en_US", "CA": "en_CA", "GB": "en_GB", "DE": "de_DE", "FR": "fr_FR", "NL": "nl_NL"}
TITLES = {"c_level": ["CTO", "COO", "CEO", "CFO", "Chief Revenue Officer"],
          "vp": ["VP Engineering", "VP Operations", "VP Sales", "VP Marketing"],
          "director": ["Director of IT", "Head of Engineering", "Director of Procurement", "Head of Growth"],
          "manager": ["Operations Manager", "Procurement Manager", "Engineering Manager", "Marketing Manager"],
          "individual": ["Software Engineer", "Buyer", "Data Analyst", "Account Executive"]}
DEAL_STATUSES = ["new"] * 5 + ["scheduled"] * 2 + ["in_touch"] * 2 + ["won", "lost_no_show", "lost_disqualified",
                                                                         "lost_no_potential"]
COMPANY_SIZES = ["11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"]

# Who the demo partners are: three sellers with payouts enabled, two buyers; the first buyer
# connects HubSpot. Each trades in its own industries, so browse ranks differently for each.
ROLES = [
    {"role": "seller", "industries": ["saas", "software", "cybersecurity"], "country": "US"},
    {"role": "seller", "industries": ["healthcare", "pharmaceuticals", "biotech"], "country": "DE"},
    {"role": "seller", "industries": ["fintech", "banking", "insurance", "financial_services"], "country": "GB"},
    {"role": "buyer", "hubspot": True, "industries": ["saas", "fintech", "healthcare"], "country": "US",
     "sizes": ["51-200", "201-500", "501-1000"], "countries": ["US", "CA", "GB"], "seniorities": ["c_level", "vp"],
     "titles": ["cto", "vp engineering", "head of engineering"]},
    {"role": "buyer", "industries": ["biotech", "insurance", "cybersecurity", "banking"], "country": "FR",
     "sizes": ["201-500", "1001-5000", "5001+"], "countries": ["DE", "FR", "NL", "GB"],
     "seniorities": ["director", "manager"], "titles": ["procurement", "operations"]},
]
# Every demo partner gets a share of the leads, and the steps count on it (the HubSpot buyer's first lead
# carries the conflict left open): fewer would stop half-way, after partners and people were written.
MIN_LEADS = len(ROLES)
LISTINGS_PER_SELLER = 12
PURCHASES_PER_BUYER = 2
OPEN_RESERVATIONS_PER_BUYER = 2


@dataclass
class PartnerPlan:
    name: str
    domain: str
    role: str
    country: str
    industries: list
    icp: dict
    hubspot: bool
    people: list  # (name, email, is owner)
    leads: list = field(default_factory=list)  # API bodies


@dataclass
class DemoReport:
    """What a run created (``created``) and what it found (``partners``, ``users``, ``notes``)."""
    created: dict = field(default_factory=lambda: dict.fromkeys(
        ("partners", "users", "leads", "payouts", "listings", "reservations", "purchases", "hubspotPortals",
         "syncedDeals", "conflicts", "jobs"), 0))
    partners: list = field(default_factory=list)
    users: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)

    @property
    def added_anything(self) -> bool:
        return any(count for name, count in self.created.items() if name != "jobs")


class DemoStepFailed(RuntimeError):
    """A request of the demo answered something it should not; the message names the request and the answer."""


def _phone(fake, country: str) -> str:
    """A number that exists in ``country``'s numbering plan (the API refuses others), in E.164."""
    for _ in range(50):
        try:
            parsed = phonenumbers.parse(fake.phone_number(), country)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def _ascii(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in plain if ch.isalnum() or ch in ".-") or "x"


def _domain(company: str) -> str:
    words = [_ascii(w) for w in company.replace(",", " ").replace("&", " ").split()]
    return "-".join(w.strip(".-") for w in words[:2] if w.strip(".-")) + ".example"


def check_lead_count(leads: int) -> None:
    """Refuse too few leads before anything is written.

    :raises click.BadParameter: named after ``--leads``, so ``pc-app demo-data`` prints one sentence and exits 2.
    """
    import click

    if leads < MIN_LEADS:
        raise click.BadParameter(f"{leads} is too few: the demo needs at least {MIN_LEADS}, one lead for each of its "
                                 f"partners.", param_hint="'--leads'")


def demo_plan(seed: int = DEFAULT_SEED, leads: int = DEFAULT_LEADS) -> list[PartnerPlan]:
    """The partners, their people and their leads: the same seed always gives the same plan."""
    from faker import Faker

    check_lead_count(leads)
    fakers = {country: Faker(locale) for country, locale in LOCALES.items()}
    for n, fake in enumerate(fakers.values()):
        fake.seed_instance(seed * 100 + n)
    chooser = fakers["US"]
    countries = list(LOCALES)
    plans = []
    per_partner = [leads // len(ROLES) + (1 if i < leads % len(ROLES) else 0) for i in range(len(ROLES))]
    for index, (spec, count) in enumerate(zip(ROLES, per_partner)):
        home = fakers[spec["country"]]
        name = f"{home.last_name()} {chooser.random_element(['Growth', 'Sales', 'Partners', 'Leads', 'Revenue'])}"
        domain = _domain(name)
        people = []
        for is_owner in (True, False):
            first, last = home.first_name(), home.last_name()
            people.append((f"{first} {last}", f"{_ascii(first)}.{_ascii(last)}@{domain}", is_owner))
        icp = {"industries": spec["industries"]}
        if spec["role"] == "buyer":
            icp.update(companySizes=spec["sizes"], countries=spec["countries"], seniorities=spec["seniorities"],
                       jobTitles=spec["titles"], maxPrice=60_000)
        plan = PartnerPlan(name, domain, spec["role"], spec["country"], spec["industries"], icp,
                           bool(spec.get("hubspot")), people)
        for n in range(count):
            country = chooser.random_element(countries)
            fake = fakers[country]
            company = fake.company()
            company_domain = _domain(company)
            first, last = fake.first_name(), fake.last_name()
            seniority = chooser.random_element(list(TITLES))
            plan.leads.append({
                "firstName": first, "lastName": last,
                "email": f"{_ascii(first)}.{_ascii(last)}.{index}{n:03d}@{company_domain}",
                "phone": _phone(fake, country), "company": company, "companyDomain": company_domain,
                "jobTitle": chooser.random_element(TITLES[seniority]), "seniority": seniority,
                "industry": chooser.random_element(spec["industries"]),
                "companySize": chooser.random_element(COMPANY_SIZES), "country": country,
                "dealAmount": chooser.random_int(20, 800) * 10_000,
                "dealStatus": chooser.random_element(DEAL_STATUSES), "source": "demo"})
        plans.append(plan)
    return plans


def listing_price(lead: dict) -> int:
    """Between $50 and $600, higher for senior people at large companies (cents)."""
    weight = {"c_level": 5, "vp": 4, "director": 3, "manager": 2, "individual": 1}[lead["seniority"]]
    return 5_000 + weight * 10_000 + COMPANY_SIZES.index(lead["companySize"]) * 1_000


class DemoWorld:
    """The app's test client with a bearer token per person, and the sandboxes (when there are any)."""

    def __init__(self, app, sandboxes: dict, progress):
        self.app, self.client, self.sandboxes, self.progress = app, app.test_client(), sandboxes, progress
        self._headers: dict = {}

    def headers(self, email: str) -> dict:
        if email not in self._headers:
            from .auth import issue_tokens
            from .core.models import User

            token = issue_tokens(User.objects(email=email).get())["accessToken"]
            self._headers[email] = {"Authorization": f"Bearer {token}"}
        return self._headers[email]

    def call(self, method: str, path: str, email: str | None = None, expect=(200,), **kwargs):
        headers = {**(self.headers(email) if email else {}), **kwargs.pop("headers", {})}
        answer = self.client.open(path, method=method, headers=headers, **kwargs)
        if answer.status_code not in expect:
            raise DemoStepFailed(f"{method} {path} answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
        return answer.get_json() if answer.is_json else answer

    def all_pages(self, path: str, email: str, **query) -> list[dict]:
        items, page = [], 1
        while True:
            body = self.call("GET", path, email, query_string={**query, "page": page, "perPage": 100})
            items += body["items"]
            if page >= body["pages"]:
                return items
            page += 1

    def deliver_webhooks(self) -> None:
        """Webhooks a sandbox recorded (tests) go to the app now; in ``make dev`` the sandboxes send them themselves."""
        for sandbox in self.sandboxes.values():
            sandbox.deliver_webhooks(self.client)

    def run_jobs(self) -> int:
        """Run what is queued with a real RQ worker in this process (the dev worker may take some too)."""
        from rq import SimpleWorker

        from .jobs import QUEUES, get_queue

        queues = [get_queue(name) for name in QUEUES]
        before = sum(q.count for q in queues)
        SimpleWorker(queues, connection=queues[0].connection).work(burst=True, logging_level="WARNING",
                                                                     with_scheduler=False)
        return before

    def wait_for(self, predicate, what: str, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while True:
            self.deliver_webhooks()
            self.run_jobs()
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise DemoStepFailed(f"{what} did not happen within {timeout:.0f} s")
            time.sleep(0.2)


def _ensure_people(plans, report: DemoReport, world: DemoWorld) -> dict:
    from .core.models import Partner, User
    from .core.partners.services import create_partner, slugify
    from .core.users.services import create_user

    partners = {}
    for plan in plans:
        partner = Partner.objects(slug=slugify(plan.name)).first()
        if partner is None:
            icp = {"industries": plan.icp["industries"], "company_sizes": plan.icp.get("companySizes", []),
                   "countries": plan.icp.get("countries", []), "job_titles": plan.icp.get("jobTitles", []),
                   "seniorities": plan.icp.get("seniorities", []), "max_price": plan.icp.get("maxPrice")}
            partner = create_partner(plan.name, status="active", website=f"https://{plan.domain}", icp=icp)
            report.created["partners"] += 1
        partners[plan.name] = str(partner.id)
        report.partners.append(f"{partner.name} ({plan.role}{', HubSpot' if plan.hubspot else ''})")
        for name, email, is_owner in plan.people:
            if User.objects(email=email).first() is None:
                create_user(email, name, partner_id=partner.id, is_partner_owner=is_owner, password=DEMO_PASSWORD)
                report.created["users"] += 1
            report.users.append(f"{email} ({'partner owner' if is_owner else 'member'} of {partner.name})")
        world.progress.advance()
    return partners


def _ensure_leads(plans, partners: dict, report: DemoReport, world: DemoWorld) -> dict:
    """Each plan's leads by e-mail (created through ``POST /v1/leads`` when missing): ``{partner: {email: id}}``."""
    from .core.models import Lead

    ids = {}
    for plan in plans:
        partner_id, member = partners[plan.name], plan.people[1][1]
        existing = {lead.email: str(lead.id) for lead in Lead.objects(partner=partner_id).only("email")}
        for body in plan.leads:
            if body["email"] not in existing:
                existing[body["email"]] = world.call("POST", "/v1/leads", member, expect=(201,), json=body)["id"]
                report.created["leads"] += 1
            world.progress.advance()
        ids[plan.name] = existing
    return ids


def _ensure_payouts(plans, report: DemoReport, world: DemoWorld) -> None:
    stripe = world.sandboxes.get("stripe")
    for plan in (p for p in plans if p.role == "seller"):
        owner = plan.people[0][1]
        status = world.call("GET", "/v1/payments/connect/status", owner)
        if not status["payoutsEnabled"]:
            world.call("POST", "/v1/payments/connect/onboarding", owner, expect=(200, 201))
            account = world.call("GET", "/v1/payments/connect/status", owner)["accountId"]
            stripe.admin.complete_onboarding(account)  # what the seller does on Stripe's onboarding page
            world.wait_for(lambda owner=owner: world.call("GET", "/v1/payments/connect/status", owner)["payoutsEnabled"],
                           f"payouts of {plan.name}")
            report.created["payouts"] += 1
        world.progress.advance()


def _ensure_listings(plans, lead_ids: dict, report: DemoReport, world: DemoWorld) -> None:
    for plan in (p for p in plans if p.role == "seller"):
        member = plan.people[1][1]
        listed = {item["leadId"] for item in world.all_pages("/v1/marketplace/my-listings", member)}
        for body in plan.leads[:LISTINGS_PER_SELLER]:
            lead_id = lead_ids[plan.name][body["email"]]
            if lead_id not in listed:
                world.call("POST", f"/v1/marketplace/leads/{lead_id}/list", member, expect=(201,),
                           json={"price": listing_price(body)})
                report.created["listings"] += 1
            world.progress.advance()


def _ensure_trades(plans, report: DemoReport, world: DemoWorld) -> None:
    """Each buyer: two purchases paid by card through Stripe (with their invoices) and two open reservations."""
    for plan in (p for p in plans if p.role == "buyer"):
        member = plan.people[1][1]
        bought = world.call("GET", "/v1/marketplace/purchases", member, query_string={"as": "buyer"})["total"]
        held = world.call("GET", "/v1/marketplace/reservations", member, query_string={"status": "active"})["total"]
        wanted = max(0, PURCHASES_PER_BUYER - bought) + max(0, OPEN_RESERVATIONS_PER_BUYER - held)
        cards = world.call("GET", "/v1/marketplace/leads", member,
                           query_string={"sort": "score", "perPage": 50})["items"] if wanted else []
        for card in cards[:wanted]:
            reservation = world.call("POST", f"/v1/marketplace/leads/{card['leadId']}/reserve", member,
                                     expect=(201,))
            report.created["reservations"] += 1
            if bought < PURCHASES_PER_BUYER:
                world.call("POST", "/v1/marketplace/purchases", member, expect=(201,),
                           json={"reservationId": reservation["id"], "paymentMethodId": CARD},
                           headers={"Idempotency-Key": f"demo-{reservation['id']}"})
                report.created["purchases"] += 1
                bought += 1
            world.deliver_webhooks()
        world.progress.advance(PURCHASES_PER_BUYER + OPEN_RESERVATIONS_PER_BUYER)


def _connect_hubspot(plan, partner_id: str, report: DemoReport, world: DemoWorld) -> int | None:
    """The OAuth dance a browser walks: our authorize link, the sandbox's consent page, our callback."""
    import requests

    owner, hubspot = plan.people[0][1], world.sandboxes["hubspot"]
    status = world.call("GET", f"/v1/integrations/hubspot/{partner_id}/status", owner)
    if status["connected"]:
        return status["hubId"]
    portal = hubspot.admin.create_portal()
    link = world.call("GET", "/v1/integrations/hubspot/authorize", owner,
                      query_string={"partnerId": partner_id})["authorizationUrl"]
    consent = requests.get(link, params={"portal": portal}, allow_redirects=False, timeout=10)
    callback = urlsplit(consent.headers["Location"])
    done = world.call("GET", f"{callback.path}?{callback.query}", expect=(302,))
    if "status=success" not in done.headers["Location"]:
        raise DemoStepFailed(f"connecting HubSpot ended at {done.headers['Location']}")
    report.created["hubspotPortals"] += 1
    return portal


def _sync(plan, partner_id: str, world: DemoWorld) -> dict:
    member = plan.people[1][1]
    task_id = world.call("POST", f"/v1/sync/{partner_id}/hubspot", member, expect=(202,))["taskId"]
    return world.wait_for(lambda: (lambda task: task if task["status"] in ("completed", "failed") else None)(
        world.call("GET", f"/v1/sync/tasks/{task_id}", member)), "the HubSpot sync")


def _ensure_hubspot(plans, partners: dict, lead_ids: dict, report: DemoReport, world: DemoWorld) -> None:
    """The HubSpot buyer's portal, its leads synced as deals, and one conflict left open to resolve."""
    for plan in (p for p in plans if p.hubspot):
        partner_id, member = partners[plan.name], plan.people[1][1]
        portal = _connect_hubspot(plan, partner_id, report, world)
        world.progress.advance()
        hubspot = world.sandboxes["hubspot"]
        deals_before = len(hubspot.admin.portal(portal)["deals"])
        if world.call("GET", "/v1/sync/conflicts", member)["total"] == 0:
            _sync(plan, partner_id, world)
            # Both sides change the same deal's amount since that sync: the next sync cannot choose.
            lead_id = lead_ids[plan.name][plan.leads[0]["email"]]
            [deal] = [d for d in hubspot.admin.portal(portal)["deals"]
                      if d["properties"].get("pc_lead_id") == lead_id]
            world.call("PATCH", f"/v1/leads/{lead_id}", member, json={"dealAmount": plan.leads[0]["dealAmount"] + 50_000})
            hubspot.admin.user_changes_deal(portal, deal["id"], {"amount": "12345"}, deliver=False)
            _sync(plan, partner_id, world)
            report.created["conflicts"] += world.call("GET", "/v1/sync/conflicts", member,
                                                      query_string={"status": "open"})["total"]
        world.progress.advance()
        report.created["syncedDeals"] += len(hubspot.admin.portal(portal)["deals"]) - deals_before


def seed_demo_data(seed: int = DEFAULT_SEED, leads: int = DEFAULT_LEADS, sandboxes: dict | None = None,
                   progress=None) -> DemoReport:
    """Create what is missing of the demo data set; needs an app context.

    :param sandboxes: ``{"hubspot": handle, "stripe": handle}`` of the sandboxes the app talks to
        (``SandboxSpec.handle``); without Stripe no payouts, listings or trades are made, without
        HubSpot no portal, and the report's ``notes`` say so.
    :param progress: a ``toolkit.Progress`` (its total is set here), or None.
    :raises click.BadParameter: fewer than ``MIN_LEADS`` leads; nothing is written then.
    """
    from flask import current_app

    from .progress import Progress
    from .toolkit import enabled_plugins

    sandboxes = dict(sandboxes or {})
    plans = demo_plan(seed, leads)
    report = DemoReport()
    plugins = enabled_plugins()
    trading = "stripe" in sandboxes and {"marketplace", "payments"} <= plugins
    syncing = "hubspot" in sandboxes and {"hubspot", "sync"} <= plugins
    if not trading:
        report.notes.append("no Stripe sandbox (or marketplace/payments disabled): no payouts, listings or trades")
    if not syncing:
        report.notes.append("no HubSpot sandbox (or hubspot/sync disabled): no connected portal")
    sellers = sum(p.role == "seller" for p in plans)
    buyers = sum(p.role == "buyer" for p in plans)
    total = len(plans) + sum(len(p.leads) for p in plans) + 1
    if trading:
        total += sellers * (1 + LISTINGS_PER_SELLER) + buyers * (PURCHASES_PER_BUYER + OPEN_RESERVATIONS_PER_BUYER)
    if syncing:
        total += 2 * sum(p.hubspot for p in plans)
    progress = progress or Progress("demo data", stream=_NullStream())
    progress.set_total(total)
    world = DemoWorld(current_app._get_current_object(), sandboxes, progress)
    partners = _ensure_people(plans, report, world)
    lead_ids = _ensure_leads(plans, partners, report, world)
    if trading:
        _ensure_payouts(plans, report, world)
        _ensure_listings(plans, lead_ids, report, world)
        _ensure_trades(plans, report, world)
    if syncing:
        _ensure_hubspot(plans, partners, lead_ids, report, world)
    # What all this emitted becomes activities, mail and webhooks once the queued jobs ran.
    world.deliver_webhooks()
    report.created["jobs"] = world.run_jobs()
    progress.advance()
    report.totals = _totals()
    return report


def _totals() -> dict:
    """What the marketplace now holds, as the platform sees it (counted in the database)."""
    from .db import database
    from .pages import count_capped

    db = database()
    names = set(db.list_collection_names())

    def count(collection, query=None):
        return count_capped(db[collection], query or {}) if collection in names else 0

    return {"partners": count("partners"), "leads": count("leads"),
            "listings": count("marketplace_listings"), "purchases": count("payments_purchases"),
            "invoices": count("payments_invoices"), "activities": count("activity_activities"),
            "openConflicts": count("sync_conflicts", {"status": "open"})}


class _NullStream:
    """Where progress goes when nobody asked to see it."""

    def write(self, _text):
        return 0

    def flush(self):
        pass

    def isatty(self):
        return False
