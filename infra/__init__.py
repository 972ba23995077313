"""The CDK app of crm-hygiene: ``python -m infra.app`` (docs/pipeline.md is its contract)."""
