"""Value equivalence, grouping, confidence, conflicts and trust: table-driven."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_hygiene.enrich.combine import decide_value, group, more_trusted, noisy_or, score
from crm_hygiene.enrich.fields import FieldMap, Values, linkedin_key, title_key
from crm_hygiene.enrich.provider import FieldCandidate
from crm_hygiene.standard.loader import default_standard
from crm_hygiene.validate.context import CheckContext

VALUES = Values(CheckContext(standard=default_standard(), object_type="contact"))


@pytest.mark.parametrize(
    ("description", "field", "left", "right", "expected"),
    [
        ("title word order and 'of'", "job_title", "VP of Sales", "VP, Sales", True),
        ("title abbreviation", "job_title", "Vice President Sales", "VP Sales", True),
        ("title order", "job_title", "Director, Finance", "Finance Director", True),
        ("different titles", "job_title", "CTO", "CFO", False),
        ("legal suffix ignored", "company", "Acme Inc.", "ACME", True),
        ("a company and its longer name", "company", "Acme", "Acme Holdings", True),
        ("different companies", "company", "Acme", "Globex", False),
        ("employees within 15%", "employees", "1000", "1100", True),
        ("employees far apart", "employees", "1000", "2000", False),
        ("website subdomain", "website", "www.acme.com", "acme.com", True),
        ("names with accents", "first_name", "Maëlle", "maelle", True),
    ],
)
def test_same_value(description: str, field: str, left: str, right: str, expected: bool) -> None:
    assert VALUES.same(field, left, right) is expected, description


def test_title_key_and_linkedin_key() -> None:
    assert title_key("Sr. Software Engineer") == title_key("Senior Software Engineer")
    assert linkedin_key("https://www.LinkedIn.com/in/Jane-Doe-123/?trk=x") == "linkedin.com/in/jane-doe-123"
    assert linkedin_key("https://example.com/in/jane") == ""


def test_clean_rejects_placeholders_and_formats_values() -> None:
    assert VALUES.clean("country", "United States") == "US"
    assert VALUES.clean("phone", "+1 (415) 555-2671") == "+14155552671"
    assert VALUES.clean("company", "TBD") is None
    assert VALUES.clean("job_title", "  ") is None


def test_field_map_finds_extra_columns_and_honours_an_explicit_list() -> None:
    # Given an export with a "Time Zone" column and no LinkedIn column
    fm = FieldMap.build("contact", {"email", "phone", "country"}, ["Time Zone", "Original Source"])
    # Then the time zone goes to that column; fields the export cannot hold are not enriched
    assert fm.targets == {"email": "email", "phone": "phone", "country": "country", "time_zone": "Time Zone"}
    explicit = FieldMap.build("contact", {"email"}, [], wanted=["email", "linkedin_url", "owner"])
    assert explicit.targets == {"email": "email", "linkedin_url": "linkedin_url"}  # never owner


def candidate(provider: str, value: str, quality: float = 0.9, at: datetime | None = None) -> FieldCandidate:
    return FieldCandidate("company", value, provider, "exact email", quality, fetched_at=at)


def test_agreement_raises_confidence_and_a_provider_counts_once() -> None:
    scored = [score(candidate("a", "Acme Inc."), "Acme Inc.", 0.8), score(candidate("b", "ACME"), "ACME", 0.8),
              score(candidate("a", "Acme"), "Acme", 0.8)]  # fmt: skip
    groups = group("company", scored, VALUES.same)
    assert len(groups) == 1 and groups[0].providers == ["a", "b"]
    assert groups[0].confidence == pytest.approx(noisy_or([0.72, 0.72])) and groups[0].confidence > 0.72


def test_disagreement_above_the_floor_is_a_conflict_and_below_it_weakens() -> None:
    strong = [score(candidate("a", "Acme"), "Acme", 0.8), score(candidate("b", "Globex"), "Globex", 0.7)]
    out = decide_value("company", group("company", strong, VALUES.same), "", VALUES.same, 0.5)
    assert out.conflict and "source of truth unclear" in out.conflict
    weak = [score(candidate("a", "Acme"), "Acme", 0.9), score(candidate("b", "Globex", 0.3), "Globex", 0.7)]
    out = decide_value("company", group("company", weak, VALUES.same), "", VALUES.same, 0.5)
    assert out.conflict is None and out.best is not None and out.best.value == "Acme"
    assert out.confidence == pytest.approx(0.81 * (1 - 0.21))


def test_sources_confirming_the_crm_value_propose_nothing() -> None:
    scored = [score(candidate("a", "Acme Inc."), "Acme Inc.", 0.9)]
    out = decide_value("company", group("company", scored, VALUES.same), "Acme", VALUES.same, 0.5)
    assert out.best is None and out.confirmed


def test_an_old_observation_is_superseded_by_a_newer_one_for_time_varying_fields() -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    new = datetime(2026, 11, 1, tzinfo=UTC)
    scored = [score(candidate("log", "Acme", 0.95, old), "Acme", 0.85),
              score(candidate("list", "Globex", 0.97, new), "Globex", 0.8)]  # fmt: skip
    groups = group("company", scored, VALUES.same)
    out = decide_value("company", groups, "Acme", VALUES.same, 0.5, time_varying=True)
    assert out.best is not None and out.best.value == "Globex" and out.conflict is None and out.superseded
    # the same observations close in time disagree: a conflict
    close = [score(candidate("log", "Acme", 0.95, new), "Acme", 0.85), scored[1]]
    out = decide_value(
        "company", group("company", close, VALUES.same), "", VALUES.same, 0.5, time_varying=True
    )
    assert out.conflict is not None


@pytest.mark.parametrize(
    ("candidate_rank", "existing_rank", "candidate_at", "existing_at", "expected"),
    [
        (60, 100, None, None, False),  # a provider never beats a person by default
        (100, 60, None, None, True),
        (50, 50, datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), True),
        (50, 50, datetime(2025, 5, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), False),
        (50, 50, None, datetime(2026, 1, 1, tzinfo=UTC), False),  # unknown age never wins on age
    ],
)
def test_more_trusted(
    candidate_rank: int, existing_rank: int, candidate_at: datetime | None, existing_at: datetime | None,
    expected: bool,
) -> None:  # fmt: skip
    assert more_trusted(candidate_rank, existing_rank, candidate_at, existing_at)[0] is expected
