"""Enrichment providers: derived (offline), activity log, file import and HTTP JSON."""
