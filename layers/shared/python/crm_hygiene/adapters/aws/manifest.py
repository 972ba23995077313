"""``S3PartitionManifest``: a full scan's partitions as one JSON array in the snapshot bucket.

The scan workflow's Distributed Map reads the array with its ``ItemReader`` (``S3JsonItemReader``)
and starts one child per item, so a run may have more partitions than fit in a state's 256 KB.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from crm_hygiene.adapters.aws.errors import aws_errors
from crm_hygiene.models.messages import Partition

MANIFEST_PREFIX = "scan-manifests/"


def manifest_key(run_id: str) -> str:
    """Where the partitions of ``run_id`` are written (one object per run)."""
    return f"{MANIFEST_PREFIX}{run_id}/partitions.json"


class S3PartitionManifest:
    """Writes and reads partition manifests in ``bucket`` through ``client`` (boto3 S3)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def write(self, run_id: str, partitions: Sequence[Partition]) -> str:
        key = manifest_key(run_id)
        body = json.dumps([p.model_dump(mode="json") for p in partitions], separators=(",", ":"))
        with aws_errors():
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=body.encode(), ContentType="application/json"
            )
        return key

    def read(self, key: str) -> list[Partition]:
        with aws_errors():
            body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return [Partition.model_validate(item) for item in json.loads(body)]
