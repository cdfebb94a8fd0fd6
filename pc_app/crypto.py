"""AES-256-GCM encryption of stored secrets (HubSpot tokens), with key ids so keys can be rotated.

A ciphertext is ``v1.<key id>.<base64url(nonce + sealed bytes)>``: the version says how to
read it, the key id (first 8 hex of SHA-256 of the key) picks the key among
``ENCRYPTION_KEY`` and ``ENCRYPTION_KEYS_OLD``, and the associated data binds it to the
record and field it belongs to, so a ciphertext copied to another record does not decrypt.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A ciphertext could not be opened: tampered, bound to another record, or sealed with an unknown key."""


def key_id(key: bytes) -> str:
    """A short public name for a key: the first 8 hex characters of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def _key_bytes(hex_key: str) -> bytes:
    try:
        key = bytes.fromhex(hex_key)
    except ValueError:
        raise ValueError("An encryption key must be 64 hexadecimal characters.") from None
    if len(key) != 32:
        raise ValueError("An encryption key must be 64 hexadecimal characters (32 bytes).")
    return key


class SecretBox:
    """Seals with the current key; opens with the current key or any old one."""

    def __init__(self, current_key_hex: str, old_keys_hex=()):
        self.current_key = _key_bytes(current_key_hex)
        self.current_id = key_id(self.current_key)
        self.keys = {self.current_id: self.current_key}
        for old in old_keys_hex or ():
            key = _key_bytes(old)
            self.keys.setdefault(key_id(key), key)

    @staticmethod
    def _associated_data(version: str, kid: str, context: str) -> bytes:
        # The header is authenticated too: changing the version or key id breaks the tag.
        return f"pc-secret|{version}|{kid}|{context}".encode()

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Seal ``plaintext`` for the record and field named by ``context`` (e.g. ``"<collection>:<id>:<field>"``)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.current_key).encrypt(
            nonce, plaintext.encode(), self._associated_data(VERSION, self.current_id, context))
        payload = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{VERSION}.{self.current_id}.{payload}"

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        """The plaintext, or ``DecryptionError`` — never garbage."""
        parts = ciphertext.split(".") if isinstance(ciphertext, str) else []
        if len(parts) != 3 or parts[0] != VERSION:
            raise DecryptionError("Not a ciphertext this version can read.")
        _version, kid, payload = parts
        key = self.keys.get(kid)
        if key is None:
            raise DecryptionError(f"Sealed with key {kid}, which is neither ENCRYPTION_KEY nor in "
                                  "ENCRYPTION_KEYS_OLD.")
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionError("The ciphertext is not valid base64.") from None
        if len(raw) < NONCE_BYTES + 16:
            raise DecryptionError("The ciphertext is too short.")
        try:
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                        self._associated_data(VERSION, kid, context))
        except InvalidTag:
            raise DecryptionError("The ciphertext was tampered with or belongs to another record.") from None
        return plain.decode()

    def needs_rotation(self, ciphertext: str) -> bool:
        """True when the ciphertext was not sealed with the current key."""
        parts = ciphertext.split(".") if isinstance(ciphertext, str) else []
        return len(parts) != 3 or parts[0] != VERSION or parts[1] != self.current_id

    def reseal(self, ciphertext: str, *, context: str) -> str:
        """Open with whichever key sealed it and seal again with the current key."""
        return self.encrypt(self.decrypt(ciphertext, context=context), context=context)


def box_from_config(config) -> SecretBox:
    """The box for an app's settings (``ENCRYPTION_KEY``, ``ENCRYPTION_KEYS_OLD``)."""
    return SecretBox(config["ENCRYPTION_KEY"], config.get("ENCRYPTION_KEYS_OLD") or ())


def secret_box() -> SecretBox:
    """The current app's box."""
    from flask import current_app

    return box_from_config(current_app.config)
