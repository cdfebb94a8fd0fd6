"""Demo data for a local stack: two active partners with people to sign in as and 200 believable leads.

Everything is derived from a seed, and each record is looked up by its natural key (slug,
e-mail, the lead's per-partner e-mail key) before it is created, so running it again changes
nothing.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from .core.models import Lead, Partner, User
from .core.partners.services import create_partner, slugify
from .core.users.services import create_user

DEMO_PASSWORD = "Demo-Partner-2026!"
DEFAULT_SEED = 2026
DEFAULT_LEADS = 200

PARTNERS = [
    {"name": "Northwind Growth", "website": "https://northwind-growth.example", "domain": "northwind-growth.example",
     "icp": {"industries": ["saas", "software", "fintech"], "company_sizes": ["51-200", "201-500", "501-1000"],
             "countries": ["US", "CA", "GB"], "job_titles": ["cto", "head of engineering", "vp engineering"],
             "seniorities": ["c_level", "vp", "director"], "max_price": 25_000},
     "owner": ("Olivia Hart", "olivia"), "member": ("Marcus Reed", "marcus")},
    {"name": "Bluepeak Sales", "website": "https://bluepeak-sales.example", "domain": "bluepeak-sales.example",
     "icp": {"industries": ["healthcare", "manufacturing", "logistics"], "company_sizes": ["201-500", "1001-5000"],
             "countries": ["DE", "FR", "NL", "US"], "job_titles": ["operations", "procurement", "coo"],
             "seniorities": ["vp", "director", "manager"], "max_price": 40_000},
     "owner": ("Lena Vogel", "lena"), "member": ("Tom Becker", "tom")},
]

FIRST_NAMES = ["James", "Maria", "Wei", "Aisha", "Lucas", "Sofia", "Noah", "Emma", "Liam", "Chloe", "Mateo",
               "Hannah", "Arjun", "Yuki", "Omar", "Elena", "Jonas", "Priya", "Daniel", "Camille", "Ethan", "Ines",
               "Felix", "Grace", "Samuel", "Zoe", "Hugo", "Leila", "Adam", "Nora"]
LAST_NAMES = ["Smith", "Garcia", "Chen", "Khan", "Martin", "Rossi", "Johnson", "Müller", "Dubois", "Nakamura",
              "Silva", "Brown", "Patel", "Novak", "Andersen", "Kowalski", "Lopez", "Schneider", "Taylor", "Haddad"]
COMPANY_WORDS = ["Apex", "Quantum", "Harbor", "Summit", "Vertex", "Lumen", "Cedar", "Nimbus", "Atlas", "Beacon",
                 "Falcon", "Orbit", "Pioneer", "Sterling", "Granite", "Horizon", "Mosaic", "Evergreen"]
COMPANY_SUFFIXES = ["Labs", "Systems", "Health", "Logistics", "Analytics", "Robotics", "Partners", "Cloud",
                    "Manufacturing", "Networks"]
TITLES = {"c_level": ["CTO", "COO", "CEO", "CFO"], "vp": ["VP Engineering", "VP Operations", "VP Sales"],
          "director": ["Director of IT", "Head of Engineering", "Director of Procurement"],
          "manager": ["Operations Manager", "Procurement Manager", "Engineering Manager"],
          "individual": ["Software Engineer", "Buyer", "Analyst"]}
INDUSTRIES = ["saas", "software", "fintech", "healthcare", "manufacturing", "logistics", "ecommerce", "insurance",
              "cybersecurity", "retail"]
COMPANY_SIZES = ["11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"]
COUNTRY_PHONES = {"US": "+1415555", "CA": "+1604555", "GB": "+44207946", "DE": "+49301234", "FR": "+33142685",
                  "NL": "+31201234"}
DEAL_STATUSES = ["new"] * 5 + ["scheduled"] * 2 + ["in_touch"] * 2 + ["won", "lost_no_show", "lost_disqualified",
                                                                         "lost_no_potential"]


@dataclass
class DemoReport:
    partners: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    created: dict = field(default_factory=lambda: {"partners": 0, "users": 0, "leads": 0})


def _ensure_partner(spec: dict, report: DemoReport) -> Partner:
    partner = Partner.objects(slug=slugify(spec["name"])).first()
    if partner is None:
        partner = create_partner(spec["name"], status="active", website=spec["website"], icp=spec["icp"])
        report.created["partners"] += 1
    report.partners.append(f"{partner.name} ({partner.id})")
    return partner


def _ensure_user(partner: Partner, domain: str, person: tuple[str, str], is_owner: bool, report: DemoReport):
    name, local = person
    email = f"{local}@{domain}"
    if User.objects(email=email).first() is None:
        create_user(email, name, partner_id=partner.id, is_partner_owner=is_owner, password=DEMO_PASSWORD)
        report.created["users"] += 1
    report.users.append(f"{email} ({'partner owner' if is_owner else 'member'} of {partner.name})")


def demo_leads(partner_index: int, count: int, rng: random.Random, now: dt.datetime) -> list[dict]:
    """``count`` lead field sets for one partner; the same seed always gives the same leads."""
    leads = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
        domain = company.lower().replace(" ", "") + ".example"
        seniority = rng.choice(list(TITLES))
        country = rng.choice(list(COUNTRY_PHONES))
        local = f"{first}.{last}".lower().encode("ascii", "ignore").decode()
        leads.append({
            "first_name": first, "last_name": last, "email": f"{local}.{partner_index}{n:03d}@{domain}",
            "phone": f"{COUNTRY_PHONES[country]}{rng.randrange(1000, 9999)}", "company": company,
            "company_domain": domain, "job_title": rng.choice(TITLES[seniority]), "seniority": seniority,
            "industry": rng.choice(INDUSTRIES), "company_size": rng.choice(COMPANY_SIZES), "country": country,
            "deal_amount": rng.randrange(20, 800) * 10_000, "deal_status": rng.choice(DEAL_STATUSES),
            "source": "demo", "updated_by": "system",
            "created_at": now - dt.timedelta(minutes=rng.randrange(0, 90 * 24 * 60)),
        })
    return leads


def _ensure_leads(partner: Partner, fields_list: list[dict], report: DemoReport) -> None:
    keys = {Lead.make_email_key(partner.id, f["email"]): f for f in fields_list}
    existing = {lead.email_key for lead in Lead.objects(email_key__in=list(keys)).only("email_key")}
    missing = [Lead(partner=partner.id, email_key=key, updated_at=f["created_at"], **f)
               for key, f in keys.items() if key not in existing]
    if missing:
        Lead.objects.insert(missing, load_bulk=False)
        report.created["leads"] += len(missing)


def seed_demo_data(seed: int = DEFAULT_SEED, leads: int = DEFAULT_LEADS) -> DemoReport:
    """Create what is missing of the demo data set; needs an app context."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    report = DemoReport()
    per_partner = [leads // len(PARTNERS) + (1 if i < leads % len(PARTNERS) else 0) for i in range(len(PARTNERS))]
    for index, (spec, count) in enumerate(zip(PARTNERS, per_partner), start=1):
        partner = _ensure_partner(spec, report)
        _ensure_user(partner, spec["domain"], spec["owner"], True, report)
        _ensure_user(partner, spec["domain"], spec["member"], False, report)
        _ensure_leads(partner, demo_leads(index, count, rng, now), report)
    return report
