"""The crm-hygiene stack: it only composes the components (docs/pipeline.md is the contract)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infra import names
from infra.components.access import ACCESS
from infra.components.api import ReviewApi
from infra.components.functions import Functions
from infra.components.jobs_workflow import JobsWorkflow
from infra.components.merge_workflow import MergeWorkflow
from infra.components.monitoring import Monitoring
from infra.components.queues import Queues
from infra.components.scan_workflow import ScanWorkflow
from infra.components.schedules import Schedules
from infra.components.signals import Signals
from infra.components.storage import Storage
from infra.config import StackConfig


class CrmHygieneStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, layer_dir: Path, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, description="crm-hygiene: CRM data hygiene pipeline", **kwargs)
        self.config = config
        storage = Storage(self, names.STORAGE, config=config)
        signals = Signals(self, names.SIGNALS, config=config)
        queues = Queues(self, names.QUEUES, config=config)
        fns = Functions(
            self,
            names.FUNCTIONS,
            config=config,
            layer_dir=layer_dir,
            storage=storage,
            signals=signals,
            queues=queues,
        )
        scan = ScanWorkflow(
            self,
            names.SCAN_WORKFLOW,
            config=config,
            scan_fn=fns[names.SCAN_FN],
            snapshot_bucket=storage.snapshot_bucket,
        )
        merge = MergeWorkflow(
            self,
            names.MERGE_WORKFLOW,
            config=config,
            merge_review_fn=fns[names.MERGE_REVIEW_FN],
            apply_fn=fns[names.APPLY_FN],
            decision_memory=storage.table(names.DECISION_MEMORY_TABLE),
            alerts=signals.alerts,
            alerts_key=signals.key,
        )
        for function_id, access in ACCESS.items():
            if access.merge_workflow:
                merge.grant(fns[function_id], *access.merge_workflow)
        for function_id, access in ACCESS.items():
            if access.scan_workflow:
                scan.grant(fns[function_id], *access.scan_workflow)
        jobs = JobsWorkflow(self, names.JOBS_WORKFLOW, config=config, jobs_fn=fns[names.JOBS_FN])
        for function_id, access in ACCESS.items():
            if access.jobs_workflow:
                jobs.grant(fns[function_id], *access.jobs_workflow)
        api = ReviewApi(
            self,
            names.API,
            config=config,
            review_fn=fns[names.REVIEW_API_FN],
            webhook_fn=fns[names.WEBHOOK_FN],
        )
        schedules = Schedules(
            self,
            names.SCHEDULES,
            config=config,
            scan_workflow=scan.state_machine,
            audit_verify_fn=fns[names.AUDIT_VERIFY_FN].function,
        )
        Monitoring(
            self,
            names.MONITORING,
            config=config,
            alerts=signals.alerts,
            dlqs=queues.dlqs,
            functions=fns.all,
            workflows={
                names.SCAN_WORKFLOW: scan.state_machine,
                names.MERGE_WORKFLOW: merge.state_machine,
                names.JOBS_WORKFLOW: jobs.state_machine,
            },
        )
        cdk.CfnOutput(self, names.OUTPUT_API_URL, value=api.url)
        cdk.CfnOutput(self, names.OUTPUT_SCAN_WORKFLOW_ARN, value=scan.state_machine.state_machine_arn)
        cdk.CfnOutput(self, names.OUTPUT_MERGE_WORKFLOW_ARN, value=merge.state_machine.state_machine_arn)
        cdk.CfnOutput(self, names.OUTPUT_JOBS_WORKFLOW_ARN, value=jobs.state_machine.state_machine_arn)
        cdk.CfnOutput(self, names.OUTPUT_AUDIT_BUCKET, value=storage.audit_bucket.bucket_name)
        cdk.CfnOutput(self, names.OUTPUT_SCHEDULE_RULE, value=schedules.rule.rule_name)
        cdk.CfnOutput(self, names.OUTPUT_AUDIT_TABLE, value=storage.table(names.AUDIT_TABLE).table_name)
        cdk.CfnOutput(self, names.OUTPUT_AUDIT_KEY_SECRET, value=config.names.audit_key_secret)
        cdk.CfnOutput(self, names.OUTPUT_AUDIT_DIGEST_KEY, value=storage.digest_key.key_arn)
        if api.console_auth is not None:
            auth = api.console_auth
            cdk.CfnOutput(self, names.OUTPUT_USER_POOL_ID, value=auth.pool.user_pool_id)
            cdk.CfnOutput(self, names.OUTPUT_CONSOLE_CLIENT_ID, value=auth.client.user_pool_client_id)
            cdk.CfnOutput(self, names.OUTPUT_HOSTED_UI_URL, value=auth.domain.base_url())
