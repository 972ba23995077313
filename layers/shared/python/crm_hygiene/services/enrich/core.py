"""What every enrichment driver shares: the enricher built from a setup, its results as review items.

The drivers decide where records come from and where results go: ``export`` (a CSV export),
``scan`` (riding along ``crm-hygiene scan``) and ``pipeline`` (the enrich queue's batches).
"""

from __future__ import annotations

from crm_hygiene.enrich.engine import Enricher, RecordResult
from crm_hygiene.enrich.fields import FieldMap
from crm_hygiene.enrich.quality import QualityStore
from crm_hygiene.enrich.setup import EnrichSetup
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.models.review_query import record_label
from crm_hygiene.services.review.queue import review_item
from crm_hygiene.validate.context import CheckContext


def build_enricher(
    setup: EnrichSetup,
    ctx: CheckContext,
    field_map: FieldMap,
    *,
    standard_valid: bool,
    store: QualityStore | None,
    run_id: str,
) -> Enricher:
    """The enricher of one run over one object type.

    Args:
        setup: Providers, their config, priors, limits and the CRM directory (``build_setup``).
        ctx: The checks' context: the standard, the object type, "now", the columns present.
        field_map: Which enrichment field lands in which column.
        standard_valid: An invalid standard makes every change a review.
        store: Provider quality (and remembered rejections), if kept.
        run_id: The run, stamped on signals and proposals.
    """
    return Enricher(
        setup.providers,
        ctx=ctx,
        field_map=field_map,
        config=setup.config,
        standard_valid=standard_valid,
        store=store,
        directory=setup.directory,
        priors=setup.priors,
        limits=setup.limits,
        run_id=run_id,
    )


def review_items(result: RecordResult, run_id: str) -> list[ReviewItem]:
    """Review items for one record's proposals (ids are the proposals' change ids)."""
    rows = {(r.field, r.kind): r for r in result.rows}
    items = []
    for entry in result.ledger:
        row = rows.get((entry.field, entry.kind))
        if row is None or entry.decision == "suppressed":
            continue
        source = ", ".join(s.provider for s in entry.sources) or "enrichment"
        items.append(
            review_item(
                row,
                run_id,
                review_id=entry.change_id,
                change_kind="enrich",
                source=source,
                final_value=entry.new_value,
                label=record_label(result.record),
            )
        )
    return items
