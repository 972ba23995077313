"""JobsWorkflow: a background job's worker (a run's rollback, bulk decisions over 200 items).

    RunJob (jobs fn: chunks from the checkpoint while time allows) ─▶ JobDone? ─no──▶ RunJob
       │ retries exhausted                                            └yes─▶ Finished
       └──▶ MarkFailed (jobs fn: the job is ``failed``, resumable by the next request) ─▶ JobFailed

Every chunk's results and the checkpoint past it are in the jobs table, so a retried RunJob (a
crash, a timeout) continues where the last stored chunk ended; the core refuses to act twice on an
item, so a chunk replayed after a crash repeats nothing. The review API starts one execution per
job attempt, named ``<job id>-<attempt>``.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra import names
from infra.components.functions import HygieneFunction
from infra.components.workflow import acknowledge_invoke, state_machine
from infra.config import StackConfig

THROTTLE_ERRORS = ["Throttled", "Lambda.TooManyRequestsException"]


class JobsWorkflow(Construct):
    """The jobs state machine (docs/pipeline.md, "JobsWorkflow")."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, jobs_fn: HygieneFunction
    ) -> None:
        super().__init__(scope, construct_id)
        run = tasks.LambdaInvoke(
            self,
            "RunJob",
            lambda_function=jobs_fn.function,
            payload=sfn.TaskInput.from_object(
                {"action": "run", "job_id.$": "$.job_id", "attempt.$": "$.attempt"}
            ),
            payload_response_only=True,
        )
        # Slow down for a throttling CRM; any other failure (a crash, Lambda's timeout) is retried a
        # few times from the checkpoint before the job is given up as failed (and resumable).
        run.add_retry(
            errors=THROTTLE_ERRORS, interval=cdk.Duration.seconds(10), backoff_rate=2, max_attempts=6
        )
        run.add_retry(
            errors=[sfn.Errors.ALL], interval=cdk.Duration.seconds(5), backoff_rate=2, max_attempts=3
        )
        mark_failed = tasks.LambdaInvoke(
            self,
            "MarkFailed",
            lambda_function=jobs_fn.function,
            payload=sfn.TaskInput.from_object(
                {
                    "action": "fail",
                    "job_id.$": "$.job_id",
                    "attempt.$": "$.attempt",
                    "error.$": "$.error.Error",
                }
            ),
            payload_response_only=True,
            result_path=sfn.JsonPath.DISCARD,
        )
        mark_failed.next(sfn.Fail(self, "JobFailed", error="JobFailed", cause="the job's worker stopped"))
        run.add_catch(mark_failed, errors=[sfn.Errors.ALL], result_path="$.error")
        done = (
            sfn.Choice(self, "JobDone")
            .when(sfn.Condition.boolean_equals("$.done", True), sfn.Succeed(self, "Finished"))
            .otherwise(run)
        )
        self.state_machine = state_machine(
            self,
            "StateMachine",
            config=config,
            name=config.names.state_machine(names.JOBS_WORKFLOW),
            log_group_name=config.names.log_group("states", "jobs"),
            definition=run.next(done),
            timeout=cdk.Duration.hours(24),
        )
        acknowledge_invoke(self.state_machine, jobs_fn)

    def grant(self, fn: HygieneFunction, *actions: str) -> None:
        """``actions`` on this workflow only (``infra/components/access.py`` says who gets which)."""
        self.state_machine.grant(fn.grantee, *actions)
