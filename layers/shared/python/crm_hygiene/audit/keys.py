"""The audit MAC keyring: HMAC-SHA256 under named keys, one of them current.

The deployed keyring is a Secrets Manager secret whose value is a JSON object
``{"current": "k1", "k1": "<secret>", ...}`` (``Keyring.parse``): rotating adds a key and moves
``current``; old keys stay, so entries sealed under them still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from types import MappingProxyType

from crm_hygiene.errors import HygieneError

MIN_KEY_BYTES = 16


class UnknownKey(HygieneError):
    """An entry names a key the keyring does not hold (removed, or the entry was forged)."""


class Keyring:
    """Named HMAC keys and which one seals new entries (implements ``ports.AuditKey``)."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise HygieneError(f"audit keyring: the current key {current!r} is not in the keyring")
        short = [k for k, v in keys.items() if len(v) < MIN_KEY_BYTES]
        if short:
            raise HygieneError(f"audit keyring: keys shorter than {MIN_KEY_BYTES} bytes: {', '.join(short)}")
        self._keys = MappingProxyType(dict(keys))
        self._current = current

    @classmethod
    def generate(cls, key_id: str = "local-1") -> Keyring:
        """A fresh random one-key keyring (tests, the in-memory audit log)."""
        return cls({key_id: secrets.token_hex(32).encode()}, key_id)

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """The keyring from its secret's JSON text (``{"current": id, id: secret, ...}``).

        Raises:
            HygieneError: not such an object (the message never repeats the secret).
        """
        try:
            data = json.loads(text)
        except ValueError:
            raise HygieneError("audit keyring: the secret is not a JSON object") from None
        if not isinstance(data, dict) or not isinstance(data.get("current"), str):
            raise HygieneError('audit keyring: the secret needs "current" and the keys by id')
        keys = {k: v.encode() for k, v in data.items() if k != "current" and isinstance(v, str)}
        return cls(keys, data["current"])

    def dumps(self) -> str:
        """The secret's JSON text (local stacks and tests that provision a keyring; keys are text,
        as Secrets Manager generates them)."""
        body = {"current": self._current, **{k: v.decode() for k, v in self._keys.items()}}
        return json.dumps(body)

    def rotated(self, key_id: str, secret: bytes | None = None) -> Keyring:
        """This keyring with ``key_id`` added and made current."""
        return Keyring({**self._keys, key_id: secret or secrets.token_hex(32).encode()}, key_id)

    @property
    def current_key_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def mac(self, key_id: str, message: bytes) -> str:
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKey(f"audit key {key_id!r} is not in the keyring")
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def check(self, key_id: str, message: bytes, mac: str) -> bool:
        """Whether ``mac`` is the MAC of ``message`` under ``key_id`` (constant-time compare)."""
        return hmac.compare_digest(self.mac(key_id, message), mac)
