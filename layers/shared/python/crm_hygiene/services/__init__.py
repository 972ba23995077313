"""Use cases: tie the domain (validate, policy, health, dedup, enrich) to ports and files."""
