"""Adapters: the only code that talks to AWS, CRMs and HTTP services. Each implements a port."""
