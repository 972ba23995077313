"""Per-record health (0-100) and the aggregate over a run.

    health = 100 × (0.40·completeness + 0.30·validity + 0.15·freshness + 0.15·trust)

* completeness: share of the standard's critical fields (that the source has) holding a real
  value (not empty, not a placeholder); 1 when there are none.
* validity: share of the non-empty checked fields already in the standard's format; a value that
  needs a fix or cannot be read lowers it; 1 when nothing is filled.
* freshness: 1 within the staleness window; then falls linearly to 0 at twice the window; 1 when
  the object has no window, 0.5 when the record has no dates at all.
* trust: 1 minus 0.25 per trust problem (a finding whose kind counts against trust in
  ``types.FINDING_MEANINGS``, and having a duplicate), floored at 0.

The aggregate is the mean and the distribution (p10, median, p90, share ≥ 80 "healthy",
share < 50 "poor") over all records of the run.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crm_hygiene.models.health import HealthScore
from crm_hygiene.types import TRUST_KINDS
from crm_hygiene.validate.check import RecordReport

WEIGHTS = {"completeness": 0.40, "validity": 0.30, "freshness": 0.15, "trust": 0.15}
HEALTHY, POOR = 80.0, 50.0


def _freshness(age_days: float | None, window: int | None) -> float:
    if window is None:
        return 1.0
    if age_days is None:
        return 0.5
    if age_days <= window:
        return 1.0
    return max(0.0, 1.0 - (age_days - window) / window)


def record_health(report: RecordReport, window: int | None, duplicates: int = 0) -> HealthScore:
    """Scores one record from its check report; ``duplicates`` counts its likely duplicates."""
    completeness = report.critical_filled / report.critical_total if report.critical_total else 1.0
    statuses = [v.status for v in report.verdicts.values()]
    filled = len(statuses) - statuses.count("empty") - statuses.count("placeholder")
    validity = statuses.count("valid") / filled if filled else 1.0
    freshness = _freshness(report.activity_age_days, window)
    problems = (sum(i.finding.kind in TRUST_KINDS for i in report.issues) if report.issues else 0) + min(
        duplicates, 1
    )
    trust = max(0.0, 1.0 - 0.25 * problems)
    score = 100.0 * (
        WEIGHTS["completeness"] * completeness
        + WEIGHTS["validity"] * validity
        + WEIGHTS["freshness"] * freshness
        + WEIGHTS["trust"] * trust
    )
    return HealthScore(
        record_id=report.record.record_id,
        object_type=report.record.object_type,
        score=round(score, 1),
        completeness=round(completeness, 3),
        validity=round(validity, 3),
        freshness=round(freshness, 3),
        trust=round(trust, 3),
    )


class HealthAggregate(BaseModel):
    """Running aggregate of record health; memory is a fixed 1,001-bucket histogram, not the scores."""

    model_config = ConfigDict(extra="forbid")

    records: int = 0
    total: float = 0.0
    components: dict[str, float] = Field(default_factory=lambda: dict.fromkeys(WEIGHTS, 0.0))
    histogram: list[int] = Field(default_factory=lambda: [0] * 1001)  # tenths of a point, 0.0..100.0

    def add(self, health: HealthScore) -> None:
        self.records += 1
        self.total += health.score
        for name in WEIGHTS:
            self.components[name] += getattr(health, name)
        self.histogram[min(1000, max(0, round(health.score * 10)))] += 1

    def merge(self, other: HealthAggregate) -> None:
        """Adds another aggregate of the same run (another partition) to this one."""
        self.records += other.records
        self.total += other.total
        for name, value in other.components.items():
            self.components[name] += value
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]

    def _quantile(self, q: float) -> float:
        target = q * (self.records - 1)
        seen = 0
        for bucket, count in enumerate(self.histogram):
            seen += count
            if seen > target:
                return bucket / 10
        return 100.0

    def summary(self) -> dict[str, object]:
        """Mean, quantiles, shares and mean components, ready for summary.json."""
        if not self.records:
            return {"records": 0, "mean": None}
        n = self.records
        healthy = sum(self.histogram[int(HEALTHY * 10) :])
        poor = sum(self.histogram[: int(POOR * 10)])
        return {
            "records": n,
            "mean": round(self.total / n, 1),
            "p10": self._quantile(0.10),
            "median": self._quantile(0.50),
            "p90": self._quantile(0.90),
            "healthy_share": round(healthy / n, 4),
            "poor_share": round(poor / n, 4),
            "components": {k: round(v / n, 3) for k, v in self.components.items()},
            "formula": "100 × (0.40·completeness + 0.30·validity + 0.15·freshness + 0.15·trust)",
        }
