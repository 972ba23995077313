"""The audit-integrity use case: verify the trail, write the signed digest, check one history."""
