"""The signed-in user and partner are kept in Redis until the next write to them, and never longer."""
import threading

from .api_checks import assert_error_shape


def _me(client, actor, db_commands):
    with db_commands:
        response = client.get("/v1/auth/me", headers=actor.headers)
    return response, list(db_commands.commands)


def _kept_keys(app):
    from pc_app.redis_client import get_redis

    return sorted(get_redis(app).keys("pc:auth:kept:*"))


def test_a_kept_user_is_read_again_after_any_write_to_it(app, client, actors, db_commands):
    from pc_app.core.models import User

    member = actors.member(actors.partner())
    assert _me(client, member, db_commands)[1] == ["aggregate"]  # the user and the partner in one round trip
    response, commands = _me(client, member, db_commands)
    assert (response.status_code, commands) == (200, [])
    # A raw write through the app's client (any job's conditional update), not the API's sign-out:
    # the session stays live, so only the write version can end what was kept.
    with app.app_context():
        User._get_collection().update_one({"_id": member.user.id}, {"$set": {"name": "Renamed"}})
    response, commands = _me(client, member, db_commands)
    assert response.get_json()["name"] == "Renamed" and commands == ["find"]  # the partner is still kept
    with app.app_context():
        User._get_collection().update_one({"_id": member.user.id}, {"$set": {"is_active": False}})
    assert_error_shape(client.get("/v1/auth/me", headers=member.headers), 401)


def test_a_partner_suspended_by_any_write_is_seen_on_the_next_request(app, client, actors, db_commands):
    from pc_app.core.models import Partner

    owner = actors.partner_owner()
    assert _me(client, owner, db_commands)[0].get_json()["partner"]["status"] == "active"
    with app.app_context():
        Partner._get_collection().update_one({"_id": owner.partner.id}, {"$set": {"status": "suspended"}})
    response, commands = _me(client, owner, db_commands)
    assert response.get_json()["partner"]["status"] == "suspended" and commands == ["find"]  # the user is still kept


def test_the_password_hash_never_reaches_redis(app, client, actors, db_commands):
    from pc_app.redis_client import get_redis

    member = actors.member(actors.partner())
    _me(client, member, db_commands)
    response, commands = _me(client, member, db_commands)
    assert commands == [] and response.get_json()["hasPassword"] is True  # said from the kept user
    kept = [get_redis(app).get(key) for key in _kept_keys(app)]
    assert len(kept) == 2  # the user and the partner
    assert not any(b"argon2" in value or member.user.password_hash.encode() in value for value in kept)
    # and the kept stand-in verifies no password: signing in still reads the real hash
    assert client.post("/v1/auth/sign-in", json={"email": member.user.email, "password": member.password}
                       ).status_code == 200


def test_a_user_read_before_a_write_is_never_kept_past_it(app, client, actors, db_latency):
    """A request reads the user, a deactivation lands and bumps the version, then the request keeps what it read.

    What it kept is filed under the version it saw before reading, which the write has ended;
    filed under the version at the time of keeping, it would let the deactivated user back in.
    """
    from pc_app.core.models import User

    member = actors.member(actors.partner())
    held = db_latency.delay("aggregate", "users", 0.5, when="after")  # the read is done; keeping it waits
    answers = []
    reader = threading.Thread(target=lambda: answers.append(app.test_client().get("/v1/auth/me", headers=member.headers)))
    reader.start()
    while not held.met:
        threading.Event().wait(0.01)
    with app.app_context():
        User._get_collection().update_one({"_id": member.user.id}, {"$set": {"is_active": False}})
    reader.join()
    db_latency.clear()
    assert answers[0].status_code == 200  # it read before the write
    assert_error_shape(client.get("/v1/auth/me", headers=member.headers), 401)


def _ids_asked(sent: list[dict]) -> list:
    """The ``_id`` values the commands' filters asked for (finds, and an aggregation's matches)."""
    filters = [command["filter"] for command in sent if "filter" in command]
    for command in sent:
        for stage in command.get("pipeline", ()):
            filters += [stage["$match"]] if "$match" in stage else [
                inner["$match"] for inner in stage.get("$unionWith", {}).get("pipeline", ()) if "$match" in inner]
    return [query["_id"] for query in filters]


def test_kept_state_lives_at_most_its_setting_and_zero_turns_it_off(app, client, actors, db_commands):
    from pc_app.redis_client import get_redis

    member = actors.member(actors.partner())
    _me(client, member, db_commands)
    # Asked for by their stored 24-hex strings: an ObjectId matches no stored id on MongoDB (our
    # stand-in's find would match it anyway, its aggregation would not).
    assert _ids_asked(db_commands.sent) == [member.user.id, member.partner_id]
    assert [0 < get_redis(app).ttl(key) <= 30 for key in _kept_keys(app)] == [True, True]
    get_redis(app).delete(*_kept_keys(app))
    app.config["AUTH_STATE_CACHE_SECONDS"] = 0
    for _ in range(2):
        response, commands = _me(client, member, db_commands)
        assert (response.status_code, commands) == (200, ["find", "find"])
        assert _ids_asked(db_commands.sent) == [member.user.id, member.partner_id]
    assert _kept_keys(app) == []


def test_a_partner_read_again_after_a_write_in_the_same_request_is_the_written_one(app, actors):
    """What was fetched with the session serves the first read only, not one made after the route wrote."""
    from pc_app.auth import partner_for_request
    from pc_app.core.models import Partner

    owner = actors.partner_owner()
    client = app.test_client()
    assert client.get("/v1/auth/me", headers=owner.headers).status_code == 200  # user and partner kept
    with app.test_request_context("/v1/auth/me", headers=owner.headers):
        from flask_jwt_extended import verify_jwt_in_request

        verify_jwt_in_request()  # the session check, which fetches the kept user and partner
        assert partner_for_request(owner.partner_id).name == owner.partner.name
        Partner._get_collection().update_one({"_id": owner.partner.id}, {"$set": {"name": "Renamed Co"}})
        assert partner_for_request(owner.partner_id).name == "Renamed Co"


def test_a_write_to_another_user_or_partner_leaves_what_was_kept_of_this_one(app, client, actors, db_commands):
    """Writes that name their documents by _id (a save, a sign-in's timestamp) end only those documents."""
    from pc_app.core.models import Partner, User

    member, other = actors.member(actors.partner()), actors.partner_owner()
    _me(client, member, db_commands)
    with app.app_context():
        User._get_collection().update_one({"_id": other.user.id}, {"$set": {"name": "Other"}})
        Partner._get_collection().update_many({"_id": {"$in": [other.partner.id]}}, {"$set": {"name": "Other Co"}})
    assert client.post("/v1/auth/sign-in", json={"email": other.user.email, "password": other.password}
                       ).status_code == 200
    response, commands = _me(client, member, db_commands)
    assert (response.status_code, commands) == (200, [])
    # A write that may reach any user ends every kept user (the partner stays kept).
    with app.app_context():
        User._get_collection().update_many({"role": "user"}, {"$set": {"name": "Everyone"}})
    response, commands = _me(client, member, db_commands)
    assert (response.get_json()["name"], commands) == ("Everyone", ["find"])


def test_a_sign_in_keeps_the_user_and_partner_for_the_first_request(app, client, actors, db_commands):
    owner = actors.partner_owner()
    with db_commands:
        signed = client.post("/v1/auth/sign-in", json={"email": owner.user.email, "password": owner.password})
    assert signed.status_code == 200
    assert db_commands.commands == ["find", "update", "aggregate"]  # by e-mail, the timestamp, both as stored now
    # The answer shows the sign-in it records.
    assert signed.get_json()["user"]["lastSignInAt"] is not None
    with db_commands:
        response = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {signed.get_json()['accessToken']}"})
    assert (response.status_code, db_commands.commands) == (200, [])
    assert response.get_json()["partner"]["id"] == owner.partner_id


def test_a_write_before_the_first_load_of_the_partner_is_seen(app, actors):
    """What the session check fetched is dropped by any write the request makes before using it."""
    from pc_app.auth import partner_for_request
    from pc_app.core.models import Partner

    owner = actors.partner_owner()
    assert app.test_client().get("/v1/auth/me", headers=owner.headers).status_code == 200  # both kept
    with app.test_request_context("/v1/auth/me", headers=owner.headers):
        from flask_jwt_extended import verify_jwt_in_request

        verify_jwt_in_request()  # fetches the kept user and partner
        Partner._get_collection().update_one({"_id": owner.partner.id}, {"$set": {"name": "Renamed Co"}})
        assert partner_for_request(owner.partner_id).name == "Renamed Co"


def test_every_process_that_builds_the_app_counts_user_writes_per_document(pc_services):
    """An RQ worker or the scheduler builds the app from its environment; a job's write to one user
    must end what the API kept of that user, so their listener counts it per document too."""
    import os
    import subprocess
    import sys

    script = """
import sys
from pc_app import create_app
from pc_app.collection_versions import document_version_keys
from pc_app.redis_client import get_redis
app = create_app()
with app.app_context():
    from pc_app.core.models import User
    users = User._get_collection()
    key = document_version_keys(users.database.name, users.name, "0123456789abcdef01234567")[1]
    before = int(get_redis(app).get(key) or 0)
    users.update_one({"_id": "0123456789abcdef01234567"}, {"$set": {"name": "Renamed by a job"}}, upsert=True)
    print(int(get_redis(app).get(key) or 0) - before)
"""
    env = {**os.environ, "PC_ENV": "development", "MONGODB_URL": pc_services.mongodb_url,
           "MONGODB_DB": "pc_test_worker_process", "REDIS_URL": pc_services.redis_url, "MAIL_BACKEND": "outbox",
           "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "1"


def _loaded_partner(app, actor, while_held=None):
    """The actor's partner as a request loads it (the session check first, as on every route).

    ``while_held`` runs before the request ends, while it still has the partner.
    """
    from flask_jwt_extended import verify_jwt_in_request

    from pc_app.auth import current_partner

    with app.test_request_context("/v1/auth/me", headers=actor.headers):
        verify_jwt_in_request()
        partner = current_partner()
        if while_held:
            while_held()
        return partner


def _in_another_thread(function):
    answers = []
    thread = threading.Thread(target=lambda: answers.append(function()))
    thread.start()
    thread.join()
    return answers[0]


def test_a_worker_lends_the_document_it_built_to_one_request_at_a_time(app, actors):
    """Built once per worker from the same kept bytes, lent to one request at a time, never with an unsaved change."""
    from pc_app.core.auth import lent_documents
    from pc_app.core.models import Partner

    owner = actors.partner_owner()
    assert app.test_client().get("/v1/auth/me", headers=owner.headers).status_code == 200  # both kept
    first = _loaded_partner(app, owner)
    assert _loaded_partner(app, owner) is first  # the same bytes: not built again
    assert _in_another_thread(lambda: _loaded_partner(app, owner)) is first  # given back: any thread may borrow it
    # While one request has it, another builds its own: a document is never shared by two requests.
    concurrent = []
    held_by_first = _loaded_partner(app, owner, while_held=lambda: concurrent.append(
        _in_another_thread(lambda: _loaded_partner(app, owner))))
    assert held_by_first is first and concurrent[0] is not first and concurrent[0].name == first.name
    assert _loaded_partner(app, owner) is first  # the one built meanwhile was that request's only
    # A request changed it and did not save (a failed validation, say): the next one gets it as stored.
    first.name = "Changed, never saved"
    first.icp.industries.append("Never saved")
    again = _loaded_partner(app, owner)
    assert again is not first
    assert (again.name, "Never saved" in again.icp.industries) == (owner.partner.name, False)
    assert _loaded_partner(app, owner) is again
    again.icp.max_price = 12345  # a change inside an embedded document alone is seen too
    assert _loaded_partner(app, owner).icp.max_price != 12345
    # A write changes the kept bytes: once another request has read and kept the written state,
    # this one finds new bytes in Redis and builds them.
    with app.app_context():
        Partner._get_collection().update_one({"_id": owner.partner.id}, {"$set": {"name": "Written Co"}})
    assert _in_another_thread(lambda: _loaded_partner(app, owner)).name == "Written Co"
    assert _loaded_partner(app, owner).name == "Written Co"
    # Outside a request (a job, a shell) nothing is lent or held.
    with app.app_context():
        from pc_app.core.auth import signed_in

        held = len(lent_documents.of_app(app))
        assert signed_in.load(Partner, owner.partner_id) is not signed_in.load(Partner, owner.partner_id)
        assert len(lent_documents.of_app(app)) == held


def test_a_held_document_whose_rebuild_failed_is_not_kept_from_later_requests(app):
    """A request that took a changed document to build it again and failed must not leave it lent for ever."""
    from pc_app.core.auth.lent_documents import LentDocuments

    class Document:
        def __init__(self, changed=()):
            self.changed = list(changed)

        def _get_changed_fields(self):
            return self.changed

    held = LentDocuments()
    with app.test_request_context("/"):
        first = held.borrow("key", b"bytes", Document)
    first.changed.append("name")  # that request changed it and did not save

    def failing():
        raise ValueError("the build failed")

    with app.test_request_context("/"):
        try:
            held.borrow("key", b"bytes", failing)
        except ValueError:
            pass
    with app.test_request_context("/"):
        rebuilt = held.borrow("key", b"bytes", Document)
    with app.test_request_context("/"):
        assert held.borrow("key", b"bytes", Document) is rebuilt
