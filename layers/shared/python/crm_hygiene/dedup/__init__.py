"""Duplicate detection: blocking -> vectorized comparison -> unsupervised Fellegi-Sunter scoring ->
clustering without chaining -> survivorship, for contacts, companies and deals.

Pure: no network and no AWS. Heavy modules (rapidfuzz, jellyfish, nicknames) load on first use.
Start at ``engine.find_duplicates`` (columns in, scored pairs and clusters out) or
``files.dedupe_file`` (a CSV file in, pairs.csv and clusters.csv out).
"""
