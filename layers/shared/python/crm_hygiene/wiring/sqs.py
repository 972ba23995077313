"""SQS records of the queue-triggered functions, their bodies parsed by ``BatchProcessor(model=...)``.

Defined here, not in the handler modules: pydantic resolves ``Json[...]`` through the defining
module, and the local stack imports handler files under generated module names.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from crm_hygiene.models.messages import ApplyMessage, EnrichMessage, ScanRequest


class ApplyRecord(SqsRecordModel):
    """An apply-queue record: one decided change to write."""

    body: Json[ApplyMessage]


class EnrichRecord(SqsRecordModel):
    """An enrich-queue record: one record to enrich."""

    body: Json[EnrichMessage]


class ScanRequestRecord(SqsRecordModel):
    """A scan-requests record: one record to check at entry (from a webhook)."""

    body: Json[ScanRequest]
