"""Consent and contact-permission columns are protected in every language the mapping knows, and an
auto-merge never happens when any protected column differs: through the export driver (``crm-hygiene
scan``'s duplicate rows) and the pipeline path (``propose_merges`` starting merge workflows)."""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_hygiene.csvio.records import read_records
from crm_hygiene.memory import InMemoryCrmStore, InMemoryWorkflow
from crm_hygiene.models.merge import MergeProposal
from crm_hygiene.services.dedup.core import ScanDuplicates
from crm_hygiene.services.dedup.pipeline import propose_merges
from crm_hygiene.services.scan.export import scan_export
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.standard.model import DataStandard, ObjectStandard

AS_OF = datetime(2026, 11, 23, tzinfo=UTC)
IDENTITY = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "City",
            "Contact owner", "Lifecycle Stage", "Create Date", "Last Activity Date"]  # fmt: skip
PEOPLE = [
    ["Jane", "Doe", "jane.doe@acme.com", "+14155552671", "Acme Inc.", "Austin"],
    ["Bob", "Stone", "bob@stone.io", "+15125550172", "Stone LLC", "Boston"],
    ["Aiko", "Tanaka", "aiko.tanaka@kumo.jp", "+81312345678", "Kumo KK", "Tokyo"],
    ["Lars", "Berg", "lars.berg@fjord.no", "+4722334455", "Fjord AS", "Oslo"],
    ["Maria", "Rossi", "maria.rossi@lago.it", "+390612345678", "Lago SRL", "Roma"],
]  # fmt: skip
# Consent columns as CRM users name them (the ground truth of this test, not the rule's own lists)
CONSENT_NAMES = [
    "Do Not Email", "SMS Opt-In", "Communication preferences", "Email Opt Out", "Unsubscribed from all email",
    "hs_email_optout", "HasOptedOutOfEmail", "DoNotCall", "Marketing consent", "GDPR legal basis",
    "Newsletter subscription", "E-Mail-Abmeldung", "Einwilligung Werbung", "Newsletter abonniert",
    "Nicht kontaktieren", "Ne pas contacter", "Consentement marketing", "Désabonné", "Préférences de communication",
    "No contactar", "Consentimiento de marketing", "Preferencias de comunicación", "Dado de baja",
    "Não contactar", "Consentimento", "Descadastrado", "Non contattare", "Consenso privacy", "Disiscritto",
    "Niet benaderen", "Toestemming marketing", "Afgemeld nieuwsbrief", "Uitgeschreven",
]  # fmt: skip
# Yes/no columns whose name mentions contacting: protected by their values' shape
PERMISSION_NAMES = ["Email OK", "Phone allowed", "Post erlaubt", "Text messages", "Kontakt per Telefon"]
NEUTRAL_NAMES = ["Favourite colour", "Shoe size", "Notes", "Interne Nummer", "Région commerciale"]
BOOLEANS = ["true", "false", "True", "FALSE", "yes", "no", "Yes", "No", "1", "0", "ja", "nein", "oui", "non",
            "sí", "no", "sim", "não", "x", ""]  # fmt: skip
WORDS = ["red", "blue", "42", "n/a", "", "VIP", "Nord"]


def auto_standard() -> DataStandard:
    data = default_standard().model_dump()
    data["auto_merge"] = True
    data["match"]["auto_merge_threshold"] = 0.9
    return DataStandard.model_validate(data)


def write_export(folder: Path, columns: list[str], rows: list[list[str]]) -> Path:
    path = folder / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([IDENTITY + columns, *rows])
    return path


def twins(extra: list[list[str]]) -> list[list[str]]:
    """Two identical records per person (ids 1/2, 3/4, ...) but for the extra columns' values."""
    rows = []
    for i, values in enumerate(extra):
        person = PEOPLE[(i // 2) % len(PEOPLE)]
        rows.append([str(i + 1), *person, "Ann", "Lead", "2024-01-17", "2026-10-01", *values])
    return rows


def export_merges(path: Path, out: Path) -> list[tuple[str, MergeProposal]]:
    scan_export(path, out, as_of=AS_OF, extensions=[ScanDuplicates(standard=auto_standard())])
    with (out / "queue.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] == "duplicate"]
    return [(r["decision"], MergeProposal.model_validate_json(r["evidence"])) for r in rows]


@dataclass
class PipelineDeps:
    crm: InMemoryCrmStore
    standard: DataStandard = field(default_factory=auto_standard)
    standard_valid: bool = True
    memory: Any = None
    workflow: InMemoryWorkflow = field(default_factory=InMemoryWorkflow)
    match_index: Any = None


def pipeline_merges(path: Path) -> list[tuple[str, MergeProposal]]:
    crm = InMemoryCrmStore()
    crm.add(list(read_records(path)))
    deps = PipelineDeps(crm)
    propose_merges(deps, "run-1", "contact")
    return [
        ("auto" if p["auto"] else "review", MergeProposal.model_validate(p["proposal"]))
        for p in deps.workflow.started.values()
    ]


@pytest.mark.parametrize("column", ["Do Not Email", "SMS Opt-In", "Communication preferences"])
def test_a_pair_differing_only_in_consent_goes_to_review_with_the_reason(tmp_path: Path, column: str) -> None:
    # Given auto_merge on and two records of one person differing only in a consent column
    path = write_export(tmp_path, [column], twins([["true"], ["false"]]))
    for merges in (export_merges(path, tmp_path / "out"), pipeline_merges(path)):
        # When duplicates are proposed (export scan and weekly pipeline)
        [(decision, proposal)] = merges
        # Then the merge waits for a person, saying which protected field differs
        assert decision == "review" and proposal.band == "review"
        assert [c.field for c in proposal.protected_conflicts] == [column]
        assert column in proposal.band_reason and "protected" in proposal.band_reason


def test_the_same_pair_with_equal_consent_still_merges_by_itself(tmp_path: Path) -> None:
    path = write_export(tmp_path, ["Do Not Email"], twins([["true"], ["TRUE"]]))
    assert [d for d, _ in export_merges(path, tmp_path / "out")] == ["auto"]


def test_consent_set_on_one_record_only_is_a_difference(tmp_path: Path) -> None:
    # "true" (do not e-mail) against a blank: merging would keep the primary's blank
    path = write_export(tmp_path, ["Do Not Email"], twins([[""], ["true"]]))
    [(decision, proposal)] = export_merges(path, tmp_path / "out")
    assert decision == "review" and proposal.protected_conflicts[0].field == "Do Not Email"


@pytest.mark.parametrize("name", CONSENT_NAMES)
def test_consent_columns_are_protected_by_name_in_every_language(name: str) -> None:
    # even by a standard that lists no protected column at all
    assert ObjectStandard().is_protected(name)
    assert default_standard().for_object("contact").is_protected(name)


def test_yes_no_contact_columns_are_protected_by_their_values() -> None:
    rules = ObjectStandard()
    for name in PERMISSION_NAMES:
        assert not rules.is_protected(name)  # by name alone: no
        assert rules.is_protected(name, ["Yes", "", "no"]), name
        assert not rules.is_protected(name, ["Weekdays after 5pm"]), name


@pytest.mark.parametrize("name", [*NEUTRAL_NAMES, "Job Title", "City", "Postal Code", "Industry", "Email"])
def test_other_columns_are_not(name: str) -> None:
    assert not ObjectStandard().is_protected(name, ["yes", "no"] if name in NEUTRAL_NAMES else ())


@st.composite
def random_exports(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    consent = draw(st.lists(st.sampled_from(CONSENT_NAMES), min_size=0, max_size=3, unique=True))
    permission = draw(st.lists(st.sampled_from(PERMISSION_NAMES), min_size=0, max_size=2, unique=True))
    neutral = draw(st.lists(st.sampled_from(NEUTRAL_NAMES), min_size=0, max_size=2, unique=True))
    columns = [*consent, *permission, *neutral]
    order = draw(st.permutations(range(len(columns))))
    columns = [columns[i] for i in order]
    people = draw(st.integers(min_value=1, max_value=4))
    cell = {c: st.sampled_from(WORDS if c in neutral else BOOLEANS) for c in columns}
    rows = [[draw(cell[c]) for c in columns] for _ in range(people * 2)]
    return columns, rows


def _differs(values: list[str]) -> bool:
    return len({v.strip().casefold() for v in values}) > 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_exports())
def test_no_auto_merge_where_a_consent_or_permission_column_differs(
    export: tuple[list[str], list[list[str]]],
) -> None:
    columns, extra = export
    watched = [c for c in columns if c in CONSENT_NAMES or c in PERMISSION_NAMES]
    with tempfile.TemporaryDirectory() as folder:
        path = write_export(Path(folder), columns, twins(extra))
        by_id = {row[0]: dict(zip(columns, row[len(IDENTITY) :], strict=True)) for row in twins(extra)}
        for driver, merges in (
            ("export", export_merges(path, Path(folder) / "out")),
            ("pipeline", pipeline_merges(path)),
        ):
            for decision, proposal in merges:
                differing = [c for c in watched if _differs([by_id[m][c] for m in proposal.members])]
                # a permission column with non-boolean values is not one; consent by name always is
                differing = [c for c in differing if c in CONSENT_NAMES or _boolean(by_id, proposal, c)]
                assert not (decision == "auto" and differing), (driver, proposal.members, differing)
                if differing:
                    assert {c.field for c in proposal.protected_conflicts} >= set(differing), driver


def _boolean(by_id: dict[str, dict[str, str]], proposal: MergeProposal, column: str) -> bool:
    return any(by_id[m][column].strip() for m in proposal.members)
