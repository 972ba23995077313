"""The apply use case: write decided changes to the CRM, optimistically, audited (``core``)."""
