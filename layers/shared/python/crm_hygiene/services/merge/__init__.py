"""The merge use case: a merge proposal through review to the CRM's merge (``core``)."""
