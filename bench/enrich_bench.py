"""Enrichment benchmark: derived-provider throughput, and the HTTP provider against the local fake API.

    .venv/bin/python bench/enrich_bench.py                         # 20k contacts, 1,000 HTTP lookups
    .venv/bin/python bench/enrich_bench.py --contacts 100000 --http-lookups 1500

Targets (issue 4):
* derived providers: >= 5,000 contacts/s on one core (the engine: derived lookups, confidence, policy,
  queue rows), measured on the sample export as it is and on a worst case where every derivable
  field is blank (country, state, website, company, names, time zone and line type columns);
* HTTP provider against the fake at a configured 50 requests/s: >= 90% of the limit sustained, 0
  requests over it (the fake counts per 1-second window; the strictest sliding 1-second window is
  reported too), all 429s retried (a second run injects 429 storms with and without Retry-After).

Exports are generated once under bench/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"

from crm_hygiene.adapters.enrich_http import HttpProvider  # noqa: E402
from crm_hygiene.enrich.config import HttpConfig, ProvidersConfig  # noqa: E402
from crm_hygiene.enrich.directory import CrmDirectory, iter_records  # noqa: E402
from crm_hygiene.enrich.engine import Enricher, Limits  # noqa: E402
from crm_hygiene.enrich.fields import FieldMap  # noqa: E402
from crm_hygiene.enrich.providers.derived import DerivedProvider  # noqa: E402
from crm_hygiene.models.fields import map_headers  # noqa: E402
from crm_hygiene.models.record import Record  # noqa: E402
from crm_hygiene.standard.loader import default_standard  # noqa: E402
from crm_hygiene.validate.context import CheckContext  # noqa: E402

AS_OF = datetime(2026, 11, 23, tzinfo=UTC)
BLANKED = ("country", "state", "website", "company", "first_name", "last_name")


def _export(contacts: int) -> Path:
    folder = DATA / f"enrich-{contacts}"
    if not (folder / "contacts.csv").exists():
        from crm_hygiene.local.sample import generate_sample

        generate_sample(folder, contacts=contacts, seed=11, as_of=date(2026, 11, 23))
    blank = folder / "contacts-blank.csv"
    if not blank.exists():
        with (
            (folder / "contacts.csv").open(encoding="utf-8", newline="") as src,
            blank.open("w", newline="") as dst,
        ):
            reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\r\n")
            header = next(reader)
            drop = {header.index(c) for c in ("Country/Region", "State/Region", "Website URL", "Company Name",
                                              "First Name", "Last Name")}  # fmt: skip
            writer.writerow([*header, "Time Zone", "Phone Line Type"])
            for row in reader:
                writer.writerow([("" if i in drop else c) for i, c in enumerate(row)] + ["", ""])
    return folder


def _enricher(path: Path, directory: CrmDirectory) -> tuple[Enricher, list[Record]]:
    records = list(iter_records(path, "contact"))
    with path.open(encoding="utf-8") as fh:
        header = map_headers(next(csv.reader(fh)), "contact")
    ctx = CheckContext(standard=default_standard(), object_type="contact", as_of=AS_OF,
                       present=frozenset(header.position))  # fmt: skip
    field_map = FieldMap.build("contact", header.position, [header.columns[p] for p in header.custom])
    provider = DerivedProvider(directory)
    return Enricher([provider], ctx=ctx, field_map=field_map, directory=directory), records


def derived(contacts: int) -> dict[str, object]:
    folder = _export(contacts)
    directory = CrmDirectory.from_files(folder / "companies.csv", folder / "contacts.csv")
    out: dict[str, object] = {"contacts": contacts}
    for name, path in (("sample", folder / "contacts.csv"), ("all_blank", folder / "contacts-blank.csv")):
        enricher, records = _enricher(path, directory)
        provider = enricher.providers["derived"]
        works = [enricher._work(r) for r in records]  # which fields each record wants (not timed)
        _clear_phone_caches()
        started = time.perf_counter()
        for work in works:  # the derived providers alone, phone metadata cold
            provider.lookup(work.record, work.local & provider.fields_for("contact"))
        lookups = time.perf_counter() - started
        enricher, records = _enricher(path, directory)
        _clear_phone_caches()
        started = time.perf_counter()
        proposals = 0
        for i in range(0, len(records), 256):
            proposals += sum(len(r.rows) for r in enricher.enrich(records[i : i + 256]))
        elapsed = time.perf_counter() - started
        out[name] = {
            "derived_lookups_per_second": round(len(records) / lookups),
            "engine_contacts_per_second": round(
                len(records) / elapsed
            ),  # lookups + confidence + policy + rows
            "engine_seconds": round(elapsed, 2),
            "proposals": proposals,
            "proposals_per_contact": round(proposals / len(records), 2),
        }
    return out


def _clear_phone_caches() -> None:
    """Cold caches for the second measurement too (the first pass saw the same numbers and emails)."""
    from crm_hygiene.enrich.providers import derived as module
    from crm_hygiene.normalize.email import normalize_email
    from crm_hygiene.normalize.phone import _normalize_loose

    # normalize_phone caches only its slow path now (numbers in E.164 rarely repeat)
    for cached in (module._number, module.phone_subdivision, module.phone_time_zone, module.phone_line_type,
                   _normalize_loose, normalize_email):  # fmt: skip
        cached.cache_clear()


def _people(n: int, offset: int) -> list[Record]:
    return [Record(object_type="contact", record_id=str(i), fields={"email": f"p{i}.x@firm{i % 997}.com"})
            for i in range(offset, offset + n)]  # fmt: skip


def http(lookups: int, rates: dict[str, float] | None, limit: float = 50.0) -> dict[str, object]:
    """Lookups through the HTTP provider against the fake, which runs in its own process."""
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.enrichment_api", "--rate-limit", str(limit), "--seed", "7",
         "--rates", json.dumps(rates or {})],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert fake.stdin is not None and fake.stdout is not None
    url = fake.stdout.readline().strip()
    config = HttpConfig(type="http", name="api", preset="person_by_email", url=f"{url}/v1/person",
                        rate_limit=limit, timeout=2, max_attempts=8, backoff=0.05, concurrency=4,
                        breaker_threshold=50)  # fmt: skip
    provider = HttpProvider(config)
    ctx = CheckContext(standard=default_standard(), object_type="contact", as_of=AS_OF)
    field_map = FieldMap.build("contact", None, [])
    limits = Limits(concurrency={"api": 4})
    enricher = Enricher(
        [provider], ctx=ctx, field_map=field_map, config=ProvidersConfig(providers=[]), limits=limits
    )
    records = _people(lookups, 0)
    started = time.perf_counter()
    for _ in enricher.enrich_batches(records[i : i + 256] for i in range(0, len(records), 256)):
        pass
    elapsed = time.perf_counter() - started
    enricher.finish()
    fake.stdin.close()
    stats = json.loads(fake.stdout.readline())
    fake.wait(timeout=10)
    client = provider.stats
    run = enricher.waterfall.runs["api"]
    return {
        "configured_limit_rps": limit,
        "lookups": lookups,
        "requests": stats["requests"],
        "seconds": round(elapsed, 2),
        "sustained_rps": round(stats["requests"] / elapsed, 2),
        "share_of_limit": round(stats["requests"] / elapsed / limit, 3),
        "steady_rps": round(_steady(stats["windows"]), 2),  # full 1-s windows only (not the first and last)
        "requests_over_limit": stats["over_limit"],
        "max_in_a_fixed_1s_window": stats["max_per_window"],
        "max_in_any_sliding_1s_window": stats["max_sliding"],
        "answers_429": stats["statuses"].get("429", 0),
        "requests_beyond_one_per_lookup": stats["requests"] - lookups,  # = answers_429: every 429 retried
        "client_retries": client.retries,
        "lookups_failed": sum(run.faults.values()),
        "faults": dict(run.faults),
    }


def _steady(windows: dict[str, int]) -> float:
    full = [count for _, count in sorted(windows.items(), key=lambda kv: int(kv[0]))][1:-1]
    return sum(full) / len(full) if full else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--http-lookups", type=int, default=1000)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-derived", action="store_true")
    args = parser.parse_args()
    result: dict[str, object] = {} if args.skip_derived else {"derived": derived(args.contacts)}
    if not args.skip_http:
        result["http_clean"] = http(args.http_lookups, None)
        result["http_429_storm"] = http(args.http_lookups, {"429": 0.05, "429_no_retry_after": 0.03})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
