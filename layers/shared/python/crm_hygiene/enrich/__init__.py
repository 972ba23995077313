"""Enrichment: fill missing fields from attributed, scored sources and keep "who works where" current.

Providers (``enrich/providers``) answer ``lookup(record, wanted_fields)`` with
:class:`~crm_hygiene.enrich.candidate.FieldCandidate`s; the waterfall (``waterfall.py``) decides
which provider to ask, in which order and within which budget; ``combine.py`` turns candidates into
one value per field with a confidence (provider reliability x match quality, agreement raises it,
disagreement is a conflict); ``engine.py`` turns those into proposed changes that the policy
decides, plus job-change and relationship signals; ``quality.py`` learns each provider's
reliability per field from review outcomes.

Everything here is pure but for the local files the file-based providers and the JSON quality store
read and write; the HTTP provider is an adapter (``adapters/enrich_http.py``) that the drivers hand to
``build_setup``. Nothing is imported at package import time.
"""
