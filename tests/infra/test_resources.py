"""The resources of docs/pipeline.md, checked against the contract's own tables (not infra's code)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra import names
from tests.infra.conftest import Synth
from tests.infra.template_tools import mentions

# docs/pipeline.md, "Functions": id -> (handler, timeout, memory)
FUNCTIONS = {
    "ScanFunction": ("scan_handler.lambda_handler", 900, 2048),
    "EntryScanFunction": ("entry_handler.lambda_handler", 60, 1024),
    "WebhookFunction": ("webhook_handler.lambda_handler", 60, 1024),
    "EnrichFunction": ("enrich_handler.lambda_handler", 60, 1024),
    "ApplyFunction": ("apply_handler.lambda_handler", 300, 1024),
    "ReviewApiFunction": ("review_api_handler.lambda_handler", 60, 1024),
    "MergeReviewFunction": ("merge_review_handler.lambda_handler", 60, 1024),
    "JobsFunction": ("jobs_handler.lambda_handler", 300, 1024),
    "AuditVerifyFunction": ("audit_verify_handler.lambda_handler", 900, 1024),
}
# docs/pipeline.md, "Environment variables": what each function always gets (conditional ones aside)
_CRM = {"CRM_TABLE", "CRM_KIND"}
_SIGNALS = {
    "TOPIC_HEALTH_ARN",
    "TOPIC_RELATIONSHIP_ARN",
    "TOPIC_PROVIDER_QUALITY_ARN",
    "TOPIC_MEASUREMENT_ARN",
}
_AUDIT = {"AUDIT_TABLE", "AUDIT_BUCKET", "AUDIT_KEY_SECRET_NAME"}
_DIGESTS = {"AUDIT_DIGEST_KEY_ID", "AUDIT_DIGEST_MAX_AGE_SECONDS"}  # AUDIT_ALLOW_LEGACY: only when on
_SCAN = _CRM | _SIGNALS | {
    "CHANGE_QUEUE_TABLE", "DECISION_MEMORY_TABLE", "HEALTH_TABLE", "MATCH_INDEX_TABLE", "APPLY_QUEUE_URL",
    "ENRICH_QUEUE_URL", "MERGE_WORKFLOW_ARN",
}  # fmt: skip
FUNCTION_ENV = {
    "ScanFunction": _SCAN | {"SCAN_PARTITIONS"},
    "EntryScanFunction": _SCAN,
    "WebhookFunction": {"CRM_KIND", "WEBHOOK_SECRET_NAME", "IDEMPOTENCY_TABLE", "SCAN_REQUESTS_QUEUE_URL"},
    "EnrichFunction": _CRM | _SIGNALS | {"CHANGE_QUEUE_TABLE", "DECISION_MEMORY_TABLE", "HEALTH_TABLE", "APPLY_QUEUE_URL"},
    "ApplyFunction": _CRM | _AUDIT | {"CHANGE_QUEUE_TABLE", "TOPIC_ALERTS_ARN"},
    "ReviewApiFunction": _CRM | _AUDIT | _DIGESTS | {
        "CHANGE_QUEUE_TABLE", "DECISION_MEMORY_TABLE", "HEALTH_TABLE",
        "APPLY_QUEUE_URL", "MERGE_WORKFLOW_ARN", "TOPIC_ALERTS_ARN", "TOPIC_MEASUREMENT_ARN",
        "DEAD_LETTER_QUEUE_URLS", "JOBS_TABLE", "JOBS_WORKFLOW_ARN", "SCAN_WORKFLOW_ARN",
    },
    "MergeReviewFunction": _AUDIT | {"CHANGE_QUEUE_TABLE"},
    "AuditVerifyFunction": _AUDIT | _DIGESTS | {"TOPIC_ALERTS_ARN"},
    "JobsFunction": _CRM | _AUDIT | {
        "CHANGE_QUEUE_TABLE", "DECISION_MEMORY_TABLE", "HEALTH_TABLE",
        "APPLY_QUEUE_URL", "MERGE_WORKFLOW_ARN", "TOPIC_ALERTS_ARN", "JOBS_TABLE",
    },
}  # fmt: skip
RUNTIME_ENV = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
# docs/pipeline.md, "DynamoDB tables": table -> (key schema, GSIs)
TABLES: dict[str, tuple[list[tuple[str, str, str]], dict[str, list[tuple[str, str]]]]] = {
    "change-queue": (
        [("review_id", "HASH", "S")],
        {
            "by_status": [("status", "HASH"), ("created_at", "RANGE")],
            "by_kind": [("kind", "HASH"), ("created_at", "RANGE")],
            "by_object": [("object_type", "HASH"), ("created_at", "RANGE")],
            "by_created": [("created_day", "HASH"), ("created_at", "RANGE")],
            "by_run": [("run_id", "HASH"), ("created_at", "RANGE")],
            "by_status_confidence": [("status", "HASH"), ("sort_confidence", "RANGE")],
            "by_status_priority": [("status", "HASH"), ("sort_priority", "RANGE")],
        },
    ),
    "audit": (
        [("record_key", "HASH", "S"), ("seq", "RANGE", "N")],
        {
            "by_run": [("run_id", "HASH"), ("at", "RANGE")],
            "by_change": [("change_id", "HASH"), ("at", "RANGE")],
        },
    ),
    "decision-memory": ([("key", "HASH", "S")], {}),
    "health": ([("pk", "HASH", "S"), ("sk", "RANGE", "S")], {}),
    "match-index": (
        [("block_key", "HASH", "S"), ("record_key", "RANGE", "S")],
        {"by_record": [("record_key", "HASH"), ("block_key", "RANGE")]},
    ),
    "idempotency": ([("id", "HASH", "S")], {}),
    "jobs": ([("pk", "HASH", "S"), ("sk", "RANGE", "S")], {}),
    "crm": ([("pk", "HASH", "S")], {"by_type": [("object_type", "HASH"), ("record_id", "RANGE")]}),
}
SIGNAL_TOPICS = {
    "hygiene_health_score",
    "relationship_graph_signal",
    "data_provider_quality_signal",
    "measurement",
}


def _functions(synth: Synth) -> dict[str, dict[str, Any]]:
    by_name = {v["Properties"]["FunctionName"]: v for v in synth.of_type("AWS::Lambda::Function").values()}
    return {function_id: by_name[synth.config.names.function(function_id)] for function_id in FUNCTIONS}


def _table(synth: Synth, short: str) -> dict[str, Any]:
    name = synth.config.names.of(short)
    [table] = [
        v for v in synth.of_type("AWS::DynamoDB::Table").values() if v["Properties"]["TableName"] == name
    ]
    return table


def _logical_id(synth: Synth, cfn_type: str, prop: str, value: Any) -> str:
    [logical_id] = [k for k, v in synth.of_type(cfn_type).items() if v["Properties"].get(prop) == value]
    return logical_id


# ---- functions --------------------------------------------------------------------------------------


def test_there_are_exactly_the_contract_functions(synth):
    assert len(synth.of_type("AWS::Lambda::Function")) == len(FUNCTIONS)


@pytest.mark.parametrize("function_id", list(FUNCTIONS))
def test_every_function_runs_as_the_contract_says(synth, function_id):
    handler, timeout, memory = FUNCTIONS[function_id]
    props = _functions(synth)[function_id]["Properties"]
    assert props["Handler"] == handler
    assert props["Runtime"] == "python3.11"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert (props["Timeout"], props["MemorySize"]) == (timeout, memory)
    assert "ReservedConcurrentExecutions" not in props
    assert set(props["Environment"]["Variables"]) == FUNCTION_ENV[function_id] | RUNTIME_ENV


def test_every_function_has_the_shared_layer(synth):
    [layer] = synth.of_type("AWS::Lambda::LayerVersion")
    layer_props = synth.resources[layer]["Properties"]
    assert layer_props["CompatibleArchitectures"] == ["arm64"]
    assert layer_props["CompatibleRuntimes"] == ["python3.11"]
    for function_id, fn in _functions(synth).items():
        assert {"Ref": layer} in fn["Properties"]["Layers"], function_id


def test_only_the_webhook_function_knows_the_webhook_secret(synth):
    for function_id, fn in _functions(synth).items():
        env = fn["Properties"]["Environment"]["Variables"]
        assert ("WEBHOOK_SECRET_NAME" in env) == (function_id == names.WEBHOOK_FN)


def test_the_merge_workflow_arn_in_the_environment_is_the_real_one(synth):
    # The env var is built from the name (a Ref would be a dependency cycle): it must name the machine.
    name = synth.config.names.state_machine("MergeWorkflow")
    machines = [
        v["Properties"]["StateMachineName"]
        for v in synth.of_type("AWS::StepFunctions::StateMachine").values()
    ]
    assert name in machines
    starters = [
        f
        for f in _functions(synth).values()
        if "MERGE_WORKFLOW_ARN" in f["Properties"]["Environment"]["Variables"]
    ]
    assert len(starters) == 4  # scan, entry-scan, review-api, jobs (bulk decisions on merges)
    for fn in starters:
        arn = json.dumps(fn["Properties"]["Environment"]["Variables"]["MERGE_WORKFLOW_ARN"])
        assert f":stateMachine:{name}" in arn


def test_optional_settings_reach_the_environment(variant):
    functions = _functions(variant)
    env = functions[names.SCAN_FN]["Properties"]["Environment"]["Variables"]
    assert env["CRM_KIND"] == "hubspot"
    assert env["HUBSPOT_TOKEN_SECRET_NAME"] == "crm-hygiene/prod/hubspot-token"
    assert env["STANDARD_PARAMETER"] == "/crm-hygiene/prod/standard"
    assert "SNAPSHOT_BUCKET" in env
    # only the scan function plans, only the enrich function reads the providers file
    with_snapshot = {
        f for f, v in functions.items() if "SNAPSHOT_BUCKET" in v["Properties"]["Environment"]["Variables"]
    }
    with_providers = {
        f
        for f, v in functions.items()
        if "PROVIDERS_PARAMETER" in v["Properties"]["Environment"]["Variables"]
    }
    assert (with_snapshot, with_providers) == ({names.SCAN_FN}, {names.ENRICH_FN})
    # only the webhook function tells our own HubSpot writes apart, by the app's id
    with_app_id = {
        f: v["Properties"]["Environment"]["Variables"]["HUBSPOT_APP_ID"]
        for f, v in functions.items()
        if "HUBSPOT_APP_ID" in v["Properties"]["Environment"]["Variables"]
    }
    assert with_app_id == {names.WEBHOOK_FN: "1160452"}


@pytest.mark.parametrize(
    ("function_id", "queue", "batch"),
    [
        ("EntryScanFunction", "scan-requests", 10),
        ("EnrichFunction", "enrich", 10),
        ("ApplyFunction", "apply", 25),
    ],
)
def test_sqs_triggers_report_partial_batch_failures(synth, function_id, queue, batch):
    fn = _logical_id(synth, "AWS::Lambda::Function", "FunctionName", synth.config.names.function(function_id))
    queue_id = _logical_id(synth, "AWS::SQS::Queue", "QueueName", synth.config.names.queue(queue))
    [mapping] = [v for v in synth.of_type("AWS::Lambda::EventSourceMapping").values() if mentions(v, fn)]
    props = mapping["Properties"]
    assert mentions(props["EventSourceArn"], queue_id)
    assert props["BatchSize"] == batch
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


# ---- tables -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("short", list(TABLES))
def test_tables_have_the_contract_keys_and_indexes(synth, short):
    key, indexes = TABLES[short]
    props = _table(synth, short)["Properties"]
    assert props["KeySchema"] == [{"AttributeName": n, "KeyType": k} for n, k, _ in key]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert all(types[n] == t for n, _, t in key)
    got = {
        g["IndexName"]: [(k["AttributeName"], k["KeyType"]) for k in g["KeySchema"]]
        for g in props.get("GlobalSecondaryIndexes", [])
    }
    assert got == indexes
    assert all(types[n] == "S" for keys in indexes.values() for n, _ in keys)


@pytest.mark.parametrize("short", list(TABLES))
def test_tables_are_protected(synth, short):
    props = _table(synth, short)["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"]["SSEEnabled"] is True


def test_tables_survive_stack_deletion(synth):
    for table in synth.of_type("AWS::DynamoDB::Table").values():
        assert table["DeletionPolicy"] == "Retain"


def test_idempotency_ttl_and_crm_stream(synth):
    ttl = _table(synth, "idempotency")["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiration", "Enabled": True}
    assert _table(synth, "crm")["Properties"]["StreamSpecification"] == {
        "StreamViewType": "NEW_AND_OLD_IMAGES"
    }


# ---- buckets ----------------------------------------------------------------------------------------


def test_the_audit_bucket_is_versioned_object_locked_private_and_encrypted(synth):
    synth.template.has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "Retain",
            "Properties": Match.object_like(
                {
                    "ObjectLockEnabled": True,
                    "ObjectLockConfiguration": {
                        "ObjectLockEnabled": "Enabled",
                        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}},
                    },
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "BucketEncryption": Match.any_value(),
                    "LoggingConfiguration": Match.any_value(),
                }
            ),
        },
    )


def test_retention_mode_and_days_come_from_config(variant):
    [locked] = [
        b for b in variant.of_type("AWS::S3::Bucket").values() if b["Properties"].get("ObjectLockEnabled")
    ]
    rule = locked["Properties"]["ObjectLockConfiguration"]["Rule"]
    assert rule == {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}


def test_every_bucket_refuses_plain_http(synth, variant):
    for s in (synth, variant):
        buckets = set(s.of_type("AWS::S3::Bucket"))
        secured = {
            policy["Properties"]["Bucket"]["Ref"]
            for policy in s.of_type("AWS::S3::BucketPolicy").values()
            if any(
                st["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(st)
                for st in policy["Properties"]["PolicyDocument"]["Statement"]
            )
        }
        assert buckets == secured


def test_the_snapshot_bucket_exists_only_with_distributed_map(synth, variant):
    assert len(synth.of_type("AWS::S3::Bucket")) == 2  # audit + access logs
    assert len(variant.of_type("AWS::S3::Bucket")) == 3


# ---- queues and topics ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("queue", "consumer_timeout"), [("apply", 300), ("enrich", 60), ("scan-requests", 60)]
)
def test_work_queues_have_a_dlq_and_a_visibility_timeout_six_times_the_consumers(
    synth, queue, consumer_timeout
):
    queues = synth.of_type("AWS::SQS::Queue")
    [props] = [
        q["Properties"]
        for q in queues.values()
        if q["Properties"]["QueueName"] == synth.config.names.queue(queue)
    ]
    dlq = _logical_id(synth, "AWS::SQS::Queue", "QueueName", synth.config.names.queue(queue, dlq=True))
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
        "maxReceiveCount": 5,
    }
    assert props["VisibilityTimeout"] == 6 * consumer_timeout


def test_every_queue_is_encrypted_and_tls_only(synth):
    queues = synth.of_type("AWS::SQS::Queue")
    assert len(queues) == 6
    for queue in queues.values():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props
    secured = {
        ref["Ref"]
        for policy in synth.of_type("AWS::SQS::QueuePolicy").values()
        if "aws:SecureTransport" in json.dumps(policy["Properties"]["PolicyDocument"])
        for ref in policy["Properties"]["Queues"]
    }
    assert secured == set(queues)


def test_topics_are_the_contract_signals_plus_alerts_all_kms_encrypted(synth):
    topics = synth.of_type("AWS::SNS::Topic")
    expected = {synth.config.names.topic(t) for t in SIGNAL_TOPICS | {"alerts"}}
    assert {t["Properties"]["TopicName"] for t in topics.values()} == expected
    [key] = [k for k, v in synth.of_type("AWS::KMS::Key").items() if "KeySpec" not in v["Properties"]]
    assert synth.resources[key]["Properties"]["EnableKeyRotation"] is True
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}


def test_alarm_email_subscribes_to_alerts_only_when_configured(synth, variant):
    assert synth.of_type("AWS::SNS::Subscription") == {}
    [subscription] = variant.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"


# ---- schedule, API, alarms --------------------------------------------------------------------------


def test_the_schedule_starts_the_scan_workflow_weekly(synth):
    scan = _logical_id(
        synth,
        "AWS::StepFunctions::StateMachine",
        "StateMachineName",
        synth.config.names.state_machine("ScanWorkflow"),
    )
    [rule] = [
        r for r in synth.of_type("AWS::Events::Rule").values() if r["Properties"]["Name"].endswith("scan")
    ]
    props = rule["Properties"]
    assert props["ScheduleExpression"] == "cron(0 6 ? * MON *)"
    [target] = props["Targets"]
    assert target["Arn"] == {"Ref": scan}
    assert json.loads(target["Input"]) == {
        "object_types": ["contact", "company", "deal"],
        "trigger": "schedule",
    }


def test_the_api_stage_is_throttled_and_logged(synth):
    [stage] = synth.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "v1"
    assert "DestinationArn" in props["AccessLogSetting"]
    [settings] = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == 50
    assert settings["ThrottlingBurstLimit"] == 100
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    [api] = synth.of_type("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["Name"] == synth.config.names.api


def _methods(synth: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    paths = {k: v["Properties"]["PathPart"] for k, v in synth.of_type("AWS::ApiGateway::Resource").items()}
    parents = {k: v["Properties"]["ParentId"] for k, v in synth.of_type("AWS::ApiGateway::Resource").items()}

    def path_of(resource: Any) -> str:
        ref = resource.get("Ref")
        if ref not in paths:
            return ""
        return f"{path_of(parents[ref])}/{paths[ref]}"

    return {
        (path_of(m["Properties"]["ResourceId"]) or "/", m["Properties"]["HttpMethod"]): m["Properties"]
        for m in synth.of_type("AWS::ApiGateway::Method").values()
    }


# What a browser loads before it can sign in: open, GET only (names.CONSOLE_PATHS).
CONSOLE_GETS = {("/", "GET"), ("/static/{name}", "GET"), ("/auth/config", "GET")}
WEBHOOK = ("/webhooks/{crm}", "POST")


def test_the_review_proxy_requires_iam_and_the_webhook_is_open_but_validated(synth):
    methods = _methods(synth)
    # POST /webhooks/hubspot reaches the webhook function through /webhooks/{crm}, which answers 404 for
    # a CRM other than the deployment's
    assert set(methods) == {("/", "ANY"), ("/{proxy+}", "ANY"), WEBHOOK} | CONSOLE_GETS
    assert methods[("/{proxy+}", "ANY")]["AuthorizationType"] == "AWS_IAM"
    assert methods[("/", "ANY")]["AuthorizationType"] == "AWS_IAM"
    webhook = methods[WEBHOOK]
    assert webhook["AuthorizationType"] == "NONE"
    assert "RequestValidatorId" in webhook
    assert set(webhook["RequestModels"]) == {"application/json"}
    assert webhook["RequestParameters"] == {"method.request.path.crm": True}
    [validator] = synth.of_type("AWS::ApiGateway::RequestValidator").values()
    assert validator["Properties"]["ValidateRequestBody"] is True


@pytest.mark.parametrize("stack", ["synth", "variant"])
def test_no_data_route_is_open_without_auth(request, stack):
    # Given every method of the API, with IAM only (default) and with Cognito (variant)
    methods = _methods(request.getfixturevalue(stack))
    open_ = {route for route, m in methods.items() if m["AuthorizationType"] == "NONE"}
    # Then only the console's GETs (page, files, sign-in settings) and the signed webhook are open
    assert open_ == CONSOLE_GETS | {WEBHOOK}
    # and every other method, on every path, needs IAM or a Cognito token of the reviewers' pool
    for route, method in methods.items():
        if route not in open_:
            assert method["AuthorizationType"] in {"AWS_IAM", "COGNITO_USER_POOLS"}, route
            if method["AuthorizationType"] == "COGNITO_USER_POOLS":
                assert "AuthorizerId" in method, route


def test_cognito_guards_the_console_routes_and_iam_stays_for_machines(variant):
    methods = _methods(variant)
    # People: the root tree with the Cognito authorizer; machines: the same routes under /iam/, SigV4
    assert methods[("/{proxy+}", "ANY")]["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert methods[("/", "ANY")]["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert methods[("/iam/{proxy+}", "ANY")]["AuthorizationType"] == "AWS_IAM"
    assert methods[WEBHOOK]["AuthorizationType"] == "NONE"
    [authorizer] = variant.of_type("AWS::ApiGateway::Authorizer").values()
    [pool_id] = variant.of_type("AWS::Cognito::UserPool")
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"
    assert json.dumps(authorizer["Properties"]["ProviderARNs"]).count(pool_id) == 1
    [pool] = variant.of_type("AWS::Cognito::UserPool").values()
    assert pool["Properties"]["MfaConfiguration"] == "ON"
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_the_console_client_is_public_and_uses_the_code_flow_with_the_stage_url(variant):
    # Given the one app client of the reviewers' pool
    [client] = variant.of_type("AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    # Then it has no secret (a browser keeps none: PKCE proves the code's requester instead)
    assert props.get("GenerateSecret") in (None, False)
    # and only the authorization code flow through the hosted UI (no implicit tokens in URLs)
    assert props["AllowedOAuthFlows"] == ["code"]
    assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(props["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert props["SupportedIdentityProviders"] == ["COGNITO"]
    # coming back to the API's stage URL after sign-in and sign-out
    [api_id] = variant.of_type("AWS::ApiGateway::RestApi")
    for key in ("CallbackURLs", "LogoutURLs"):
        [url] = props[key]
        assert api_id in json.dumps(url) and "/v1/" in json.dumps(url), key
    # and nobody can change the e-mail that names them in the audit trail
    assert "email" not in props["WriteAttributes"]
    [domain] = variant.of_type("AWS::Cognito::UserPoolDomain").values()
    assert "prod" in json.dumps(domain["Properties"]["Domain"])
    # The review function tells the console where to sign in (GET /auth/config)
    fn = _review_function(variant)
    env = fn["Properties"]["Environment"]["Variables"]
    assert {"COGNITO_DOMAIN_URL", "COGNITO_CLIENT_ID", "CONSOLE_REDIRECT_URL"} <= set(env)
    assert env["CONSOLE_REDIRECT_URL"] == url


def test_the_default_stack_has_no_user_pool_and_no_sign_in_settings(synth):
    assert not synth.of_type("AWS::Cognito::UserPool")
    env = _review_function(synth)["Properties"]["Environment"]["Variables"]
    assert not {"COGNITO_DOMAIN_URL", "COGNITO_CLIENT_ID", "CONSOLE_REDIRECT_URL"} & set(env)


def test_the_machines_prefix_is_the_one_the_handler_strips():
    import review_api_handler

    assert review_api_handler.IAM_PREFIX == f"/{names.IAM_PATH}"


def _review_function(synth: Synth) -> dict[str, Any]:
    name = synth.config.names.function(names.REVIEW_API_FN)
    [fn] = [
        v for v in synth.of_type("AWS::Lambda::Function").values() if v["Properties"]["FunctionName"] == name
    ]
    return fn


def test_alarms_cover_dlqs_functions_workflows_and_queue_age_and_all_notify_alerts(synth):
    alarms = synth.of_type("AWS::CloudWatch::Alarm")
    alerts = _logical_id(synth, "AWS::SNS::Topic", "TopicName", synth.config.names.topic("alerts"))
    metrics = [(a["Properties"].get("Namespace"), a["Properties"].get("MetricName")) for a in alarms.values()]
    assert metrics.count(("AWS/SQS", "ApproximateNumberOfMessagesVisible")) == 3
    assert metrics.count(("AWS/Lambda", "Errors")) == len(FUNCTIONS)
    assert metrics.count(("AWS/States", "ExecutionsFailed")) == 3  # scan, merge, jobs
    assert ("CrmHygiene", "QueueOldestAgeSeconds") in metrics
    assert ("CrmHygiene", "AuditVerificationFailures") in metrics
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": alerts}]


def test_the_alerts_key_lets_cloudwatch_publish(synth):
    [key] = [v for v in synth.of_type("AWS::KMS::Key").values() if "KeySpec" not in v["Properties"]]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in statements)


def test_outputs_name_what_the_local_stack_needs(synth):
    outputs = synth.template.to_json()["Outputs"]
    assert {
        "ReviewApiUrl",
        "ScanWorkflowArn",
        "MergeWorkflowArn",
        "AuditBucketName",
        "ScheduleRuleName",
        "AuditTableName",
        "AuditKeySecretName",
        "AuditDigestKeyArn",
    } <= set(outputs)


def test_the_audit_verifier_runs_on_its_schedule_and_signs_with_an_asymmetric_key(synth):
    [verifier] = [k for k, v in synth.of_type("AWS::Lambda::Function").items()
                  if v["Properties"]["Handler"] == "audit_verify_handler.lambda_handler"]  # fmt: skip
    [rule] = [
        r
        for r in synth.of_type("AWS::Events::Rule").values()
        if r["Properties"]["Name"].endswith("audit-verify")
    ]
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 day)"
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [verifier, "Arn"]}
    [key] = [v for v in synth.of_type("AWS::KMS::Key").values() if "KeySpec" in v["Properties"]]
    assert (key["Properties"]["KeySpec"], key["Properties"]["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    [secret] = synth.of_type("AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["Name"] == synth.config.names.audit_key_secret
    assert secret["Properties"]["GenerateSecretString"]["GenerateStringKey"] == "k1"
