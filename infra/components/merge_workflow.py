"""MergeWorkflow: merge a duplicate pair automatically, or wait for a reviewer's decision.

    IsAuto ─yes─▶ AutoApprove ─▶ Merge ─▶ Merged
       └─no──▶ AwaitReview (waitForTaskToken, timeout) ─approved─▶ Merge
                  ├─ Rejected ──────▶ RememberRejection (DynamoDB PutItem) ─▶ Rejected
                  └─ States.Timeout ─▶ Escalate (SNS alerts) ─▶ Expired
       Merge (after its retries) or AwaitReview fails ─▶ MergeFailedAlert (SNS alerts) ─▶ MergeFailed

The task token goes to the merge-review function, which stores it on the change-queue item; only
the review API may answer it (``states:SendTask*``, infra/components/access.py), so a token never
leaves the server. A failed execution publishes one ``merge_failed`` alert (the ``Alert`` model's
shape, ids only: no error cause, which may quote record values) and then fails, so the workflow
failure alarm counts it too.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from crm_hygiene.types import ALERT_MEANINGS
from infra import names
from infra.components.functions import HygieneFunction
from infra.components.workflow import acknowledge_invoke, state_machine
from infra.config import StackConfig

REJECTED = "Rejected"
THROTTLE_ERRORS = ["Throttled", "Lambda.TooManyRequestsException"]
AUTO_DECISION = {"decision": "approve", "reviewer": "policy:auto_merge"}
MERGE_FAILED_SUBJECT = f"crm-hygiene high: {ALERT_MEANINGS['merge_failed']}"[:100]


class MergeWorkflow(Construct):
    """The merge approval workflow (docs/pipeline.md, "MergeWorkflow")."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        merge_review_fn: HygieneFunction,
        apply_fn: HygieneFunction,
        decision_memory: ddb.ITable,
        alerts: sns.ITopic,
        alerts_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        failed = self._merge_failed(alerts)
        merge = self._merge(apply_fn, failed)
        await_review = self._await_review(config, merge_review_fn)
        await_review.add_catch(self._remember(decision_memory), errors=[REJECTED], result_path="$.error")
        await_review.add_catch(self._escalate(alerts), errors=[sfn.Errors.TIMEOUT], result_path="$.error")
        await_review.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.error")
        await_review.next(merge)
        auto = sfn.Pass(
            self, "AutoApprove", result=sfn.Result.from_object(AUTO_DECISION), result_path="$.decision"
        )
        is_auto = (
            sfn.Choice(self, "IsAuto")
            .when(sfn.Condition.boolean_equals("$.auto", True), auto.next(merge))
            .otherwise(await_review)
        )
        self.state_machine = state_machine(
            self,
            "StateMachine",
            config=config,
            name=config.names.state_machine(names.MERGE_WORKFLOW),
            log_group_name=config.names.log_group("states", "merge"),
            definition=is_auto,
            timeout=cdk.Duration.seconds(config.review_timeout_seconds).plus(cdk.Duration.days(1)),
        )
        # Publishing to the KMS-encrypted alerts topic needs the key too (SnsPublish grants only sns:Publish).
        alerts_key.grant(self.state_machine, "kms:Decrypt", "kms:GenerateDataKey")
        acknowledge_invoke(self.state_machine, merge_review_fn)
        acknowledge_invoke(self.state_machine, apply_fn)

    def grant(self, fn: HygieneFunction, *actions: str) -> None:
        """``actions`` on this workflow only (``infra/components/access.py`` says who gets which: the
        task responses go to the review API alone)."""
        self.state_machine.grant(fn.grantee, *actions)

    def _await_review(self, config: StackConfig, fn: HygieneFunction) -> tasks.LambdaInvoke:
        return tasks.LambdaInvoke(
            self,
            "AwaitReview",
            lambda_function=fn.function,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {
                    "task_token": sfn.JsonPath.task_token,
                    "review_id.$": "$.review_id",
                    "run_id.$": "$.run_id",
                    "proposal.$": "$.proposal",
                }
            ),
            task_timeout=sfn.Timeout.duration(cdk.Duration.seconds(config.review_timeout_seconds)),
            result_path="$.decision",
        )

    def _merge_failed(self, alerts: sns.ITopic) -> sfn.IChainable:
        """One ``merge_failed`` alert, then the execution fails."""
        publish = tasks.SnsPublish(
            self,
            "MergeFailedAlert",
            topic=alerts,
            subject=MERGE_FAILED_SUBJECT,
            message=sfn.TaskInput.from_object(
                {
                    "kind": "merge_failed",
                    "severity": "high",
                    "summary": "the merge workflow failed; the execution's history says at which step",
                    "review_id.$": "$.review_id",
                    "run_id.$": "$.run_id",
                    "execution.$": "$$.Execution.Id",
                    "at.$": "$$.State.EnteredTime",
                }
            ),
            message_attributes={
                "kind": tasks.MessageAttribute(value="merge_failed"),
                "severity": tasks.MessageAttribute(value="high"),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        return publish.next(
            sfn.Fail(
                self, "MergeFailed", error="MergeFailed", cause="The merge workflow failed (see the alert)"
            )
        )

    def _merge(self, fn: HygieneFunction, failed: sfn.IChainable) -> tasks.LambdaInvoke:
        merge = tasks.LambdaInvoke(
            self,
            "Merge",
            lambda_function=fn.function,
            payload=sfn.TaskInput.from_object(
                {
                    "action": "merge",
                    "review_id.$": "$.review_id",
                    "run_id.$": "$.run_id",
                    "proposal.$": "$.proposal",
                    "decision.$": "$.decision",
                }
            ),
            payload_response_only=True,
            result_path="$.merge",
        )
        merge.add_retry(
            errors=THROTTLE_ERRORS, interval=cdk.Duration.seconds(5), backoff_rate=2, max_attempts=5
        )
        merge.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.error")
        merge.next(sfn.Succeed(self, "Merged"))
        return merge

    def _remember(self, decision_memory: ddb.ITable) -> sfn.IChainable:
        """Records the rejected pair so it is never proposed again; an existing record is kept as is."""
        put = tasks.DynamoPutItem(
            self,
            "RememberRejection",
            table=decision_memory,
            item={
                "key": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.review_id")),
                "kind": tasks.DynamoAttributeValue.from_string("merge"),
                "run_id": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.run_id")),
                "reason": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.error.Cause")),
                "reviewer": tasks.DynamoAttributeValue.from_string("workflow:merge"),
                "decided_at": tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.string_at("$$.State.EnteredTime")
                ),
            },
            # The review API usually remembers the rejection itself, with the reviewer's identity:
            # keep that record rather than overwrite it with the workflow's.
            condition_expression="attribute_not_exists(#k)",
            expression_attribute_names={"#k": "key"},
            result_path=sfn.JsonPath.DISCARD,
        )
        done = sfn.Succeed(self, "Rejected")
        put.add_catch(
            done, errors=["DynamoDB.ConditionalCheckFailedException"], result_path=sfn.JsonPath.DISCARD
        )
        return put.next(done)

    def _escalate(self, alerts: sns.ITopic) -> sfn.IChainable:
        publish = tasks.SnsPublish(
            self,
            "Escalate",
            topic=alerts,
            subject="crm-hygiene: a merge review expired",
            message=sfn.TaskInput.from_object(
                {
                    "signal": "merge_review_expired",
                    "review_id.$": "$.review_id",
                    "run_id.$": "$.run_id",
                    "execution.$": "$$.Execution.Id",
                }
            ),
            message_attributes={
                "signal": tasks.MessageAttribute(value="merge_review_expired"),
                "version": tasks.MessageAttribute(value="1"),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        # An expired review is an outcome, not a failure: the escalation already told a person, so the
        # execution ends as succeeded and the workflow-failure alarm stays for real failures.
        return publish.next(sfn.Succeed(self, "Expired"))
