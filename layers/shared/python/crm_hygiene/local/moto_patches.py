"""Patches that make moto 5.2.5 run this stack locally (../shared/local-aws.md §3-4).

Each patch names what it fixes; ``tests/e2e/test_moto_canaries.py`` checks each is still needed,
so a moto upgrade shows which can go. Applied once, in the process that hosts the moto server.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile
import threading
import traceback
import uuid
import zipfile
from pathlib import Path
from typing import Any

_APPLIED = False
_LOCK = threading.Lock()
# One lock per function: like a Lambda container, a function's module handles one event at a time
# (boto3 resources are not thread-safe), while different functions may nest (scan -> SQS -> apply).
_FUNCTION_LOCKS: dict[str, threading.RLock] = {}
_MODULES: dict[tuple[str, str], Any] = {}
_DIRS: dict[str, Path] = {}
LOG_PATH: Path | None = None


class _Context:
    """The parts of a Lambda context handlers use."""

    def __init__(self, fn: Any) -> None:
        self.function_name = fn.function_name
        self.memory_limit_in_mb = int(fn.memory_size or 128)
        self.invoked_function_arn = fn.function_arn
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.function_name}"
        self.log_stream_name = "local"
        self.function_version = "$LATEST"
        self._deadline = _monotonic() + float(fn.timeout or 3)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - _monotonic()) * 1000))


def _monotonic() -> float:
    import time

    return time.monotonic()


def _code_dir(fn: Any) -> Path:
    key = f"{fn.function_arn}:{fn.code_sha_256}"
    with _LOCK:
        if key not in _DIRS:
            target = Path(tempfile.mkdtemp(prefix=f"lambda-{fn.function_name[:20]}-"))
            with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as archive:
                archive.extractall(target)
            _DIRS[key] = target
        return _DIRS[key]


def _handler_module(fn: Any, folder: Path, module: str) -> Any:
    key = (str(folder), module)
    with _LOCK:
        if key not in _MODULES:
            if str(folder) not in sys.path:
                sys.path.append(
                    str(folder)
                )  # sibling modules (review_routes) import by bare name, as in Lambda
            spec = importlib.util.spec_from_file_location(
                f"_lambda_{module}_{abs(hash(folder))}", folder / f"{module}.py"
            )
            if spec is None or spec.loader is None:
                raise ImportError(f"{fn.function_name}: no module {module} in its code")
            loaded = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(loaded)
            _MODULES[key] = loaded
        return _MODULES[key]


class _ThreadStdout(io.TextIOBase):
    """sys.stdout for a process that runs Lambda handlers on many threads: what a handler prints goes to
    its own invocation's buffer (thread-local), everything else to the real stdout. (redirect_stdout
    swaps the process-wide stream, so concurrent invocations would restore each other's buffers.)"""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.local = threading.local()

    def write(self, text: str) -> int:
        sink = getattr(self.local, "sink", None)
        return int((sink or self.real).write(text))

    def flush(self) -> None:
        sink = getattr(self.local, "sink", None)
        (sink or self.real).flush()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.real, "encoding", "utf-8"))


_STDOUT: _ThreadStdout | None = None


@contextlib.contextmanager
def _captured(sink: io.StringIO) -> Any:
    global _STDOUT
    with _LOCK:
        if _STDOUT is None or sys.stdout is not _STDOUT:
            _STDOUT = _ThreadStdout(sys.stdout)
            sys.stdout = _STDOUT
    previous = getattr(_STDOUT.local, "sink", None)
    _STDOUT.local.sink = sink
    try:
        yield
    finally:
        _STDOUT.local.sink = previous


def invoke_in_process(fn: Any, event: Any) -> tuple[str, bool, str]:
    """Runs the function's real handler in this process (moto's Docker path replaced)."""
    payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
    module, function = fn.handler.rsplit(".", 1)
    os.environ.update({k: str(v) for k, v in (fn.environment_vars or {}).items()})
    sink = io.StringIO()
    with _LOCK:
        lock = _FUNCTION_LOCKS.setdefault(fn.function_name, threading.RLock())
    try:
        handler = getattr(_handler_module(fn, _code_dir(fn), module), function)
        with lock, _captured(sink):
            result = handler(payload, _Context(fn))
        return json.dumps(result, default=str), False, sink.getvalue()
    except Exception as exc:  # the Lambda runtime reports a handler's exception as the function error
        trace = traceback.format_exc()
        body = {"errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": trace.splitlines()}
        return json.dumps(body), True, sink.getvalue() + trace
    finally:
        _log(fn.function_name, sink.getvalue())


def _log(name: str, text: str) -> None:
    if LOG_PATH is not None and text:
        with _LOCK, LOG_PATH.open("a", encoding="utf-8") as fh:
            fh.write("".join(f"[{name}] {line}\n" for line in text.splitlines()))


def apply(log_path: Path | None = None) -> None:
    """Applies every patch once (idempotent)."""
    global _APPLIED, LOG_PATH
    LOG_PATH = log_path
    _route_function_logs(log_path)
    if _APPLIED:
        return
    _patch_lambda()
    _patch_refs()
    _patch_state_machines()
    _patch_eventbridge()
    _patch_jsonata()
    _patch_task_error_causes()
    _patch_send_task_failure()
    _patch_transactions()
    _patch_kms_key_specs()
    _APPLIED = True


def _route_function_logs(log_path: Path | None) -> None:
    """The functions' structured logs go to the log file, as they would to CloudWatch, not to the
    terminal: powertools' logger keeps the stream it was created with, so redirecting stdout per
    invocation does not reach it."""
    if log_path is None:
        return
    from crm_hygiene.observability import logger

    handler = logger.registered_handler
    if hasattr(handler, "setStream"):
        handler.setStream(log_path.open("a", encoding="utf-8"))


def _patch_lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    def _invoke(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return invoke_in_process(self, event)

    setattr(LambdaFunction, "_invoke_lambda", _invoke)  # noqa: B010 - a monkeypatch, on purpose


def _patch_refs() -> None:
    # Ref(EventBus) and Ref(Deployment) returned moto's model objects instead of their names/ids.
    from moto.apigateway.models import Deployment
    from moto.events.models import EventBus

    setattr(EventBus, "physical_resource_id", property(lambda self: self.name))  # noqa: B010
    setattr(Deployment, "physical_resource_id", property(lambda self: self.id))  # noqa: B010


def _patch_kms_key_specs() -> None:
    # CloudFormation created every KMS key as SYMMETRIC_DEFAULT/ENCRYPT_DECRYPT: the audit digest
    # key (ECC_NIST_P256, SIGN_VERIFY) could not sign.
    from moto.kms.models import Key, kms_backends

    def _from_cfn(
        cls: Any, /, name: str, cfn: dict[str, Any], account_id: str, region_name: str, **_: Any
    ) -> Any:
        props = cfn["Properties"]
        key = kms_backends[account_id][region_name].create_key(
            policy=props["KeyPolicy"],
            key_usage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            key_spec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            description=props.get("Description"),
            tags=props.get("Tags", []),
        )
        key.key_rotation_status = props.get("EnableKeyRotation", False)
        key.enabled = props.get("Enabled", True)
        return key

    setattr(Key, "create_from_cloudformation_json", classmethod(_from_cfn))  # noqa: B010


def _patch_state_machines() -> None:
    # CloudFormation created state machines in the non-executing backend: they never ran.
    from moto.stepfunctions import models as sfn_models
    from moto.stepfunctions.responses import get_backend

    def _from_cfn(
        cls: Any, /, name: str, cfn: dict[str, Any], account_id: str, region_name: str, **_: Any
    ) -> Any:
        props = cfn["Properties"]
        definition = props.get("DefinitionString", "")
        if not isinstance(definition, str):
            definition = json.dumps(definition)
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            definition = definition.replace(f"${{{key}}}", str(value))
        tags = [{"key": t["Key"], "value": t["Value"]} for t in props.get("Tags", [])]
        return get_backend(account_id, region_name).create_state_machine(
            props.get("StateMachineName", name), definition, props.get("RoleArn", ""), tags=tags
        )

    setattr(sfn_models.StateMachine, "create_from_cloudformation_json", classmethod(_from_cfn))  # noqa: B010


def _patch_eventbridge() -> None:
    # Targets of type lambda/states/sns raised NotImplementedError, and a schedule rule (no pattern)
    # matched every PutEvents on its bus; DISABLED rules still matched.
    from moto.events import models as ev
    from moto.stepfunctions.responses import get_backend
    from moto.utilities.arns import parse_arn

    original = ev.Rule.send_to_targets

    def _send(self: Any, event: Any, transform_input: bool = True) -> None:
        if (
            not self.event_pattern.get_pattern()
            or self.state == "DISABLED"
            or not self.event_pattern.matches_event(event)
        ):
            return
        native = [t for t in self.targets if parse_arn(t["Arn"]).service in ("lambda", "states", "sns")]
        for target in native:
            _deliver(target, target.get("Input") or json.dumps(event, default=str), get_backend)
        rest = [t for t in self.targets if t not in native]
        if rest:
            saved, self.targets = self.targets, rest
            try:
                original(self, event, transform_input)
            finally:
                self.targets = saved

    setattr(ev.Rule, "send_to_targets", _send)  # noqa: B010


def _deliver(target: dict[str, Any], body: str, sfn_backend: Any) -> None:
    from moto.utilities.arns import parse_arn

    arn = parse_arn(target["Arn"])
    if arn.service == "lambda":
        from moto.awslambda.models import lambda_backends

        lambda_backends[arn.account][arn.region].get_function(target["Arn"]).invoke(
            body, {"x-amz-invocation-type": "Event"}, {}
        )
    elif arn.service == "states":
        sfn_backend(arn.account, arn.region).start_execution(
            target["Arn"], name=str(uuid.uuid4()), execution_input=body
        )
    else:
        from moto.sns.models import sns_backends

        sns_backends[arn.account][arn.region].publish(body, arn=target["Arn"])


def _patch_task_error_causes() -> None:
    # A service integration's error (e.g. the merge workflow's conditional PutItem into decision memory)
    # crashed the interpreter with KeyError('RequestId'): moto's server responses carry no request id,
    # and the error formatter reads it unguarded. Default it, then format as before.
    import importlib

    base = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    for module_name, class_name in (
        ("state_task_service_dynamodb", "StateTaskServiceDynamoDB"),
        ("state_task_service_lambda", "StateTaskServiceLambda"),
        ("state_task_service_aws_sdk", "StateTaskServiceAwsSdk"),
        ("state_task_service_sfn", "StateTaskServiceSfn"),
    ):
        try:
            cls = getattr(importlib.import_module(base + module_name), class_name)
        except (ImportError, AttributeError):
            continue
        original = getattr(cls, "_error_cause_from_client_error", None)
        if original is None:
            continue

        def safe(client_error: Any, _original: Any = original) -> Any:
            metadata = client_error.response.setdefault("ResponseMetadata", {})
            metadata.setdefault("RequestId", "local")
            metadata.setdefault("HTTPStatusCode", 400)
            return _original(client_error)

        setattr(cls, "_error_cause_from_client_error", staticmethod(safe))  # noqa: B010


def _patch_send_task_failure() -> None:
    # SendTaskFailure dropped its `cause`, so a workflow's Catch saw {"Error": ...} without "Cause" and
    # a state reading $.error.Cause (the merge workflow's RememberRejection) failed.
    from moto.core.responses import EmptyResult
    from moto.stepfunctions import responses

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    setattr(responses.StepFunctionResponse, "send_task_failure", send_task_failure)  # noqa: B010


def _patch_transactions() -> None:
    # TransactWriteItems deep-copied every table it touched, once per item, to roll back on failure:
    # ~1 s a merge with the demo's CRM table, most of `make run`. Back up the touched items instead.
    import copy
    import types

    import moto.dynamodb.models as ddb
    from moto.dynamodb.models.table import Table

    def _deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    setattr(ddb, "copy", types.SimpleNamespace(deepcopy=_deepcopy))  # noqa: B010 - the module's only use
    original = ddb.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op.get("Key") or {
                a: op["Item"][a] for a in (table.hash_key_attr, table.range_key_attr) if a and a in op["Item"]
            }
            current = self.get_item(table.name, key)
            backups.append(
                (table.name, key, current.to_json()["Attributes"] if current is not None else None)
            )
        try:
            original(self, transact_items)
        except Exception:
            for name, key, attributes in reversed(backups):  # as it was, item by item
                if attributes is None:
                    if self.get_item(name, key) is not None:
                        self.delete_item(name, key)
                else:
                    self.put_item(name, attributes)
            raise

    setattr(ddb.DynamoDBBackend, "transact_write_items", transact_write_items)  # noqa: B010


def _patch_jsonata() -> None:
    # JSONata states failed with "'NoneType' object is not callable": plug in jsonata-python.
    try:
        import jsonata  # type: ignore[import-untyped]
        import moto.stepfunctions.parser.asl.jsonata.jsonata as moto_jsonata
    except ImportError:
        return
    setattr(moto_jsonata, "_eval_jsonata", lambda expression: jsonata.Jsonata(expression).evaluate(None))  # noqa: B010
