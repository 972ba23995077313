"""Adapters of audit integrity: the MAC keyring from Secrets Manager, the digest files in the
Object-Locked archive bucket (``S3DigestStore``) and their signer, an asymmetric KMS key
(``KmsDigestSigner``: only the scheduled verifier may sign; anyone granted ``kms:Verify`` or holding
the public key can check a digest)."""

from __future__ import annotations

import base64
from typing import Any

from botocore.exceptions import ClientError

from crm_hygiene.adapters.aws.errors import aws_errors, code_of
from crm_hygiene.audit.digest import DIGEST_PREFIX
from crm_hygiene.audit.keys import Keyring
from crm_hygiene.audit.verify import DigestListing
from crm_hygiene.ports import SecretStore

SIGNING_ALGORITHM = "ECDSA_SHA_256"
_NOT_A_SIGNATURE = {"KMSInvalidSignatureException", "NotFoundException", "InvalidKeyUsageException"}


def secret_keyring(secrets: SecretStore, name: str) -> Keyring:
    """The audit keyring held in the secret ``name`` (``{"current": id, id: secret, ...}``)."""
    return Keyring.parse(secrets.get(name))


class S3DigestStore:
    """Implements ``DigestStore`` over ``audit-digests/`` in the archive bucket (versioned, Object
    Lock): a deleted digest shows as a current delete marker over its locked version."""

    def __init__(self, s3: Any, bucket: str, prefix: str = DIGEST_PREFIX) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix

    def put(self, key: str, body: bytes) -> None:
        with aws_errors():
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")

    def listing(self) -> list[DigestListing]:
        latest: dict[str, bool] = {}  # key -> deleted
        with aws_errors():
            pages = self._s3.get_paginator("list_object_versions").paginate(
                Bucket=self._bucket, Prefix=self._prefix
            )
            for page in pages:
                for version in page.get("Versions", []):
                    if version.get("IsLatest"):
                        latest[version["Key"]] = False
                    else:
                        latest.setdefault(version["Key"], False)
                for marker in page.get("DeleteMarkers", []):
                    if marker.get("IsLatest"):
                        latest[marker["Key"]] = True
        return [DigestListing(key=k, deleted=latest[k]) for k in sorted(latest)]

    def read(self, key: str) -> bytes | None:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if code_of(exc) in ("NoSuchKey", "404", "AccessDenied", "MethodNotAllowed"):
                return None
            raise
        body: bytes = response["Body"].read()
        return body


class KmsDigestSigner:
    """Implements ``DigestSigner`` with an asymmetric KMS key (``ECC_NIST_P256``, ECDSA_SHA_256).

    The message is CloudTrail-style ``string_to_sign`` (a few hundred bytes: under KMS's 4 KB limit
    for RAW messages). Only signatures by ``key_id`` or one of ``trusted`` (keys signing digests
    before a rotation) verify: a digest naming any other key, say one a forger created, fails."""

    def __init__(self, kms: Any, key_id: str, trusted: frozenset[str] = frozenset()) -> None:
        self._kms = kms
        self._key_id = key_id
        self._trusted = trusted | {key_id}

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def algorithm(self) -> str:
        return SIGNING_ALGORITHM

    def sign(self, message: bytes) -> str:
        with aws_errors():
            response = self._kms.sign(
                KeyId=self._key_id, Message=message, MessageType="RAW", SigningAlgorithm=SIGNING_ALGORITHM
            )
        return base64.b64encode(response["Signature"]).decode()

    def verify(self, key_id: str, algorithm: str, message: bytes, signature: str) -> bool:
        if algorithm != SIGNING_ALGORITHM or key_id not in self._trusted:
            return False
        try:
            raw = base64.b64decode(signature, validate=True)
        except ValueError:
            return False
        try:
            response = self._kms.verify(
                KeyId=key_id, Message=message, MessageType="RAW", Signature=raw, SigningAlgorithm=algorithm
            )
        except ClientError as exc:
            if code_of(exc) in (
                "KMSInvalidSignatureException",
                "NotFoundException",
                "InvalidKeyUsageException",
            ):
                return False
            raise
        return bool(response.get("SignatureValid"))
