"""The layer smoke test (STYLE 15) and the layer build's own rules.

``crm_hygiene`` must import from the layer folder in a clean interpreter: ``-I -S`` leaves only the
standard library on ``sys.path`` (no venv, no editable install), so the import proves the layer
holds the package and that its top level needs nothing third-party.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infra import build_layer
from infra.layer import FULL_LAYER, SOURCE_LAYER, layer_dir, sync_package, tree_size

AARCH64 = 183  # ELF e_machine


def _run_isolated(layer_python: Path, code: str) -> subprocess.CompletedProcess[str]:
    prelude = f"import sys\nsys.path.insert(0, {str(layer_python)!r})\n"
    return subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_source_only_layer_imports_crm_hygiene_in_a_clean_interpreter():
    # Given the source-only layer the stack uses when make build-layer has not run
    folder = layer_dir(prefer_full=False)
    assert folder == SOURCE_LAYER
    python = folder / "python"
    # When a stdlib-only interpreter imports crm_hygiene from it
    result = _run_isolated(
        python,
        """
        import crm_hygiene
        print(crm_hygiene.__file__)
        print(sorted(m for m in sys.modules if m.split(".")[0] not in {*sys.stdlib_module_names, "__main__"}))
        """,
    )
    # Then it comes from the layer and pulled in nothing but itself
    assert result.returncode == 0, result.stderr
    where, modules = result.stdout.splitlines()
    assert Path(where).is_relative_to(python)
    assert modules == "['crm_hygiene']"
    # And the developer-only subpackages stayed out
    assert not (python / "crm_hygiene" / "cli").exists()
    assert not (python / "crm_hygiene" / "local").exists()
    assert not list(python.rglob("__pycache__"))


def test_sync_package_copies_only_the_layer_share_and_refreshes_on_change(tmp_path):
    # Given a tiny package with a cli/ and local/ subpackage
    source = tmp_path / "src" / "crm_hygiene"
    for rel in (
        "__init__.py",
        "models/__init__.py",
        "cli/__init__.py",
        "local/__init__.py",
        "local/data/x.txt",
    ):
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text("VALUE = 1\n")
    target = tmp_path / "build" / "layer"
    # When it is synced twice, then after an edit
    assert sync_package(target, source) is True
    assert sync_package(target, source) is False
    (source / "models" / "__init__.py").write_text("VALUE = 2\n")
    assert sync_package(target, source) is True
    # Then the copy is current and never holds cli/ or local/
    copied = target / "python" / "crm_hygiene"
    assert (copied / "models" / "__init__.py").read_text() == "VALUE = 2\n"
    assert sorted(p.name for p in copied.iterdir()) == ["__init__.py", "models"]
    assert [p.name for p in (tmp_path / "build").iterdir() if p.name.startswith(".")] == []


def test_runtime_requirements_leave_boto_to_the_runtime():
    requirements = build_layer.runtime_requirements()
    names = {build_layer._name(r) for r in requirements}
    assert not names & {"boto3", "botocore"}
    assert {"pydantic", "aws-lambda-powertools", "phonenumbers", "numpy", "aws-xray-sdk"} <= names


def test_an_unreachable_index_is_reported_plainly(tmp_path, monkeypatch):
    # Given pip failing the way it does without network
    failure = subprocess.CompletedProcess([], 1, "", "WARNING: Retrying ... NewConnectionError(...)")
    monkeypatch.setattr(build_layer, "_pip", lambda args: failure)
    wheelhouse = tmp_path / "wheelhouse"
    # When there is no wheelhouse yet, the build stops and says what to do
    with pytest.raises(build_layer.LayerBuildError, match="could not reach the package index"):
        build_layer.download(["pydantic"], wheelhouse)
    # And when wheels are there from an earlier build, it goes on with them and says so
    (wheelhouse / "pydantic-2.0-py3-none-any.whl").write_bytes(b"")
    assert "building offline from the 1 wheels" in build_layer.download(["pydantic"], wheelhouse)


def test_other_pip_failures_are_not_called_offline(monkeypatch, tmp_path):
    failure = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found for nosuchpkg")
    monkeypatch.setattr(build_layer, "_pip", lambda args: failure)
    with pytest.raises(build_layer.LayerBuildError, match="pip download failed"):
        build_layer.download(["nosuchpkg"], tmp_path)


full_layer = pytest.mark.skipif(
    not (FULL_LAYER / "python").is_dir(), reason="make build-layer has not run (.build/layer is missing)"
)


@full_layer
def test_the_full_layer_is_built_for_lambda_arm64():
    python = FULL_LAYER / "python"
    extensions = [p for p in python.rglob("*.so*") if p.is_file()]
    assert extensions
    for extension in extensions:
        header = extension.read_bytes()[:20]
        assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == AARCH64, extension
    # Lambda's runtime user is not the files' owner: everything must be world-readable.
    unreadable = [p for p in [FULL_LAYER, *FULL_LAYER.rglob("*")] if not p.stat().st_mode & 0o004]
    assert unreadable == []
    present = {p.name for p in python.iterdir()}
    assert not present & build_layer.RUNTIME_PROVIDED
    assert not (python / "crm_hygiene" / "cli").exists()
    assert tree_size(python) <= 100 * build_layer.MB


@full_layer
def test_the_pruned_geocoder_still_answers_in_english():
    # phonenumbers is pure Python, so this runs on any host.
    result = _run_isolated(
        FULL_LAYER / "python",
        """
        import phonenumbers
        from phonenumbers import geocoder
        for raw in ("+12012001234", "+8613083771234", "+82221234567"):
            print(geocoder.description_for_number(phonenumbers.parse(raw), "en"))
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Jersey City, NJ", "Nanyang, Henan", "Seoul"]


@full_layer
@pytest.mark.skipif(
    platform.machine() not in ("aarch64", "arm64"),
    reason="the layer holds aarch64 wheels (pydantic-core, numpy): they load only on an arm64 host",
)
def test_the_full_layer_imports_the_scan_service_in_a_clean_interpreter():
    result = _run_isolated(
        FULL_LAYER / "python",
        """
        import crm_hygiene.services.scan.core
        import aws_lambda_powertools
        import aws_xray_sdk
        """,
    )
    assert result.returncode == 0, result.stderr
