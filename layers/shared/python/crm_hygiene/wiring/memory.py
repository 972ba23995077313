"""In-memory composition: every port of a pipeline scan in memory (tests, benchmarks, local runs).

It lives in the wiring rather than on ``PipelineDeps``: building implementations is the composition
root's job, and a service importing ``crm_hygiene.memory`` would point the use cases at adapters.
"""

from __future__ import annotations

from typing import Any

from crm_hygiene import memory
from crm_hygiene.ports import CrmStore
from crm_hygiene.services.scan.batch import PipelineDeps
from crm_hygiene.standard.loader import default_standard


def in_memory_deps(crm: CrmStore, **overrides: Any) -> PipelineDeps:
    """Every port in memory around ``crm``, and the default standard.

    Args:
        crm: The CRM to scan.
        **overrides: Any ``PipelineDeps`` field, given instead of its in-memory default.

    Returns:
        The pipeline's dependencies.
    """
    ports: dict[str, Any] = {
        "queue": memory.InMemoryChangeQueue(),
        "apply_queue": memory.ListWorkQueue(),
        "enrich_queue": None,
        "health": memory.InMemoryHealthStore(),
        "signals": memory.ListSignalBus(),
        "memory": memory.InMemoryDecisionMemory(),
        "standard": default_standard(),
        "workflow": memory.InMemoryWorkflow(),
    }
    return PipelineDeps(crm=crm, **{**ports, **overrides})
