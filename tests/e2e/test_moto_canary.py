"""Canary: the local stack's moto patches (crm_hygiene/local/moto_patches.py) were written for and
checked against moto 5.2.5 (../shared/local-aws.md). Upgrading moto must re-check each patch."""

from __future__ import annotations

from importlib.metadata import version


def test_moto_is_the_version_the_patches_were_written_for() -> None:
    assert version("moto") == "5.2.5", "re-check every patch in local/moto_patches.py against the new moto"
