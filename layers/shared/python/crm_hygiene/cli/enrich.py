"""``crm-hygiene enrich``: fill missing fields from attributed, scored sources; spot people who moved.

crm-hygiene enrich --input contacts.csv [--providers providers.yaml] [--activity activity.csv]
                   --out DIR [--state quality.json] [--dry-run]
crm-hygiene enrich feedback --queue reviewed.csv --state quality.json [--proposals DIR/proposals.jsonl]
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crm_hygiene.cli.options import as_of
from crm_hygiene.enrich.config import HttpConfig
from crm_hygiene.enrich.provider import HttpProviderFactory, Provider
from crm_hygiene.ports import SecretStore
from crm_hygiene.types import OBJECT_TYPES


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", type=Path, help="the CRM export to enrich (CSV)")
    parser.add_argument("--out", type=Path, help="output directory")
    parser.add_argument("--providers", type=Path, help="providers.yaml (default: the derived provider only)")
    parser.add_argument(
        "--activity", type=Path, help="an activity log (CSV or JSON lines) of emails and meetings"
    )
    crm_help = "another export of the CRM (companies, contacts) to learn from; repeatable"
    parser.add_argument("--crm", type=Path, action="append", default=[], metavar="FILE", help=crm_help)
    parser.add_argument("--object", choices=OBJECT_TYPES, help="object type (default: from the headers)")
    parser.add_argument("--standard", type=Path, help="the clean-record standard (default: the shipped one)")
    parser.add_argument(
        "--state", type=Path, help="provider-quality state (JSON); learned from review outcomes"
    )
    parser.add_argument("--as-of", type=as_of, help="'now' for field decay, ISO date (default: today)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the calls and cost each provider would get; spend nothing",
    )
    sub = parser.add_subparsers(dest="action", metavar="{feedback}")
    feedback = sub.add_parser("feedback", help="feed review outcomes back into provider quality")
    feedback.add_argument("--queue", required=True, type=Path, help="the reviewed queue.csv (status column)")
    feedback.add_argument("--state", required=True, type=Path, help="the provider-quality state to update")
    feedback.add_argument(
        "--proposals",
        type=Path,
        action="append",
        help="the run's proposals.jsonl (default: next to the queue); repeatable",
    )
    feedback.add_argument("--providers", type=Path, help="providers.yaml, for the priors")
    feedback.add_argument(
        "--signals", type=Path, help="also write provider-quality signals (JSON lines) here"
    )


def secret_stores() -> Mapping[str, SecretStore]:
    """API keys from environment variables, or from AWS Secrets Manager."""
    from crm_hygiene.adapters.secrets import AwsSecretStore, EnvSecretStore

    return {"env": EnvSecretStore(), "aws": AwsSecretStore()}


def http_provider() -> HttpProviderFactory:
    """The HTTP provider adapter, for configs that name HTTP providers (imports httpx only then)."""

    def build(config: HttpConfig, *, secrets: SecretStore | None, priority: int) -> Provider:
        from crm_hygiene.adapters.enrich_http import HttpProvider

        return HttpProvider(config, secrets=secrets, priority=priority)

    return build


def scan_extension(options: argparse.Namespace) -> Any:
    """The enrichment extension for ``crm-hygiene scan --enrich`` (same options as this command)."""
    from crm_hygiene.services.enrich.export import prepare
    from crm_hygiene.services.enrich.scan import EnrichExtension

    run = prepare(
        options.input,
        providers=options.providers,
        activity=options.activity,
        standard_path=options.standard,
        object_type=options.object,
        as_of=options.as_of,
        secrets=secret_stores(),
        http=http_provider(),
    )
    return EnrichExtension(run, options.out)


def print_scan_enrichment(figures: object) -> None:
    """The enrichment line of a scan's summary (``summary["enrichment"]``)."""
    summary: Mapping[str, Any] = figures if isinstance(figures, Mapping) else {}
    decisions = summary["proposals_by_decision"]
    print(
        f"Enrichment: {sum(decisions.values()):,} proposals ({decisions['auto']:,} auto, "
        f"{decisions['review']:,} review, {decisions['blocked']:,} blocked), "
        f"{summary['job_changes']:,} job changes; also proposals.jsonl signals.jsonl associations.jsonl"
    )


def run(options: argparse.Namespace) -> int:
    if options.action == "feedback":
        return _feedback(options)
    if options.input is None or options.out is None:
        raise SystemExit("crm-hygiene enrich: --input and --out are required")
    from crm_hygiene.cli.progress import Progress
    from crm_hygiene.services.enrich.export import enrich_export

    progress = Progress()
    result = enrich_export(
        options.input,
        options.out,
        dry_run=options.dry_run,
        progress=progress,
        providers=options.providers,
        activity=options.activity,
        crm=options.crm,
        standard_path=options.standard,
        object_type=options.object,
        as_of=options.as_of,
        state=options.state,
        secrets=secret_stores(),
        http=http_provider(),
    )
    progress.done()
    (_print_plan if options.dry_run else _print_run)(result.summary, result.out_dir)
    return 0


def _providers_table(providers: Mapping[str, Mapping[str, Any]]) -> None:
    for name, p in providers.items():
        faults = ", ".join(f"{k} {v}" for k, v in sorted(p["faults"].items())) or "none"
        paid = (
            f", {p['calls']:,} calls, cost {p['cost']:.2f}, {p['cache_hits']:,} cached" if p["remote"] else ""
        )
        skipped = f", {p['skipped_budget']:,} skipped (budget)" if p["skipped_budget"] else ""
        print(
            f"  {name} ({p['kind']}): {p['lookups']:,} lookups, {p['candidates']:,} values{paid}{skipped}; "
            f"faults: {faults}"
        )


def _print_run(summary: Mapping[str, Any], out: Path) -> None:
    perf, decisions = summary["performance"], summary["proposals_by_decision"]
    print(
        f"Enriched {summary['records']:,} {summary['input']['object_type']} records "
        f"in {perf['seconds']:.1f} s ({perf['records_per_second'] or 0:,.0f}/s)"
    )
    print(
        f"Proposals: {sum(decisions.values()):,} on {summary['records_with_proposals']:,} records: "
        f"{decisions['auto']:,} auto, {decisions['review']:,} review, {decisions['blocked']:,} blocked"
    )
    fields = ", ".join(f"{k} {v:,}" for k, v in list(summary["proposals_by_field"].items())[:8])
    if fields:
        print(f"  {fields}")
    print(
        f"Job changes {summary['job_changes']:,} · conflicts {summary['conflicts']:,} · "
        f"re-enrichment candidates {summary['re_enrichment_candidates']:,} · "
        f"kept CRM values {summary['kept_crm_values']:,} · suppressed {summary['suppressed']:,}"
    )
    print("Providers:")
    _providers_table(summary["providers"])
    print(
        f"Outputs: {out}/queue.csv queue.jsonl proposals.jsonl signals.jsonl associations.jsonl summary.json"
    )


def _print_plan(summary: Mapping[str, Any], out: Path) -> None:
    print(f"Dry run over {summary['records']:,} records: nothing was called or spent.")
    plan = summary["plan"]
    if not plan:
        print("  No remote providers configured: local providers only, which cost nothing.")
    for name, p in plan.items():
        print(
            f"  {name}: at most {p['calls_at_most']:,} calls (~{p['calls_expected']:,.0f} expected), "
            f"cost at most {p['cost_at_most']:.2f} (~{p['cost_expected']:.2f}); "
            f"{p['cache_hits']:,} answered from cache; {p['skipped_by_budget']:,} over the budget"
        )
    budget = summary["budget"]
    print(
        f"Budget: max calls {budget['max_calls'] if budget['max_calls'] is not None else 'none'}, "
        f"max cost {budget['max_cost'] if budget['max_cost'] is not None else 'none'}"
    )
    print(f"Plan: {out}/plan.json")


def _feedback(options: argparse.Namespace) -> int:
    from crm_hygiene.enrich.config import ProvidersConfig, load_providers
    from crm_hygiene.enrich.feedback import apply_feedback, read_ledger, read_reviewed
    from crm_hygiene.enrich.quality import JsonQualityStore

    ledgers = options.proposals or [options.queue.parent / "proposals.jsonl"]
    config = load_providers(options.providers) if options.providers else ProvidersConfig()
    store = JsonQualityStore(options.state)
    before = store.snapshot()
    result = apply_feedback(read_reviewed(options.queue), read_ledger(ledgers), store)
    print(
        f"Counted {result.counted:,} review outcomes (already counted {result.already_counted:,}, "
        f"not in the proposals ledger {result.unmatched:,}, not reviewed {result.not_reviewed:,})"
    )
    kinds = result.kinds
    signals = _quality_signals(config, store, {(p, f) for p, f, _ in result.outcomes}, kinds)
    for s in signals:
        old = _mean(config, before, s.provider, s.field, kinds)
        print(
            f"  {s.provider} / {s.field}: approved {s.approved}, rejected {s.rejected}, edited {s.edited}; "
            f"reliability {old:.3f} -> {s.reliability_mean:.3f}"
        )
    if options.signals:
        from crm_hygiene.csvio import atomic_text

        with atomic_text(options.signals) as fh:
            fh.writelines(s.model_dump_json(by_alias=True) + "\n" for s in signals)
    print(f"State: {options.state}")
    return 0


def _prior(config: Any, provider: str, name: str, kinds: Mapping[str, str]) -> tuple[float, float]:
    """The prior a run would use: the config's for the provider, else its type's (from the ledger)."""
    from crm_hygiene.enrich.quality import prior_for

    return prior_for(config, provider, name, kinds.get(provider))


def _mean(
    config: Any, snapshot: Mapping[Any, Any], provider: str, name: str, kinds: Mapping[str, str]
) -> float:
    from crm_hygiene.enrich.quality import reliability

    return reliability(snapshot.get((provider, name)), _prior(config, provider, name, kinds)).mean


def _quality_signals(
    config: Any, store: Any, keys: set[tuple[str, str]], kinds: Mapping[str, str]
) -> list[Any]:
    from crm_hygiene.enrich.quality import quality_signal

    snapshot = store.snapshot()
    return [
        quality_signal(p, f, snapshot[(p, f)], _prior(config, p, f, kinds))
        for p, f in sorted(keys)
        if (p, f) in snapshot
    ]
