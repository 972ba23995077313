"""Audit integrity, modelled on CloudTrail's log-file integrity validation (pure, no I/O).

- ``keys``: the keyring that seals entries with HMAC-SHA256 (the key lives in Secrets Manager, never
  in the table; entries name the key they were sealed with, so keys rotate).
- ``digest``: the periodic signed digest of every chain head, chained to the previous digest.
- ``verify``: checks chains and digests and says what is wrong (``VerificationReport``).
"""
