"""The whole stack on this machine: synth (cached), moto's server in-process, the template deployed
through CloudFormation, and what moto's CloudFormation drops filled in (../shared/local-aws.md §5)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from crm_hygiene.local import moto_patches


def _repo_root() -> Path:
    """The project checkout (where cdk.json is): the current folder or one above, else the package's."""
    for folder in (Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents):
        if (folder / "cdk.json").exists() and (folder / "infra").is_dir():
            return folder
    raise FileNotFoundError("run the local stack from the crm-hygiene checkout (no cdk.json found)")


ROOT = _repo_root()
BUILD = ROOT / ".build"
STACK = "crm-hygiene-dev"
_SOURCES = ("infra", "functions", "layers/shared/python/crm_hygiene", "cdk.json")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for source in _SOURCES:
        path = ROOT / source
        files = (
            [path]
            if path.is_file()
            else sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        )
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def synth(out: Path | None = None, *, force: bool = False) -> Path:
    """Synthesizes the CDK app into ``out`` unless the sources are unchanged since the last synth."""
    out = out or BUILD / "cdk.out"
    stamp = out / ".fingerprint"
    fingerprint = _fingerprint()
    if (
        not force
        and stamp.exists()
        and stamp.read_text() == fingerprint
        and (out / f"{STACK}.template.json").exists()
    ):
        return out
    env = {
        **os.environ,
        "CDK_OUTDIR": str(out),
        "CRM_HYGIENE_SKIP_NAG": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    done = subprocess.run(
        [sys.executable, "-m", "infra.app"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"cdk synth failed:\n{done.stderr[-4000:]}")
    stamp.write_text(fingerprint)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalStack:
    """A deployed stack on the local moto server."""

    endpoint: str
    server: Any
    outputs: dict[str, str] = field(default_factory=dict)
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)  # logical id -> (type, physical id)

    def physical(self, type_: str, contains: str) -> str:
        """The physical id of the one resource of ``type_`` whose logical id contains ``contains``."""
        hits = [pid for lid, (t, pid) in self.resources.items() if t == type_ and contains in lid]
        if len(hits) != 1:
            raise LookupError(f"{len(hits)} {type_} resources match {contains!r}")
        return hits[0]

    def function_env(self, contains: str | None = None) -> dict[str, str]:
        """The environment one function was deployed with (``contains`` in its logical id), or, without
        ``contains``, every function's variables together (each function gets only what it reads)."""
        client = boto3.client("lambda")
        functions = [
            pid
            for lid, (t, pid) in self.resources.items()
            if t == "AWS::Lambda::Function" and (contains is None or contains in lid)
        ]
        env: dict[str, str] = {}
        for name in sorted(functions):
            config = client.get_function_configuration(FunctionName=name)
            env.update(config.get("Environment", {}).get("Variables", {}))
        return env

    def stop(self) -> None:
        """Stops the server and clears moto's state (its backends live in this process: a stack started
        later in the same process, or a test's mock_aws, must not find this one's resources)."""
        import urllib.request

        try:
            request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST", data=b"")
            urllib.request.urlopen(request, timeout=10).read()
        finally:
            self.server.stop()
            os.environ.pop("AWS_ENDPOINT_URL", None)


def _quiet() -> None:
    """moto logs every request and warns about every resource type its CloudFormation skips (the gap
    filler covers the ones this stack needs); none of that is news to someone running the demo."""
    import logging
    import warnings

    for name in ("werkzeug", "moto", "botocore", "aws_lambda_powertools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # The interpreter logs an ERROR when a Choice tests a path that is absent (IsPresent), then goes on.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="Tried to parse AWS", category=UserWarning)
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def start_moto(port: int | None = None, log_path: Path | None = None) -> tuple[Any, str]:
    """Starts moto's server in this process (the patches and the Lambda executor must live here)."""
    from moto.server import ThreadedMotoServer

    _quiet()
    port = port or free_port()
    os.environ.update(
        MOTO_PORT=str(port),
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
    )
    moto_patches.apply(log_path)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    # powertools keeps one Secrets Manager / SSM client per process, made for the endpoint of its time
    # (an earlier stack's port, or AWS itself): the functions must read this stack's secrets.
    from aws_lambda_powertools.utilities.parameters import clear_caches

    clear_caches()  # type: ignore[no-untyped-call]
    import urllib.request

    request = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        method="POST",
        data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
    )
    urllib.request.urlopen(request, timeout=10).read()
    return server, endpoint


def _zip_dir(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                archive.write(file, file.relative_to(folder))
    return buffer.getvalue()


def _upload_assets(out: Path) -> None:
    s3 = boto3.client("s3")
    manifest = json.loads((out / f"{STACK}.assets.json").read_text())
    account, region = "123456789012", os.environ["AWS_DEFAULT_REGION"]
    for asset in manifest.get("files", {}).values():
        source = out / asset["source"]["path"]
        body = (
            _zip_dir(source)
            if asset["source"].get("packaging") == "zip" or source.is_dir()
            else source.read_bytes()
        )
        for destination in asset["destinations"].values():
            bucket = (
                destination["bucketName"]
                .replace("${AWS::AccountId}", account)
                .replace("${AWS::Region}", region)
            )
            key = destination["objectKey"]
            try:
                s3.create_bucket(Bucket=bucket)
            except s3.exceptions.BucketAlreadyOwnedByYou:
                pass
            s3.put_object(Bucket=bucket, Key=key, Body=body)


def local_template(template: dict[str, Any]) -> dict[str, Any]:
    """The template as moto 5.2.5 can create it: its KMS key resource reads tags as TagKey/TagValue
    (CloudFormation's are Key/Value), so they are renamed; nothing else changes."""
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::KMS::Key" and resource.get("Properties", {}).get("Tags"):
            props = resource["Properties"]
            props["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props["Tags"]]
    return template


def deploy(out: Path) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Deploys the synthesized template into moto; returns its outputs and resources."""
    boto3.client("ssm").put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String", Overwrite=True
    )
    _upload_assets(out)
    cfn = boto3.client("cloudformation")
    template = local_template(json.loads((out / f"{STACK}.template.json").read_text()))
    cfn.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    for _ in range(120):
        stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_IN_PROGRESS":
            break
        time.sleep(0.25)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(
            f"local deploy failed: {stack['StackStatus']} {stack.get('StackStatusReason', '')}"
        )
    from crm_hygiene.local.gap_filler import fill

    fill(STACK)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = {
        r["LogicalResourceId"]: (r.get("ResourceType", ""), r.get("PhysicalResourceId", ""))
        for r in cfn.describe_stack_resources(StackName=STACK)["StackResources"]
        if "LogicalResourceId" in r  # moto lists the resources it skipped without ids
    }
    return outputs, resources


def up(port: int | None = None, log_path: Path | None = None) -> LocalStack:
    """Synth (cached), start moto, deploy, fill the gaps: the stack, ready to use."""
    out = synth()
    server, endpoint = start_moto(port, log_path)
    outputs, resources = deploy(out)
    return LocalStack(endpoint=endpoint, server=server, outputs=outputs, resources=resources)
