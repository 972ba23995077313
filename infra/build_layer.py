"""``make build-layer``: the shared Lambda layer in ``.build/layer/python/`` (arm64, CPython 3.11).

1. ``pip download`` the runtime dependencies of pyproject.toml (minus boto3/botocore, which the
   Lambda runtime provides) as manylinux2014 aarch64 wheels into ``.build/wheelhouse``. Without
   network, the wheels already there are used, and the message says so.
2. ``pip install --no-index`` them from the wheelhouse into a staging folder, add ``crm_hygiene``
   (without ``cli/`` and ``local/``), strip what Lambda never runs (caches, test suites, data we do
   not use), add bytecode for the packages every cold start imports (when it fits), then swap the
   staging folder in, so a failed build leaves the previous layer intact.
3. Report the unzipped size per package and fail above the limit (issue 5: 100 MB).

Run ``python infra/build_layer.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.layer import BUILD, FULL_LAYER, ROOT, record_synced, stamp_path, sync_package, tree_size

WHEELHOUSE = BUILD / "wheelhouse"
PLATFORM = [
    "--platform",
    "manylinux2014_aarch64",
    "--implementation",
    "cp",
    "--python-version",
    "3.11",
    "--only-binary=:all:",
]
# The Lambda Python runtime ships these; a layer copy would only add megabytes and version skew.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer"}
# Needed at run time but not declared by pyproject: powertools' Tracer imports aws_xray_sdk when
# tracing is on (it is, in Lambda), and pyproject depends on plain aws-lambda-powertools.
RUNTIME_EXTRAS = ["aws-xray-sdk>=2.12"]
# Paths (relative to python/) we never use in Lambda. Globs; each entry says why it can go.
STRIP = [
    "**/__pycache__",  # whatever came with the wheels; compile_hot adds what we want
    "**/*.pyc",
    "*/tests",  # packages' own test suites (numpy's alone is ~10 MB)
    "*/*/tests",
    "*/testing/_private",
    "pycountry/locales",  # translations of country names: we only use the English/ISO data
    "phonenumbers/carrierdata",  # carrier names: never looked up (geocoder and timezone data stay)
    "numpy/_core/include",  # C headers for building extensions
    "numpy/_core/lib/pkgconfig",
    "numpy/f2py/tests",
    "numpy/distutils",  # build tooling, deprecated, never imported at run time
    "numpy/random/_examples",
    "**/*.pyi",  # type stubs: for the type checker, not the interpreter
    "**/*.pxd",  # Cython declarations
    "*-stubs",
    "bin",  # console scripts pip installs; nothing in Lambda can run them
    "*.dist-info/RECORD",  # install manifests; pip never runs in Lambda
]
# Packages every handler imports at cold start. /opt is read-only in Lambda, so without shipped
# bytecode each cold start compiles them again; with it the import is a load. Bytecode for all
# dependencies would not fit in the size budget (+23 MB), so only these, and only if it still fits.
HOT_PACKAGES = [
    "crm_hygiene",
    "pydantic",
    "aws_lambda_powertools",
    "annotated_types",
    "typing_inspection",
    "typing_extensions.py",
    "yaml",
    "jmespath",
]
NETWORK_ERRORS = re.compile(
    r"NewConnectionError|Temporary failure in name resolution|Max retries exceeded|Network is unreachable|"
    r"ConnectTimeoutError|Could not fetch URL|ProxyError|No route to host",
    re.IGNORECASE,
)
MB = 1_000_000


class LayerBuildError(RuntimeError):
    """The layer could not be built; the message says what to do."""


@dataclass(frozen=True)
class Report:
    total: int
    zipped: int
    packages: list[tuple[str, int]]

    def render(self, limit_mb: float) -> str:
        head = f"layer: {self.total / MB:.1f} MB unzipped (limit {limit_mb:g} MB)"
        lines = [f"{head}, {self.zipped / MB:.1f} MB zipped"]
        lines += [f"  {size / MB:7.1f} MB  {name}" for name, size in self.packages]
        return "\n".join(lines)


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """pyproject's ``[project] dependencies`` minus what the runtime provides, plus RUNTIME_EXTRAS."""
    dependencies: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    keep = [d for d in dependencies if _name(d) not in RUNTIME_PROVIDED]
    return keep + RUNTIME_EXTRAS


def _name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise LayerBuildError(f"cannot read the requirement {requirement!r} in pyproject.toml")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def _pip(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def download(requirements: Sequence[str], wheelhouse: Path) -> str:
    """Fills the wheelhouse; returns a note when it had to fall back to the wheels already there."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    result = _pip(
        ["download", "--retries", "1", "--timeout", "15", "--dest", str(wheelhouse), *PLATFORM, *requirements]
    )
    if result.returncode == 0:
        return ""
    output = result.stdout + result.stderr
    cached = sorted(wheelhouse.glob("*.whl"))
    if NETWORK_ERRORS.search(output) and cached:
        return (
            f"pip could not reach the package index; building offline from the {len(cached)} wheels "
            f"already in {_shown(wheelhouse)}"
        )
    if NETWORK_ERRORS.search(output):
        raise LayerBuildError(
            "pip could not reach the package index (offline?) and there is no wheelhouse to build from.\n"
            "Connect once and run `make build-layer` (it keeps the wheels in "
            f"{_shown(wheelhouse)}), or copy manylinux2014_aarch64 cp311 wheels there, "
            "or pass --wheelhouse DIR.\n"
            f"pip said:\n{_tail(output)}"
        )
    raise LayerBuildError(f"pip download failed:\n{_tail(output)}")


def install(requirements: Sequence[str], wheelhouse: Path, target: Path) -> None:
    result = _pip(
        [
            "install",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "--target",
            str(target),
            "--no-compile",
            "--quiet",
            *PLATFORM,
            *requirements,
        ]
    )
    if result.returncode != 0:
        raise LayerBuildError(
            f"pip install from {wheelhouse} failed (a wheel missing for manylinux2014_aarch64/cp311?):\n"
            f"{_tail(result.stdout + result.stderr)}"
        )


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def remove_runtime_provided(python: Path) -> None:
    """Drops boto3/botocore/s3transfer if a dependency (aws-xray-sdk) pulled them in."""
    for entry in list(python.iterdir()):
        distribution = entry.name.split("-")[0].lower() if entry.name.endswith(".dist-info") else entry.name
        if distribution in RUNTIME_PROVIDED:
            _remove(entry)


def strip(python: Path) -> None:
    for pattern in STRIP:
        for path in list(python.glob(pattern)):
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def prune_phone_geodata(python: Path) -> None:
    """Keeps only the English place names in phonenumbers' geocoder data (19 MB -> 11 MB of source).

    ``geocoder`` loads every data file on import, and we only ever ask it in English
    (``crm_hygiene.enrich.providers.derived``). Each prefix stays, with ``{}`` when it had no
    English name, so a lookup returns exactly what the full data returns for ``"en"``.
    """
    for path in sorted((python / "phonenumbers" / "geodata").glob("data*.py")):
        namespace: dict[str, Any] = {"u": str}  # the files are data from the wheel we just installed
        source = path.read_text(encoding="utf-8").replace("from ..util import u\n", "")
        exec(compile(source, str(path), "exec"), namespace)
        data: dict[str, dict[str, str]] = namespace["data"]
        lines = [
            f" {prefix!r}:{ {k: v for k, v in names.items() if k == 'en' or k.startswith('en_')}!r},\n"
            for prefix, names in data.items()
        ]
        header = '"""Per-prefix data, English names only (pruned by infra/build_layer.py)."""\n'
        path.write_text(f"{header}data = {{\n{''.join(lines)}}}\n", encoding="utf-8")


def compile_hot(python: Path, limit_bytes: int) -> str:
    """Adds checked-hash bytecode for HOT_PACKAGES when the layer stays under the limit; returns a note."""
    if sys.version_info[:2] != (3, 11):
        return f"no bytecode: this is Python {sys.version_info[0]}.{sys.version_info[1]}, Lambda runs 3.11"
    targets = [str(python / name) for name in HOT_PACKAGES if (python / name).exists()]
    command = [
        sys.executable,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "checked-hash",
        *targets,
    ]
    if subprocess.run(command, capture_output=True, text=True, check=False).returncode != 0:
        _drop_bytecode(python)
        return "no bytecode: compileall failed"
    if tree_size(python) > limit_bytes:
        _drop_bytecode(python)
        return "no bytecode for the hot packages: it would take the layer over the limit"
    return ""


def _drop_bytecode(python: Path) -> None:
    for cache in list(python.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def measure(python: Path) -> Report:
    sizes: dict[str, int] = {}
    for entry in python.iterdir():
        key = "*.dist-info (metadata)" if entry.name.endswith(".dist-info") else entry.name
        size = tree_size(entry) if entry.is_dir() else entry.stat().st_size
        sizes[key] = sizes.get(key, 0) + size
    return Report(sum(sizes.values()), _zipped_size(python), sorted(sizes.items(), key=lambda kv: -kv[1]))


def _zipped_size(python: Path) -> int:
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for path in sorted(python.rglob("*")):
                if path.is_file():
                    archive.write(path, Path("python") / path.relative_to(python))
        return handle.tell()


def swap_in(staging: Path, target: Path) -> None:
    """Replaces ``target`` with ``staging`` by renames (the old layer stays whole until the last moment)."""
    retired = target.with_name(f"{target.name}.retired-{os.getpid()}")
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


def build(*, wheelhouse: Path, limit_mb: float, target: Path = FULL_LAYER) -> tuple[Report, list[str]]:
    requirements = runtime_requirements()
    notes = [download(requirements, wheelhouse)]
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-build-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it 0700; Lambda's runtime user must be able to read the layer
    try:
        python = staging / "python"
        install(requirements, wheelhouse, python)
        remove_runtime_provided(python)
        sync_package(staging)
        stamp_path(staging).unlink()
        strip(python)
        prune_phone_geodata(python)
        notes.append(compile_hot(python, int(limit_mb * MB)))
        report = measure(python)
        if report.total > limit_mb * MB:
            raise LayerBuildError(f"{report.render(limit_mb)}\nthe layer is over {limit_mb:g} MB unzipped")
        swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    record_synced(target)  # the copy moved with the folder; synth must not recopy it (and lose its bytecode)
    return report, [note for note in notes if note]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--wheelhouse",
        type=Path,
        default=Path(os.environ.get("CRM_HYGIENE_WHEELHOUSE", WHEELHOUSE)),
        help="where wheels are downloaded to and installed from (default .build/wheelhouse)",
    )
    parser.add_argument("--max-mb", type=float, default=100.0, help="fail above this unzipped size")
    options = parser.parse_args(argv)
    try:
        report, notes = build(wheelhouse=options.wheelhouse.resolve(), limit_mb=options.max_mb)
    except LayerBuildError as exc:
        sys.stderr.write(f"build-layer: {exc}\n")
        return 2
    for note in notes:
        sys.stderr.write(f"build-layer: {note}\n")
    sys.stdout.write(f"{report.render(options.max_mb)}\n  -> {_shown(FULL_LAYER)}/python\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
