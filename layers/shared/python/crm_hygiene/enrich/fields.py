"""Which fields enrichment fills, where each lives in the source, and when two values say the same.

Logical fields are the canonical fields plus a few that CRMs keep as custom properties
(``time_zone``, ``phone_line_type``, ``linkedin_url``). A logical field is enriched only when the
source can hold it (a column in the export) or when the providers config lists it explicitly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from crm_hygiene.models.fields import CANONICAL_FIELDS, header_key
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.company import company_key
from crm_hygiene.normalize.domain import normalize_domain
from crm_hygiene.types import FieldName, ObjectType
from crm_hygiene.validate.context import CheckContext
from crm_hygiene.validate.fields import normalize_field, normalize_text

ENRICHABLE: dict[ObjectType, tuple[FieldName, ...]] = {
    "contact": ("first_name", "last_name", "email", "phone", "mobile_phone", "company", "job_title", "city",
                "state", "postal_code", "country", "website", "time_zone", "phone_line_type", "linkedin_url"),
    "company": ("name", "domain", "phone", "industry", "employees", "annual_revenue", "city", "state",
                "country", "time_zone", "phone_line_type", "linkedin_url"),
    "deal": (),
}  # fmt: skip
"""Fields enrichment may fill, per object type (never owner, stages, consent, amounts or dates)."""

# Logical fields CRMs keep as custom properties -> header keys of the columns that hold them.
EXTRA_COLUMNS: dict[FieldName, tuple[str, ...]] = {
    "time_zone": ("timezone", "hstimezone", "contacttimezone", "iptimezone", "tz"),
    "phone_line_type": ("phonelinetype", "linetype", "phonetype", "phonenumbertype"),
    "linkedin_url": ("linkedinurl", "linkedin", "linkedinprofile", "linkedinprofileurl",
                     "linkedincompanypage", "personlinkedinurl", "companylinkedinurl"),
}  # fmt: skip
FULL_NAME_COLUMNS = ("fullname", "name", "contactname", "personname")

RELATION_FIELDS: frozenset[FieldName] = frozenset({"reports_to", "reports_to_name"})
"""Not written to a record: they become ``reports_to`` relationship signals."""
JOB_FIELDS: tuple[FieldName, ...] = ("company", "job_title", "email")
"""Contact fields a job change touches: a different value there is a move, proposed for review."""
DECAYING: tuple[FieldName, ...] = ("job_title", "company")
"""Fields that go out of date as people move; past the standard's window they are looked up again."""


@dataclass(frozen=True)
class FieldMap:
    """Where each enrichable logical field lives for one run's records.

    Attributes:
        object_type: The records' type.
        targets: Logical field -> the name a proposal uses: the canonical name, or the export's
            custom column ("Time Zone") for an extra field, or the logical name itself when the
            providers config asked for a field the source has no column for (queue only).
    """

    object_type: ObjectType
    targets: dict[FieldName, str]

    @classmethod
    def build(
        cls,
        object_type: ObjectType,
        present: Iterable[FieldName] | None,
        custom_columns: Iterable[str],
        wanted: Iterable[FieldName] | None = None,
    ) -> FieldMap:
        """Maps the enrichable fields onto a source.

        Args:
            present: Canonical fields the source has (None: all of them, e.g. a CRM API).
            custom_columns: The source's other columns, as headed.
            wanted: Fields to enrich (default: every enrichable field the source can hold).
        """
        canonical = set(CANONICAL_FIELDS[object_type]) if present is None else set(present)
        by_key = {header_key(c): c for c in custom_columns}
        targets: dict[FieldName, str] = {}
        chosen = ENRICHABLE[object_type] if wanted is None else tuple(wanted)
        for name in chosen:
            if name in canonical:
                targets[name] = name
                continue
            column = next((by_key[k] for k in EXTRA_COLUMNS.get(name, ()) if k in by_key), None)
            if column is not None:
                targets[name] = column
            elif wanted is not None and name in ENRICHABLE[object_type]:
                targets[name] = name
        return cls(object_type, targets)

    def value(self, record: Record, name: FieldName) -> str:
        """The record's current raw value of a logical field ("" when blank or absent)."""
        target = self.targets.get(name, name)
        if target in record.fields:
            return record.fields[target]
        return record.custom.get(target, "")


_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]+")
_TITLE_WORDS = {
    "vp": "vice president", "svp": "senior vice president", "evp": "executive vice president",
    "avp": "assistant vice president", "sr": "senior", "snr": "senior", "jr": "junior", "dir": "director",
    "mgr": "manager", "mngr": "manager", "eng": "engineer", "engr": "engineer", "exec": "executive",
    "mktg": "marketing", "mkt": "marketing", "ops": "operations", "biz": "business", "dev": "development",
    "bd": "business development", "hr": "human resources", "acct": "account", "assoc": "associate",
    "asst": "assistant", "ceo": "chief executive officer", "cto": "chief technology officer",
    "cfo": "chief financial officer", "coo": "chief operating officer", "cmo": "chief marketing officer",
    "cro": "chief revenue officer", "cio": "chief information officer", "gm": "general manager",
}  # fmt: skip
_TITLE_STOP = frozenset({"of", "the", "and", "for", "in", "at"})
_LINKEDIN = re.compile(r"(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/(in|company|pub)/([^/?#\s]+)", re.I)


@lru_cache(maxsize=65536)
def title_key(title: str) -> str:
    """A job title's matching key: "VP, Sales" and "Vice President of Sales" have the same key."""
    words = _NON_WORD.sub(" ", title.lower().replace("&", " and ")).split()
    expanded = " ".join(_TITLE_WORDS.get(w, w) for w in words).split()
    return " ".join(sorted({w for w in expanded if w not in _TITLE_STOP}))


@lru_cache(maxsize=65536)
def linkedin_key(url: str) -> str:
    """``linkedin.com/in/<slug>`` (or ``/company/<slug>``) in lower case; "" when not a LinkedIn URL."""
    match = _LINKEDIN.search(url.strip())
    return f"linkedin.com/{match.group(1).lower()}/{match.group(2).lower()}" if match else ""


def registered_domain(raw: str) -> str:
    """The registered domain of a URL, host or email domain ("mail.acme.co.uk" -> "acme.co.uk")."""
    text = raw.rsplit("@", 1)[-1]
    n = normalize_domain(text)
    if n.value is None:
        return ""
    return n.extra.get("registered_domain", n.value)


def fold(text: str) -> str:
    """Lower case without accents or punctuation: "Maëlle  O'Brien" -> "maelle o brien"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NON_WORD.sub(" ", bare)).strip()


def _number(value: str) -> float | None:
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return None


class Values:
    """Cleans values into the standard's format and tells when two values mean the same."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx

    def clean(self, name: FieldName, raw: str, country: str | None = None) -> str | None:
        """``raw`` in the standard's format, or None when it is blank, a placeholder or invalid."""
        if not raw or not raw.strip():
            return None
        if name == "linkedin_url":
            return linkedin_key(raw) or None
        if name in CANONICAL_FIELDS[self.ctx.object_type]:
            n = normalize_field(self.ctx, name, raw, country)
        else:
            n = normalize_text(raw, name)
        return n.value if n.status in ("valid", "fixed") else None

    def key(self, name: FieldName, value: str) -> str:
        """The matching key of a cleaned value."""
        if name in ("company", "name"):
            return company_key(value) or fold(value)
        if name == "job_title":
            return title_key(value)
        if name in ("website", "domain"):
            return registered_domain(value) or value.lower()
        if name in ("first_name", "last_name", "city"):
            return fold(value)
        return _SPACES.sub(" ", value.strip().casefold())

    def same(self, name: FieldName, a: str, b: str) -> bool:
        """Whether two cleaned values say the same (numbers within 15%, company names by key)."""
        if a == b:
            return True
        if name in ("employees", "annual_revenue"):
            x, y = _number(a), _number(b)
            return x is not None and y is not None and abs(x - y) <= 0.15 * max(abs(x), abs(y), 1.0)
        ka, kb = self.key(name, a), self.key(name, b)
        if ka == kb:
            return True
        if name in ("company", "name") and ka and kb:
            # "Acme" and "Acme Holdings" are the same employer; a rename is not a move.
            wa, wb = set(ka.split()), set(kb.split())
            return wa <= wb or wb <= wa
        return False
