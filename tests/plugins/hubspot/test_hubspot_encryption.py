"""Token encryption (pc_app/crypto.py): AES-256-GCM with key ids, bound to record and field; key rotation."""
import pytest

from pc_app.crypto import DecryptionError, SecretBox, key_id

KEY_A = "a1" * 32
KEY_B = "b2" * 32
CONTEXT = "hubspot_connections:64b000000000000000000001:access_token"


def test_ciphertext_carries_version_and_key_id_and_round_trips():
    box = SecretBox(KEY_A)
    sealed = box.encrypt("secret-token", context=CONTEXT)
    version, kid, _payload = sealed.split(".")
    assert version == "v1" and kid == key_id(bytes.fromhex(KEY_A)) and len(kid) == 8
    assert "secret-token" not in sealed
    assert box.decrypt(sealed, context=CONTEXT) == "secret-token"
    assert box.encrypt("secret-token", context=CONTEXT) != sealed  # a fresh nonce every time


@pytest.mark.parametrize("tamper", [
    lambda s: s[:-2] + ("AA" if s[-2:] != "AA" else "BB"),                # sealed bytes changed
    lambda s: s.replace("v1.", "v2.", 1),                                 # unknown version
    lambda s: "v1." + key_id(bytes.fromhex(KEY_B)) + "." + s.split(".")[2],  # header swapped to another key
    lambda s: s.split(".")[0] + "." + s.split(".")[1] + ".%%%",           # not base64
    lambda s: "",                                                         # empty
])
def test_tampered_ciphertext_raises_never_garbage(tamper):
    box = SecretBox(KEY_A, [KEY_B])
    sealed = box.encrypt("secret-token", context=CONTEXT)
    with pytest.raises(DecryptionError):
        box.decrypt(tamper(sealed), context=CONTEXT)


def test_ciphertext_is_bound_to_its_record_and_field():
    box = SecretBox(KEY_A)
    sealed = box.encrypt("secret-token", context=CONTEXT)
    with pytest.raises(DecryptionError):
        box.decrypt(sealed, context=CONTEXT.replace("access_token", "refresh_token"))
    with pytest.raises(DecryptionError):
        box.decrypt(sealed, context=CONTEXT.replace("0001", "0002"))


def test_wrong_key_raises_with_a_clear_sentence():
    sealed = SecretBox(KEY_A).encrypt("secret-token", context=CONTEXT)
    with pytest.raises(DecryptionError, match="neither ENCRYPTION_KEY nor in ENCRYPTION_KEYS_OLD"):
        SecretBox(KEY_B).decrypt(sealed, context=CONTEXT)


def test_old_keys_still_decrypt_and_new_ciphertexts_use_the_current_key():
    sealed_with_a = SecretBox(KEY_A).encrypt("secret-token", context=CONTEXT)
    rotated_box = SecretBox(KEY_B, [KEY_A])
    assert rotated_box.decrypt(sealed_with_a, context=CONTEXT) == "secret-token"
    assert rotated_box.needs_rotation(sealed_with_a)
    resealed = rotated_box.reseal(sealed_with_a, context=CONTEXT)
    assert not rotated_box.needs_rotation(resealed)
    assert SecretBox(KEY_B).decrypt(resealed, context=CONTEXT) == "secret-token"


def test_stored_ciphertext_swapped_between_fields_does_not_decrypt(app, connected, raw_stored, stored):
    owner, _portal = connected
    from pc_app.db import database
    from plugins.hubspot import services

    raw = raw_stored(owner.partner_id)
    with app.app_context():
        database()["hubspot_connections"].update_one(
            {"_id": raw["_id"]}, {"$set": {"access_token_enc": raw["refresh_token_enc"]}})
        with pytest.raises(DecryptionError):
            services.access_token_of(stored(owner.partner_id))


def test_rotate_keys_reseals_every_token_with_the_new_key(app, connected, hubspot_tokens, stored, raw_stored):
    owner, _portal = connected
    from pc_app.toolkit import reseal
    from plugins.hubspot.services import SEALED_TOKENS

    tokens = hubspot_tokens(owner.partner_id)
    app.config.update(ENCRYPTION_KEY=KEY_B, ENCRYPTION_KEYS_OLD=[app.config["ENCRYPTION_KEY"]])
    with app.app_context():
        assert reseal(SEALED_TOKENS) == {"rotated": 2, "current": 0, "failed": 0}
        assert reseal(SEALED_TOKENS) == {"rotated": 0, "current": 2, "failed": 0}
    new_kid = key_id(bytes.fromhex(KEY_B))
    raw = raw_stored(owner.partner_id)
    assert raw["access_token_enc"].split(".")[1] == new_kid and raw["refresh_token_enc"].split(".")[1] == new_kid

    app.config.update(ENCRYPTION_KEYS_OLD=[])  # the old key can now be retired
    assert hubspot_tokens(owner.partner_id) == tokens


def test_rotate_keys_command(app, connected, app_config, raw_stored):
    from click.testing import CliRunner

    from pc_app.cli import cli

    owner, _portal = connected
    env = {"PC_ENV": "development", "PC_PLUGINS": "hubspot", "MONGODB_URL": app_config["MONGODB_URL"],
           "MONGODB_DB": app_config["MONGODB_DB"], "REDIS_URL": app_config["REDIS_URL"],
           "ENCRYPTION_KEY": KEY_B, "ENCRYPTION_KEYS_OLD": app_config["ENCRYPTION_KEY"]}
    result = CliRunner().invoke(cli, ["rotate-keys"], env=env)
    assert result.exit_code == 0, result.output
    assert "secrets re-encrypted: 2" in result.output
    assert raw_stored(owner.partner_id)["access_token_enc"].split(".")[1] == key_id(bytes.fromhex(KEY_B))

    without_old_key = CliRunner().invoke(cli, ["rotate-keys"], env={**env, "ENCRYPTION_KEY": KEY_A,
                                                                    "ENCRYPTION_KEYS_OLD": ""})
    assert without_old_key.exit_code != 0
    assert "unreadable: 2" in without_old_key.output


def test_unreadable_token_marks_the_connection_failed_instead_of_using_garbage(app, flow, actors, sandbox, stored):
    sandbox.admin.configure(accessTokenTtl=240)
    owner = actors.partner_owner()
    flow.connect(owner)
    app.config.update(ENCRYPTION_KEY=KEY_A, ENCRYPTION_KEYS_OLD=[])  # the key that sealed them is gone
    from plugins.hubspot.services import HubSpotClientFactory, NotConnected

    with app.app_context(), pytest.raises(NotConnected):
        HubSpotClientFactory().client_for(owner.partner_id)
    assert stored(owner.partner_id).status == "refresh_failed"
