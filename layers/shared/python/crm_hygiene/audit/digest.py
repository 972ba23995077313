"""The signed digest of every chain head, chained to the previous digest (CloudTrail's digest files).

A digest pins, for every record, the head of its chain at ``digest_end``: ``record_key -> (seq, mac)``.
It names the previous digest's key and signature (``previous_digest_key``,
``previous_digest_signature``), so removing a digest breaks the chain of digests, and it is signed
over ``string_to_sign`` (the end time, the digest's key, the SHA-256 of its canonical body and the
previous signature), like CloudTrail's. A chain edited and re-sealed by someone holding the MAC key
still contradicts every digest written before the edit, and a deleted tail is shorter than the seq
a digest pinned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DIGEST_PREFIX = "audit-digests/"
HMAC_ALGORITHM = "HMAC_SHA_256"


class ChainHead(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(ge=1)
    mac: str


class AuditDigest(BaseModel):
    """One digest: the heads of every chain at ``digest_end`` and the link to the previous digest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    digest_start: datetime | None = None
    digest_end: datetime
    previous_digest_key: str | None = None
    previous_digest_signature: str | None = None
    signing_key_id: str
    signing_algorithm: str
    heads: dict[str, ChainHead]

    def body(self) -> bytes:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()

    def string_to_sign(self, key: str) -> bytes:
        """What is signed: end time, object key, SHA-256 of the body, previous signature."""
        parts = [
            self.digest_end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            key,
            hashlib.sha256(self.body()).hexdigest(),
            self.previous_digest_signature or "null",
        ]
        return "\n".join(parts).encode()


class SignedDigest(BaseModel):
    """A digest file as stored: its key, the digest, and the signature (base64)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    digest: AuditDigest
    signature: str

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


def digest_key(end: datetime) -> str:
    """``audit-digests/YYYY/MM/DD/<end, sortable>.json``: keys sort in time order."""
    end = end.astimezone(UTC)
    return f"{DIGEST_PREFIX}{end:%Y/%m/%d}/{end:%Y%m%dT%H%M%S%f}Z.json"


class HmacDigestSigner:
    """Signs digests with HMAC-SHA256 under a key of its own (tests and in-memory stacks; the stack
    signs with an asymmetric KMS key, ``adapters.aws.audit_digests.KmsDigestSigner``). Implements
    ``ports.DigestSigner``."""

    def __init__(self, key: bytes | None = None, key_id: str = "local-digest-key") -> None:
        self._key = key or secrets.token_bytes(32)
        self._key_id = key_id

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def algorithm(self) -> str:
        return HMAC_ALGORITHM

    def sign(self, message: bytes) -> str:
        return base64.b64encode(hmac.new(self._key, message, hashlib.sha256).digest()).decode()

    def verify(self, key_id: str, algorithm: str, message: bytes, signature: str) -> bool:
        if key_id != self._key_id or algorithm != HMAC_ALGORITHM:
            return False
        return hmac.compare_digest(self.sign(message), signature)
