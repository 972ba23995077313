"""The composition root: builds ports from typed settings for the handlers (``aws``).

Handlers import this; services and the domain never do.
"""
