"""The enrichment use case: fill missing fields from scored, attributed sources.

The engine is ``crm_hygiene.enrich``.
``core`` holds what every driver shares (results into review items); drivers: ``export`` (``crm-hygiene
enrich`` on a CSV), ``scan`` (``crm-hygiene scan --enrich``) and ``pipeline`` (the enrich queue's batches).
"""
