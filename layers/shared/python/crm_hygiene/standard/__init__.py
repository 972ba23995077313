"""The clean-record standard: what a clean record is, per object type (``DataStandard``)."""

from crm_hygiene.standard.loader import default_standard, load_standard, parse_standard
from crm_hygiene.standard.model import DataStandard, FieldRule, ObjectStandard, PicklistOption

__all__ = [
    "DataStandard",
    "FieldRule",
    "ObjectStandard",
    "PicklistOption",
    "default_standard",
    "load_standard",
    "parse_standard",
]
