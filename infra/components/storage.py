"""DynamoDB tables and S3 buckets (docs/pipeline.md, "DynamoDB tables" and "Other resources")."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import nag, names
from infra.components.specs import Grantee
from infra.config import StackConfig
from infra.tables import TABLES, TableSpec

# The only actions any function gets on the audit log. Never Update/Delete/BatchWrite/PartiQL
# writes on the table, never DeleteObject*, PutObjectRetention, PutObjectLegalHold or
# BypassGovernanceRetention on the archive (the infra tests enforce both). The verifier reads
# (Query, Scan) and writes no entry; only it signs digests, under audit-digests/.
# (No GetItem: the audit log reads a chain's last entry and histories with Query; issue 10.)
AUDIT_TABLE_ACTIONS = ("dynamodb:PutItem", "dynamodb:Query")
AUDIT_VERIFY_TABLE_ACTIONS = ("dynamodb:Query", "dynamodb:Scan")
DIGEST_LIST_ACTIONS = ("s3:ListBucketVersions",)  # S3DigestStore.listing: list_object_versions
DIGEST_READ_ACTIONS = (*DIGEST_LIST_ACTIONS, "s3:GetObject", "kms:Verify")
DIGEST_WRITE_ACTIONS = ("s3:PutObject", "kms:Sign")
AUDIT_KEY_ACTIONS = ("secretsmanager:GetSecretValue",)
AUDIT_OBJECT_ACTIONS = ("s3:PutObject", "s3:GetObject")
AUDIT_PREFIX = "audit/"
DIGEST_PREFIX = "audit-digests/"
SNAPSHOT_ACTIONS = ("s3:PutObject", "s3:GetObject")

_TYPES = {"S": ddb.AttributeType.STRING, "N": ddb.AttributeType.NUMBER, "B": ddb.AttributeType.BINARY}


class Storage(Construct):
    """The tables, the append-only audit archive, and (Distributed Map only) the scan snapshot bucket."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.tables = {table_id: self._table(table_id, spec, config) for table_id, spec in TABLES.items()}
        self.access_logs = self._access_log_bucket(config)
        self.audit_bucket = self._audit_bucket(config)
        self.audit_key = self._audit_key_secret(config)
        self._audit_key_by_name = secretsmanager.Secret.from_secret_name_v2(
            self, "AuditKeyByName", config.names.audit_key_secret
        )
        self.digest_key = self._digest_signing_key(config)
        self.snapshot_bucket = self._snapshot_bucket() if config.distributed_map else None

    def table(self, table_id: str) -> ddb.Table:
        return self.tables[table_id]

    def grant_audit_append(self, fn: Grantee) -> None:
        """Append-only access to the audit log: conditional puts and reads, nothing that rewrites.

        ``grant_write_data``/``grant_put`` would also give UpdateItem/DeleteItem/BatchWriteItem and
        PutObjectRetention/PutObjectLegalHold, which is exactly what must never happen here.
        """
        table = self.table(names.AUDIT_TABLE)
        table.grant(fn.grantee, *AUDIT_TABLE_ACTIONS)
        nag.wildcard_resource(
            fn, f"{nag.ref(table)}/index/*", "Audit queries by run and by change use this table's own GSIs."
        )
        iam.Grant.add_to_principal(
            grantee=fn.grantee,
            actions=list(AUDIT_OBJECT_ACTIONS),
            resource_arns=[self.audit_bucket.arn_for_objects(f"{AUDIT_PREFIX}*")],
        )
        nag.wildcard_resource(
            fn,
            f"{nag.ref(self.audit_bucket)}/{AUDIT_PREFIX}*",
            "Archive objects are keyed audit/YYYY/MM/DD/<run>/<batch>.jsonl; put/get only under audit/.",
        )
        self.grant_audit_key(fn)

    def grant_audit_key(self, fn: Grantee) -> None:
        """Reading the audit MAC keyring (entries are sealed and checked with it). Granted by name
        (``secret:<name>-??????``), as the functions find it, not by the secret's Ref."""
        iam.Grant.add_to_principal(  # only the call powertools makes (grant_read adds DescribeSecret)
            grantee=fn.grantee,
            actions=["secretsmanager:GetSecretValue"],
            resource_arns=[f"{self._audit_key_by_name.secret_arn}-??????"],
        )

    def grant_digest_read(self, fn: Grantee) -> None:
        """Reading and checking digest files: list their versions (delete markers show), get, kms:Verify."""
        iam.Grant.add_to_principal(
            grantee=fn.grantee,
            actions=list(DIGEST_LIST_ACTIONS),
            resource_arns=[self.audit_bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{DIGEST_PREFIX}*"]}},
        )
        iam.Grant.add_to_principal(
            grantee=fn.grantee,
            actions=["s3:GetObject"],
            resource_arns=[self.audit_bucket.arn_for_objects(f"{DIGEST_PREFIX}*")],
        )
        nag.wildcard_resource(
            fn,
            f"{nag.ref(self.audit_bucket)}/{DIGEST_PREFIX}*",
            "Digest files are keyed audit-digests/YYYY/MM/DD/<time>.json; read only under that prefix.",
        )
        self.digest_key.grant(fn.grantee, "kms:Verify")

    def grant_audit_verify(self, fn: Grantee) -> None:
        """The scheduled verifier: read every entry (Scan), read and write digests, sign with the
        digest key. No PutItem: it never writes an entry."""
        table = self.table(names.AUDIT_TABLE)
        table.grant(fn.grantee, *AUDIT_VERIFY_TABLE_ACTIONS)
        nag.wildcard_resource(
            fn,
            f"{nag.ref(table)}/index/*",
            "CDK grants the table's own GSIs with it; the verifier scans the table.",
        )
        self.grant_audit_key(fn)
        self.grant_digest_read(fn)
        iam.Grant.add_to_principal(
            grantee=fn.grantee,
            actions=["s3:PutObject"],
            resource_arns=[self.audit_bucket.arn_for_objects(f"{DIGEST_PREFIX}*")],
        )
        self.digest_key.grant(fn.grantee, "kms:Sign")

    def grant_snapshot_write(self, fn: Grantee) -> None:
        """The scan plan writes partition chunks and the manifest the Distributed Map reads."""
        if self.snapshot_bucket is None:
            return
        iam.Grant.add_to_principal(
            grantee=fn.grantee,
            actions=list(SNAPSHOT_ACTIONS),
            resource_arns=[self.snapshot_bucket.arn_for_objects("*")],
        )
        nag.wildcard_resource(
            fn,
            f"{nag.ref(self.snapshot_bucket)}/*",
            "Snapshot chunk keys are per run; the bucket holds nothing else.",
        )

    def _table(self, table_id: str, spec: TableSpec, config: StackConfig) -> ddb.Table:
        table = ddb.Table(
            self,
            table_id,
            table_name=config.names.table(table_id),
            partition_key=_attribute(spec.key.partition),
            sort_key=_attribute(spec.key.sort) if spec.key.sort else None,
            billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
            encryption=ddb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            time_to_live_attribute=spec.ttl,
            stream=ddb.StreamViewType[spec.stream] if spec.stream else None,
        )
        for index_name, key in spec.indexes.items():
            table.add_global_secondary_index(
                index_name=index_name,
                partition_key=_attribute(key.partition),
                sort_key=_attribute(key.sort) if key.sort else None,
                projection_type=ddb.ProjectionType.ALL,
            )
        return table

    def _access_log_bucket(self, config: StackConfig) -> s3.Bucket:
        # cdk-nag's S1 accepts a bucket that receives other buckets' access logs: nothing to acknowledge.
        bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 server access logging cannot write to SSE-KMS
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(expiration=cdk.Duration.days(max(config.audit_retention_days, 90)))
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        return bucket

    def _audit_bucket(self, config: StackConfig) -> s3.Bucket:
        retention = cdk.Duration.days(config.audit_retention_days)
        default_retention = (
            s3.ObjectLockRetention.compliance(retention)
            if config.audit_retention_mode == "COMPLIANCE"
            else s3.ObjectLockRetention.governance(retention)
        )
        return s3.Bucket(
            self,
            "AuditBucket",
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=default_retention,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="audit-bucket/",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _audit_key_secret(self, config: StackConfig) -> secretsmanager.Secret:
        """The audit MAC keyring ``{"current": "k1", "k1": <64 random characters>}``: never in the
        table. Rotate by adding a key and moving ``current`` (docs/audit.md); keep the old keys."""
        secret = secretsmanager.Secret(
            self,
            "AuditKeySecret",
            secret_name=config.names.audit_key_secret,
            description="crm-hygiene audit MAC keyring (HMAC-SHA256); keep every key ever current",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template='{"current": "k1"}',
                generate_string_key="k1",
                password_length=64,
                exclude_punctuation=True,
            ),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            secret,
            "SMG4",
            "Automatic rotation would replace the key entries name; rotation adds a key (docs/audit.md).",
        )
        return secret

    def _digest_signing_key(self, config: StackConfig) -> kms.Key:
        """The asymmetric key that signs audit digests: only the verifier may sign; anyone granted
        kms:Verify (or holding the public key) can check a digest."""
        key = kms.Key(
            self,
            "AuditDigestKey",
            description="Signs crm-hygiene audit digests (ECDSA P-256)",
            key_spec=kms.KeySpec.ECC_NIST_P256,
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            alias=config.names.audit_digest_key_alias,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        return key

    def _snapshot_bucket(self) -> s3.Bucket:
        return s3.Bucket(
            self,
            "SnapshotBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="snapshot-bucket/",
            # Snapshot chunks and map results are working data for one run; a week covers re-runs.
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=cdk.Duration.days(7),
                    noncurrent_version_expiration=cdk.Duration.days(1),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )


def _attribute(spec: tuple[str, str]) -> ddb.Attribute:
    return ddb.Attribute(name=spec[0], type=_TYPES[spec[1]])
