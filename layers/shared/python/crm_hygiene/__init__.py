"""crm-hygiene: keeps a CRM trustworthy without making sales reps type.

The package is the domain library (models, the clean-record standard, normalizers, validation,
policy, health, deduplication, enrichment and the services that tie them to ports) and is also
the Lambda layer. Importing it is cheap: heavy field libraries load on first use.
"""

__version__ = "0.1.0"
