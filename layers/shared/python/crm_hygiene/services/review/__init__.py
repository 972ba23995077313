"""The review use case: decisions, bulk, rollback and figures (``core``).

``queue`` builds every review item and enqueues them (one ``enqueue``).
"""
