"""``crm-hygiene standard init|check``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crm_hygiene.types import OBJECT_TYPES


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = sub.add_parser("init", help="profile an export and draft a standard")
    init.add_argument("--input", required=True, type=Path, help="the CRM export (CSV)")
    init.add_argument("--object", choices=OBJECT_TYPES, help="object type (default: from the headers)")
    init.add_argument("--out", type=Path, default=Path("standard.yaml"), help="where to write the draft")
    check = sub.add_parser("check", help="validate a standard; errors name the key and line")
    check.add_argument("file", type=Path)


def run(options: argparse.Namespace) -> int:
    if options.action == "check":
        return _check(options.file)
    return _init(options)


def _check(path: Path) -> int:
    from crm_hygiene.errors import StandardError
    from crm_hygiene.standard.loader import load_standard

    try:
        standard = load_standard(path)
    except StandardError as exc:
        for key, line, message in exc.errors:
            print(f"{exc.path}:{line or '?'}: {key}: {message}", file=sys.stderr)
        print(
            f"{path}: {len(exc.errors)} error(s); a run with this standard would be report-only",
            file=sys.stderr,
        )
        return 1
    objects = ", ".join(standard.objects) or "no objects"
    auto = "on" if standard.auto_apply else "off"
    print(f"{path}: valid standard {standard.name!r} ({objects}; auto-apply {auto})")
    return 0


def _init(options: argparse.Namespace) -> int:
    from crm_hygiene.csvio import atomic_text
    from crm_hygiene.standard.profile import profile_export, render_draft

    profile = profile_export(options.input, options.object)
    text = render_draft(profile)
    with atomic_text(options.out) as fh:
        fh.write(text)
    print(f"Profiled {profile.rows:,} {profile.object_type} records from {options.input}")
    for column in profile.columns:
        d = column.as_dict()
        print(f"  {d['column']:<28} {d['field']:<18} {d['fill_rate']:>6.0%}  {d['kind']}")
    print(f"Drafted {options.out}; check it with `crm-hygiene standard check {options.out}`")
    return 0
