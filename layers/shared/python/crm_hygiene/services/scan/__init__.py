"""The scan use case: check records against the standard, decide each change, measure health.

``core`` holds it (``scan_record``, ``ScanTotals``); the drivers beside it only adapt inputs and outputs:
``export`` (a CSV export on a laptop), ``pipeline`` (the scan workflow over a live CRM: plan, partitions,
finalize) and ``entry`` (one record as it is created or changed).
"""
