"""``decide()``: auto, review, blocked or suppressed, for one proposed change.

Rules, in order (the first that applies wins):

1. A change that would empty a field is a delete: never applied, ``blocked``.
2. A value that would start a spreadsheet formula (``=``, ``+``, ``-``, ``@``, tab, CR; a signed
   number such as an E.164 phone is a value): ``blocked``, never in the CRM nor in cleaned.csv.
3. Conflicting evidence (``change.conflict``): ``blocked`` — the source of truth is unclear.
4. A person already rejected this exact proposal: ``suppressed``.
5. No valid standard, or the standard's ``auto_apply`` is off: ``review`` (report only).
6. A protected field (owner, lifecycle stage, consent, amount, ...): ``review``.
7. Merges: ``review`` unless the standard enables ``auto_merge``.
8. The field's rule turns auto-apply off: ``review``.
9. Enrichment replacing a non-empty value on a field the standard does not let it overwrite: ``review``.
10. Confidence below the standard's threshold: ``review``.
11. Otherwise: ``auto``.
"""

from __future__ import annotations

from collections.abc import Callable

from crm_hygiene.csvio.formula import starts_formula
from crm_hygiene.models.change import ProposedChange, Verdict
from crm_hygiene.ports import DecisionMemory
from crm_hygiene.standard.model import DataStandard
from crm_hygiene.types import Decision

_Make = Callable[[Decision, str], Verdict]


def decide(
    change: ProposedChange,
    standard: DataStandard | None,
    *,
    standard_valid: bool = True,
    memory: DecisionMemory | None = None,
) -> Verdict:
    """Decides what may happen to ``change`` (see the module docstring for the rules)."""
    rules = standard.for_object(change.object_type) if standard is not None else None
    protected = (
        rules.is_protected(change.field, (change.old_value, change.new_value)) if rules is not None else True
    )

    def verdict(decision: Decision, reason: str) -> Verdict:
        return Verdict(decision=decision, reason=reason, protected=protected)

    if not change.new_value.strip() and change.kind != "flag":
        return verdict("blocked", "would empty the field: deletes are never applied")
    if change.kind != "flag" and starts_formula(change.new_value):
        return verdict("blocked", "the value would start a spreadsheet formula: it is never applied")
    if change.conflict:
        return verdict("blocked", change.conflict)
    if memory is not None and memory.was_rejected(change.change_id):
        return verdict("suppressed", "a reviewer rejected this same change before")
    if standard is None or rules is None or not standard_valid:
        return verdict("review", "no valid standard: report only, nothing applies by itself")
    if not standard.auto_apply:
        return verdict("review", "the standard turns auto-apply off")
    if protected:
        return verdict("review", f"{change.field} is a protected field")
    return _by_rule(change, standard, verdict)


def _by_rule(change: ProposedChange, standard: DataStandard, verdict: _Make) -> Verdict:
    rule = standard.for_object(change.object_type).fields.get(change.field)
    if change.kind == "merge" and not standard.auto_merge:
        return verdict("review", "merges need a reviewer unless the standard enables auto_merge")
    if rule is not None and not rule.auto_apply:
        return verdict("review", f"the standard turns auto-apply off for {change.field}")
    if change.kind == "enrich" and change.old_value.strip() and not (rule is not None and rule.overwrite):
        return verdict("review", "would overwrite a value the standard does not let enrichment replace")
    threshold = standard.thresholds.auto_apply
    if change.confidence < threshold:
        return verdict("review", f"confidence {change.confidence:.2f} is below the threshold {threshold:.2f}")
    return verdict("auto", f"confidence {change.confidence:.2f} ≥ {threshold:.2f}, unprotected field")
