"""`pc-app demo-data` seeds two active partners, their people and 200 leads, once."""
from pc_app.core.models import Lead, Partner, User
from pc_app.demo_data import DEMO_PASSWORD, seed_demo_data

from .processes import run_pc_app, service_env


def snapshot():
    return (sorted((p.slug, p.status, str(p.updated_at)) for p in Partner.objects),
            sorted((u.email, u.password_hash) for u in User.objects),
            sorted((lead.email_key, lead.deal_amount, str(lead.updated_at)) for lead in Lead.objects))


def test_demo_data_creates_active_partners_with_icps_people_and_200_leads(app_ctx, client):
    report = seed_demo_data()

    assert report.created == {"partners": 2, "users": 4, "leads": 200}
    partners = list(Partner.objects)
    assert len(partners) == 2 and all(p.status == "active" and p.icp.is_configured() for p in partners)
    for partner in partners:
        people = User.objects(partner=partner.id)
        assert sorted(u.is_partner_owner for u in people) == [False, True]
        assert Lead.objects(partner=partner.id).count() == 100
    leads = list(Lead.objects)
    assert len({lead.email for lead in leads}) == 200
    assert all(lead.phone.startswith("+") and lead.company and lead.industry and lead.deal_amount > 0
               for lead in leads)
    assert len({lead.deal_status for lead in leads}) >= 4 and len({lead.country for lead in leads}) >= 4

    member = User.objects(is_partner_owner=False).first()
    signed_in = client.post("/v1/auth/sign-in", json={"email": member.email, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 200
    listed = client.get("/v1/leads", headers={"Authorization": f"Bearer {signed_in.get_json()['accessToken']}"})
    assert listed.status_code == 200 and listed.get_json()["total"] == 100


def test_second_run_changes_nothing(app_ctx):
    seed_demo_data()
    before = snapshot()

    report = seed_demo_data()

    assert report.created == {"partners": 0, "users": 0, "leads": 0}
    assert snapshot() == before


def test_same_seed_gives_the_same_leads(app_ctx):
    from pc_app.demo_data import demo_leads
    import datetime as dt
    import random

    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert demo_leads(1, 5, random.Random(7), now) == demo_leads(1, 5, random.Random(7), now)
    assert demo_leads(1, 5, random.Random(7), now) != demo_leads(1, 5, random.Random(8), now)


def test_command_prints_the_people_and_their_password(app, pc_services):
    result = run_pc_app(["demo-data"], service_env(pc_services))

    assert result.returncode == 0, result.stderr[-2000:]
    assert "created 2 partners, 4 users, 200 leads" in result.stdout
    assert f"password {DEMO_PASSWORD}" in result.stdout
    assert "olivia@northwind-growth.example (partner owner of Northwind Growth)" in result.stdout
