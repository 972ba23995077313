"""Loads a standard from YAML, reporting every error with its key path and line number."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from crm_hygiene.errors import StandardError
from crm_hygiene.standard.model import DataStandard, ObjectStandard, name_problems
from crm_hygiene.types import OBJECT_TYPES

Path_ = tuple[str | int, ...]


def _line_index(node: yaml.Node, path: Path_ = (), out: dict[Path_, int] | None = None) -> dict[Path_, int]:
    """Maps each key path in a composed YAML document to its 1-based line."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _line_index(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, (*path, i), out)
    return out


def _line_of(lines: dict[Path_, int], loc: Path_) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def _key(loc: Path_) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def parse_standard(text: str, source: str = "<standard>") -> DataStandard:
    """Parses and validates a standard; raises ``StandardError`` listing (key, line, message)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise StandardError(source, [("(yaml)", line, str(getattr(exc, "problem", exc)))]) from None
    if node is None or data is None:
        raise StandardError(source, [("(top level)", 1, "the standard is empty")])
    if not isinstance(data, dict):
        raise StandardError(source, [("(top level)", 1, "the standard must be a mapping of keys")])
    lines = _line_index(node)
    try:
        return DataStandard.model_validate(data)
    except ValidationError as exc:
        raise StandardError(source, _errors(exc, data, lines)) from None


def _errors(
    exc: ValidationError, data: dict[str, Any], lines: dict[Path_, int]
) -> list[tuple[str, int | None, str]]:
    errors: list[tuple[str, int | None, str]] = []
    for err in exc.errors():
        loc: Path_ = tuple(err["loc"])
        if loc == ("objects",) and err["type"] == "value_error":
            continue  # the field-name check; reported below with exact keys and lines
        errors.append((_key(loc), _line_of(lines, loc), err["msg"]))
    errors.extend(_name_errors(data, lines))
    return sorted(errors, key=lambda e: (e[1] or 0, e[0]))


def _name_errors(data: dict[str, Any], lines: dict[Path_, int]) -> list[tuple[str, int | None, str]]:
    errors: list[tuple[str, int | None, str]] = []
    for object_type in OBJECT_TYPES:
        objects = data.get("objects")
        raw = objects.get(object_type) if isinstance(objects, dict) else None
        if not isinstance(raw, dict):
            continue
        try:
            std = ObjectStandard.model_validate(raw)
        except ValidationError:
            std = ObjectStandard.model_construct(**_lists_only(raw))
        for path, message in name_problems(object_type, std):
            loc = ("objects", object_type, *path)
            errors.append((_key(loc), _line_of(lines, loc), message))
    return errors


def _lists_only(raw: dict[str, Any]) -> dict[str, Any]:
    """The parts of an invalid object standard that name fields, so their names can still be checked."""
    lists = {k: tuple(v) for k, v in raw.items() if k in ("critical", "routing", "reporting", "protected")
             and isinstance(v, list)}  # fmt: skip
    maps = {k: v for k, v in raw.items() if k in ("fields", "workflows") and isinstance(v, dict)}
    return {
        **lists,
        **maps,
        "staleness": ObjectStandard.model_fields["staleness"].get_default(call_default_factory=True),
    }


def load_standard(path: str | Path) -> DataStandard:
    """Loads a standard file; raises ``StandardError`` (with lines) when it is not valid."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise StandardError(str(path), [("(file)", None, f"cannot read: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise StandardError(str(path), [("(file)", None, "not UTF-8 text")]) from None
    return parse_standard(text, str(path))


def default_standard_text() -> str:
    return resources.files("crm_hygiene.standard").joinpath("default.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_standard() -> DataStandard:
    """The shipped default standard (``crm_hygiene/standard/default.yaml``)."""
    return parse_standard(default_standard_text(), "default.yaml")
