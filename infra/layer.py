"""Where the shared Lambda layer comes from, and the ``crm_hygiene`` copy inside it.

``make build-layer`` (``infra/build_layer.py``) fills ``.build/layer/python/`` with ``crm_hygiene``
and its third-party dependencies for Lambda (arm64, CPython 3.11). Synth never needs the network:
when that folder is missing (unit tests, a quick synth) the stack uses ``.build/layer-source/``,
which holds only the ``crm_hygiene`` source and is rebuilt here whenever the source changes.

In both cases the ``crm_hygiene`` package is refreshed from ``layers/shared/python`` before synth,
so a layer built last week never ships last week's domain code. ``cli/`` and ``local/`` stay out:
they are the developer's command line and the local stack, never run in Lambda.

No aws_cdk here: ``build_layer.py`` imports this module and must start fast.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "layers" / "shared" / "python" / "crm_hygiene"
BUILD = ROOT / ".build"
FULL_LAYER = BUILD / "layer"
SOURCE_LAYER = BUILD / "layer-source"
PACKAGE = "crm_hygiene"
EXCLUDED_SUBPACKAGES = ("cli", "local")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache")


def source_files(source: Path = SOURCE) -> Iterator[Path]:
    """The files of ``crm_hygiene`` that belong in the layer, in a stable order."""
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if not path.is_file() or rel.parts[0] in EXCLUDED_SUBPACKAGES:
            continue
        if "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo"):
            continue
        yield path


def source_digest(source: Path = SOURCE) -> str:
    """A hash of the layer's share of the source (paths and contents)."""
    digest = hashlib.sha256()
    for path in source_files(source):
        digest.update(path.relative_to(source).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def sync_package(layer_dir: Path, source: Path = SOURCE) -> bool:
    """Makes ``<layer_dir>/python/crm_hygiene`` an exact copy of the source; True when it changed.

    The new copy is staged next to the old one and swapped in with renames, so a concurrent reader
    (another synth, the local stack) sees either the old package or the new one, never half of one.
    """
    python = layer_dir / "python"
    target = python / PACKAGE
    stamp = stamp_path(layer_dir)
    digest = source_digest(source)
    if target.is_dir() and stamp.is_file() and stamp.read_text() == digest:
        return False
    python.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{layer_dir.name}-{PACKAGE}-", dir=layer_dir.parent))
    try:
        copy = staging / PACKAGE
        shutil.copytree(source, copy, ignore=_ignore_excluded(source))
        retired = staging / "retired"
        if target.exists():
            target.rename(retired)
        copy.rename(target)
        stamp.write_text(digest)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def stamp_path(layer_dir: Path) -> Path:
    """Where the hash of the copied source is kept: beside the layer folder, so not in the asset."""
    return layer_dir.parent / f"{layer_dir.name}.{PACKAGE}.sha256"


def record_synced(layer_dir: Path, source: Path = SOURCE) -> None:
    """Marks ``layer_dir``'s copy of ``crm_hygiene`` as current (after a build moved it there)."""
    stamp_path(layer_dir).write_text(source_digest(source))


def _ignore_excluded(source: Path) -> Callable[[str, list[str]], set[str]]:
    top_level = {source.resolve() / name for name in EXCLUDED_SUBPACKAGES}

    def ignore(directory: str, names: list[str]) -> set[str]:
        ignored = set(_IGNORED(directory, names))
        here = Path(directory).resolve()
        return ignored | {name for name in names if here / name in top_level}

    return ignore


def layer_dir(*, prefer_full: bool = True) -> Path:
    """The folder to publish as the layer asset, with ``crm_hygiene`` up to date.

    Args:
        prefer_full: use ``.build/layer`` when ``make build-layer`` made it; False forces the
            source-only layer (the infra tests use it so their result does not depend on a build).
    """
    if prefer_full and (FULL_LAYER / "python").is_dir():
        sync_package(FULL_LAYER)
        return FULL_LAYER
    sync_package(SOURCE_LAYER)
    return SOURCE_LAYER


def tree_size(root: Path) -> int:
    """Bytes of all regular files under ``root`` (what Lambda counts as the unzipped size)."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
