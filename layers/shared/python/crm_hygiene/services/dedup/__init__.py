"""The duplicate use case: propose merges among records (the matching engine is ``crm_hygiene.dedup``).

``core`` holds it (``ScanDuplicates``, ``member_of``); drivers: ``export`` (``crm-hygiene dedupe`` on a CSV),
``pipeline`` (the weekly scan's end: propose merges, store the match index) and ``entry`` (one new record
against the stored match index).
"""
