"""What each function's code calls, per resource: the one list the stack grants from
(``functions.py``, ``stack.py``) and the infra tests hold the template to (``tests/infra/test_access.py``).

How the list was derived: each function's settings model names the resources it can reach (a
resource its settings do not read is unreachable: ``AwsDeps`` refuses to build the adapter), and
for each of them the adapter methods its handler's use cases call were followed to the boto3 calls
they make (``adapters/aws/*.py``):

============================  ===============================================================
adapter method                boto3 call -> IAM action
============================  ===============================================================
ChangeQueue.put_new/transition  put_item -> PutItem
ChangeQueue.get                 get_item -> GetItem
ChangeQueue.list (a filter)     query -> Query;  (no filter) scan -> Scan
ChangeQueue.oldest              query -> Query
ChangeQueue.set_task_token      update_item -> UpdateItem
CrmStore (internal) list_records / list_partition / get_records
                                query -> Query / scan -> Scan / get_item -> GetItem
CrmStore.write_fields / merge   update_item -> UpdateItem / transact_write_items ->
                                TransactWriteItems (+ get_item after a failed merge)
HealthStore.put_scores          batch_writer -> BatchWriteItem; the rest put_item / query / get_item
QualityStore (health table)     query (snapshot), update_item (counters), put_item / get_item (feedback)
DecisionMemory                  get_item (was_rejected), put_item (remember_rejection)
MatchIndexStore                 get_item, batch_get_item, query, put_item, batch_write_item
IdempotencyStore                put_item (claim), delete_item (release)
============================  ===============================================================

``tests/infra/test_access.py`` fails when a function's role holds an action that is not in this list,
and when the list names a DynamoDB action that the adapters of that table never call. To grant a new
call, add it here (with the code path in a comment): the grant and the test follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from infra import names

GET, PUT, UPDATE, DELETE = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
QUERY, SCAN = "dynamodb:Query", "dynamodb:Scan"
BATCH_GET, BATCH_WRITE = "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"
TRANSACT_WRITE = "dynamodb:TransactWriteItems"

SEND_MESSAGE = "sqs:SendMessage"  # send_message_batch
QUEUE_ATTRIBUTES = "sqs:GetQueueAttributes"  # a dead-letter queue's depth
GET_SECRET_VALUE = "secretsmanager:GetSecretValue"  # powertools get_secret
GET_PARAMETER = "ssm:GetParameter"  # powertools get_parameter
START_EXECUTION = "states:StartExecution"
TASK_RESPONSE = ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")
LIST_EXECUTIONS = "states:ListExecutions"
DESCRIBE_EXECUTION = "states:DescribeExecution"  # on the workflow's executions, not the workflow


@dataclass(frozen=True)
class Access:
    """One function's data-plane access (secrets and parameters follow its settings model instead:
    ``CrmEnv`` -> the CRM token, ``StandardEnv`` -> the standard, ``ProvidersEnv`` -> the providers
    file, ``WebhookEnv`` -> the signing secret, ``AlertsEnv`` -> the alerts topic)."""

    tables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Table construct id -> DynamoDB actions (on the table and its indexes)."""
    audit: bool = False
    """Appends to the audit log (``Storage.grant_audit_append``: Put/Get/Query, archive put/get)."""
    sends: tuple[str, ...] = ()
    """Work queues (construct ids) it sends to: ``sqs:SendMessage``."""
    publishes: tuple[str, ...] = ()
    """Signal topics (construct ids) it publishes to: ``sns:Publish`` (+ the topics' KMS key)."""
    merge_workflow: tuple[str, ...] = ()
    """Step Functions actions on the merge workflow."""
    jobs_workflow: tuple[str, ...] = ()
    """Step Functions actions on the jobs workflow (the review API starts a job's worker)."""
    scan_workflow: tuple[str, ...] = ()
    """Step Functions actions on the scan workflow (``DESCRIBE_EXECUTION``: on its executions only)."""
    dead_letter_depth: bool = False
    """Reads the depth of the dead-letter queues (``sqs:GetQueueAttributes``) for the console."""
    snapshot: bool = False
    """Writes and reads the scan snapshot bucket (Distributed Map only)."""


_SCAN_TABLES: Final = {
    names.CRM_TABLE: (QUERY, SCAN),  # list_records (by_type), list_partition (segments)
    names.HEALTH_TABLE: (
        BATCH_WRITE,
        PUT,
        QUERY,
    ),  # put_scores; partition totals, aggregate; quality snapshot
    names.DECISION_MEMORY_TABLE: (GET,),  # was_rejected
    names.MATCH_INDEX_TABLE: (GET, BATCH_GET, QUERY, PUT, BATCH_WRITE),  # save / open the match index
}

ACCESS: Final[dict[str, Access]] = {
    names.SCAN_FN: Access(
        tables={
            **_SCAN_TABLES,
            # put_new (enqueue); oldest (queue age) and the whole queue's decision figures at finalize
            names.CHANGE_QUEUE_TABLE: (PUT, QUERY, SCAN),
        },
        sends=("ApplyQueue", "EnrichQueue"),
        publishes=("HealthTopic", "MeasurementTopic", "RelationshipTopic", "ProviderQualityTopic"),
        merge_workflow=(START_EXECUTION,),  # Finalize proposes merges
        snapshot=True,
    ),
    names.ENTRY_SCAN_FN: Access(
        tables={
            **_SCAN_TABLES,
            names.CRM_TABLE: (GET, QUERY),  # the record by id; the index built from the CRM
            names.HEALTH_TABLE: (BATCH_WRITE,),  # put_scores
            names.CHANGE_QUEUE_TABLE: (PUT,),  # put_new
        },
        sends=("ApplyQueue", "EnrichQueue"),
        publishes=("HealthTopic",),
        merge_workflow=(START_EXECUTION,),  # a new record that duplicates one
    ),
    names.WEBHOOK_FN: Access(
        tables={names.IDEMPOTENCY_TABLE: (PUT, DELETE)},  # claim an event id; release it when queueing fails
        sends=("ScanRequestsQueue",),
    ),
    names.ENRICH_FN: Access(
        tables={
            names.CRM_TABLE: (GET, QUERY),  # the batch's records; the CRM directory
            names.CHANGE_QUEUE_TABLE: (PUT,),  # put_new
            names.HEALTH_TABLE: (QUERY, UPDATE, PUT),  # provider quality: snapshot, counters, feedback
            names.DECISION_MEMORY_TABLE: (GET,),  # was_rejected
        },
        sends=("ApplyQueue",),
        publishes=("RelationshipTopic",),  # job changes found while enriching
    ),
    names.APPLY_FN: Access(
        tables={
            # write_fields (conditional update), merge (transaction), get_records (merge winners)
            names.CRM_TABLE: (GET, UPDATE, TRANSACT_WRITE),
            names.CHANGE_QUEUE_TABLE: (GET, PUT),  # get, transition; put_new (an auto merge's item)
        },
        audit=True,
    ),
    names.REVIEW_API_FN: Access(
        tables={
            # rollback: write_fields; an edit on a finding reads the record's value now (get_records);
            # unmerge: restore_merged (reinstate + the survivor's merged ids, in one transaction)
            names.CRM_TABLE: (GET, UPDATE, TRANSACT_WRITE),
            # get, transition; list (by an index, or all: Scan) for /reviews and /metrics
            names.CHANGE_QUEUE_TABLE: (GET, PUT, QUERY, SCAN),
            # /health aggregate, /health/history (query); review outcomes teach quality
            names.HEALTH_TABLE: (GET, UPDATE, PUT, QUERY),
            names.DECISION_MEMORY_TABLE: (PUT,),  # remember_rejection
            # start a job (plan + first checkpoint in one transaction), read its progress and results
            names.JOBS_TABLE: (GET, PUT, QUERY, TRANSACT_WRITE, BATCH_WRITE),
        },
        audit=True,
        sends=("ApplyQueue",),
        publishes=("MeasurementTopic",),  # the figures of each decision batch
        jobs_workflow=(START_EXECUTION,),  # a job's worker
        # POST /scans: start a scan (or find the running one), GET /scans/{id}: its execution
        scan_workflow=(START_EXECUTION, LIST_EXECUTIONS, DESCRIBE_EXECUTION),
        # resume / fail a waiting merge; count failed merges for /metrics
        merge_workflow=(*TASK_RESPONSE, LIST_EXECUTIONS),
        dead_letter_depth=True,
    ),
    # a job's worker does what the review API would, item by item (rollback_change, decide)
    names.JOBS_FN: Access(
        tables={
            # rollback: write_fields; an edit on a finding reads the record's value now (get_records);
            # a run's rollback unmerges its merges: restore_merged (one transaction)
            names.CRM_TABLE: (GET, UPDATE, TRANSACT_WRITE),
            names.CHANGE_QUEUE_TABLE: (GET, PUT, QUERY, SCAN),  # get, transition; a run's applied items
            names.HEALTH_TABLE: (GET, UPDATE, PUT),  # review outcomes teach provider quality
            names.DECISION_MEMORY_TABLE: (PUT,),  # remember_rejection
            # the job: read, claim, chunk results + checkpoint in one transaction, finish
            names.JOBS_TABLE: (GET, PUT, QUERY, BATCH_WRITE, TRANSACT_WRITE),
        },
        audit=True,
        sends=("ApplyQueue",),
        merge_workflow=TASK_RESPONSE,  # bulk decisions over 200 items decide merges as the review API would
    ),
    names.MERGE_REVIEW_FN: Access(
        tables={names.CHANGE_QUEUE_TABLE: (GET, PUT, UPDATE)},  # put_new, set_task_token, get
        audit=True,
    ),
}
