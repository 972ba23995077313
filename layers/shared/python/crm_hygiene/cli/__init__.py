"""The ``crm-hygiene`` command. One module per subcommand; each has ``register(subparsers)``.

Modules are imported only when their command runs, so ``crm-hygiene --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from crm_hygiene import __version__
from crm_hygiene.errors import HygieneError, InputError, StandardError

# command -> (module, one-line help). The module's ``register`` adds the arguments; ``run`` executes.
COMMANDS: dict[str, tuple[str, str]] = {
    "sample": ("crm_hygiene.cli.sample", "write a realistic messy CRM export (HubSpot column names)"),
    "scan": ("crm_hygiene.cli.scan", "scan an export: the review queue, cleaned.csv, health and figures"),
    "standard": ("crm_hygiene.cli.standard", "draft (init) or check a clean-record standard"),
    "demo": (
        "crm_hygiene.cli.demo",
        "run the whole serverless loop locally (moto), then serve the review API",
    ),
    "serve": ("crm_hygiene.cli.serve", "serve the local stack's review API and webhook on 127.0.0.1"),
    "dedupe": ("crm_hygiene.cli.dedupe", "duplicate pairs and clusters of a CSV of people or companies"),
    "fake-hubspot": ("crm_hygiene.cli.fake_hubspot", "run a local fake HubSpot API (tests, demo, benchmark)"),
    "enrich": (
        "crm_hygiene.cli.enrich",
        "fill missing fields from scored, attributed sources; spot job changes",
    ),
    "review": (
        "crm_hygiene.cli.review",
        "review your own export locally: scan it into the local stack and serve the console",
    ),
    "apply": (
        "crm_hygiene.cli.apply",
        "write what a review decided: updated export, HubSpot and Salesforce import files, merges, audit",
    ),
    "audit": ("crm_hygiene.cli.audit", "verify a stack's audit trail (keyed MACs, chains, signed digests)"),
    "scan-now": ("crm_hygiene.cli.scan_now", "start a scan of a deployed (or the local) stack's CRM now"),
    "unmerge": ("crm_hygiene.cli.unmerge", "undo a performed merge (a deployed stack or the local one)"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-hygiene",
        description="Keeps a CRM trustworthy: standardize, find problems, propose fixes, review.",
    )
    parser.add_argument("--version", action="version", version=f"crm-hygiene {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (0 ok, 1 findings-gate, 2 error)."""
    args = list(sys.argv[1:] if argv is None else argv)
    top = _parser()
    if not args or args[0] not in COMMANDS:
        top.parse_args(args)  # prints help / version / the usage error and exits
        return 2
    module = importlib.import_module(COMMANDS[args[0]][0])
    parser = argparse.ArgumentParser(prog=f"crm-hygiene {args[0]}", description=COMMANDS[args[0]][1])
    module.register(parser)
    options = parser.parse_args(args[1:])
    try:
        code: int = module.run(options)
    except StandardError as exc:
        print(f"crm-hygiene: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"crm-hygiene: error: {exc}", file=sys.stderr)
        return 2
    except HygieneError as exc:
        print(f"crm-hygiene: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that cannot be read or written: say which, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"crm-hygiene: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("crm-hygiene: interrupted; no partial outputs were left behind", file=sys.stderr)
        return 130
    return code
