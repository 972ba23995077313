"""The derived provider: facts that follow from the record itself and from the CRM's own records.

Match quality says how directly a fact follows (a number's country code: 0.99; its area code's
state: 0.8; a name guessed from an email address: 0.6); whether such a fact is right for the
person (a foreign mobile, a moved number) is the provider's learned reliability per field.

Offline and free, so it is always on. Phone numbers give the country, the state or province (North
American area codes only), the time zone and the line type (phonenumbers' geocoder and time-zone
data, loaded on first use and cached); a business email gives the company website and, through the
CRM's own companies, the company; a full name gives first and last name; a state gives the country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from crm_hygiene.enrich.directory import CrmDirectory, email_domain
from crm_hygiene.enrich.fields import ENRICHABLE, FULL_NAME_COLUMNS, registered_domain
from crm_hygiene.enrich.provider import FieldCandidate, ProviderKind
from crm_hygiene.models.fields import header_key
from crm_hygiene.models.record import Record
from crm_hygiene.normalize.country import country_of_state, normalize_country, normalize_state
from crm_hygiene.normalize.name import NameParts, split_full_name
from crm_hygiene.normalize.phone import _fast_e164, normalize_phone
from crm_hygiene.types import FieldName, ObjectType

_GIVES: dict[ObjectType, frozenset[FieldName]] = {
    "contact": frozenset({"country", "state", "time_zone", "phone_line_type", "website", "company",
                          "first_name", "last_name"}),
    "company": frozenset({"country", "state", "time_zone", "phone_line_type", "name"}),
    "deal": frozenset(),
}  # fmt: skip
_LINE_TYPES = {0: "fixed_line", 1: "mobile", 2: "fixed_line_or_mobile", 3: "toll_free", 4: "premium_rate",
               5: "shared_cost", 6: "voip", 7: "personal_number", 8: "pager", 9: "uan",
               10: "voicemail"}  # fmt: skip
_AREA_CODE_STATES = frozenset({"US", "CA"})  # geographic area codes: the geocoder names a state / province
# Written with a country code: "+44 ...", "0044 ...", "011 44 ..." (possibly after a "Tel:" label).
_INTERNATIONAL = re.compile(r"^\s*(?:[A-Za-z]+\.?\s*:?\s*)?(?:\+|00|011)\s*[1-9]")
_LOCAL_NAME = re.compile(r"^([a-z][a-z'-]+)[._]([a-z][a-z'-]+)$")


@dataclass(frozen=True, slots=True)
class PhoneFacts:
    """What a phone number tells about where its owner is.

    Attributes:
        e164: The number in E.164.
        region: ISO alpha-2 country of the number.
        explicit: Written with its country code (not read in an assumed region).
        subdivision: State / province code from the area code (US, CA), "" otherwise.
        time_zone: The IANA time zone when the number has exactly one, else "".
        line_type: fixed_line, mobile, fixed_line_or_mobile, toll_free, voip, ...
    """

    e164: str
    region: str
    explicit: bool
    subdivision: str
    time_zone: str
    line_type: str


@lru_cache(maxsize=1)
def _phonenumbers() -> tuple[Any, Any, Any]:
    import phonenumbers
    from phonenumbers import geocoder, timezone

    return phonenumbers, geocoder, timezone


@lru_cache(maxsize=65536)
def _number(e164: str) -> Any:
    # The phone normalizer's direct E.164 construction is about half the cost of the general parser.
    return _fast_e164(e164) or _phonenumbers()[0].parse(e164, None)


@lru_cache(maxsize=65536)
def phone_subdivision(e164: str, region: str) -> str:
    """The state / province of a North American number's area code ("" elsewhere or unknown)."""
    if region not in _AREA_CODE_STATES:
        return ""
    state = _phonenumbers()[1].description_for_number(_number(e164), "en").rsplit(",", 1)[-1].strip()
    return (normalize_state(state, region).value or "") if state else ""


@lru_cache(maxsize=65536)
def phone_time_zone(e164: str) -> str:
    """The number's IANA time zone when it has exactly one, else ""."""
    zones = [z for z in _phonenumbers()[2].time_zones_for_number(_number(e164)) if z != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else ""


@lru_cache(maxsize=65536)
def phone_line_type(e164: str) -> str:
    """fixed_line, mobile, fixed_line_or_mobile, toll_free, voip, ... ("" when unknown)."""
    return _LINE_TYPES.get(_phonenumbers()[0].number_type(_number(e164)), "")


def phone_facts(raw: str, region: str | None = None) -> PhoneFacts | None:
    """Every fact about one phone number read in ``region`` (the record's country); None when unusable."""
    core = _phone(raw, region)
    if core is None:
        return None
    e164, number_region, explicit = core
    return PhoneFacts(e164, number_region, explicit, phone_subdivision(e164, number_region),
                      phone_time_zone(e164), phone_line_type(e164))  # fmt: skip


def _phone(raw: str, region: str | None) -> tuple[str, str, bool] | None:
    """(E.164, the number's country, written with its country code); each further fact costs only if asked."""
    n = normalize_phone(raw, region)
    if n.value is None:
        return None
    return n.value.split(";", 1)[0], n.extra.get("region", ""), _INTERNATIONAL.match(raw) is not None


class DerivedProvider:
    """Always-on offline provider (see the module docstring); match quality says how direct the fact is."""

    kind: ProviderKind = "derived"
    remote = False
    cost_per_call = 0.0

    def __init__(
        self,
        directory: CrmDirectory | None = None,
        *,
        name: str = "derived",
        default_region: str | None = None,
        priority: int = 30,
        only: frozenset[FieldName] | None = None,
    ) -> None:
        self.name = name
        self.directory = directory or CrmDirectory()
        self.default_region = default_region
        self.priority = priority
        self._only = only

    def fields_for(self, object_type: ObjectType) -> frozenset[FieldName]:
        gives = _GIVES[object_type] & frozenset(ENRICHABLE[object_type])
        return gives & self._only if self._only is not None else gives

    def can_lookup(self, record: Record) -> bool:
        return record.object_type != "deal"

    def cached(self, record: Record) -> bool:
        return True

    def close(self) -> None:
        pass

    def lookup(self, record: Record, wanted: frozenset[FieldName]) -> list[FieldCandidate]:
        out: list[FieldCandidate] = []
        if wanted & _PHONE_FIELDS:
            self._from_phone(record, wanted, out)
        if "country" in wanted and not any(c.field == "country" for c in out):
            self._country_from_state(record, out)
        if record.object_type == "contact":
            if wanted & {"website", "company"}:
                self._from_email(record, wanted, out)
            if wanted & {"first_name", "last_name"}:
                self._from_name(record, wanted, out)
        elif "name" in wanted:
            self._company_name(record, out)
        return out

    def _candidate(
        self, name: FieldName, value: str, match: str, quality: float, detail: str
    ) -> FieldCandidate:
        return FieldCandidate(name, value, self.name, match, quality, detail=detail)

    def _from_phone(self, record: Record, wanted: frozenset[FieldName], out: list[FieldCandidate]) -> None:
        country = normalize_country(record.get("country")).value if record.get("country") else None
        for column in ("phone", "mobile_phone"):
            raw = record.get(column)
            core = _phone(raw, country or self.default_region) if raw else None
            if core is None:
                continue
            e164, region, explicit = core
            where = f"{column} {e164}"
            if "country" in wanted and explicit:
                out.append(self._candidate("country", region, "phone country code", 0.99, where))
            if (
                "state" in wanted
                and region == (country or region)
                and (state := phone_subdivision(e164, region))
            ):
                out.append(self._candidate("state", state, "phone area code", 0.8, where))
            if "time_zone" in wanted and (zone := phone_time_zone(e164)):
                out.append(self._candidate("time_zone", zone, "phone number", 0.99, where))
            if "phone_line_type" in wanted and column == "phone" and (line := phone_line_type(e164)):
                out.append(self._candidate("phone_line_type", line, "phone number", 0.99, where))
            return  # the first usable number speaks for the record

    def _country_from_state(self, record: Record, out: list[FieldCandidate]) -> None:
        state = record.get("state").strip()
        code = country_of_state(state) if state else None
        if code:
            detail = f"state {state!r} exists in {code} only (among US, CA, AU)"
            out.append(self._candidate("country", code, "state", 0.9, detail))

    def _from_email(self, record: Record, wanted: frozenset[FieldName], out: list[FieldCandidate]) -> None:
        domain = email_domain(record.get("email"))
        if not domain:
            return
        ref = self.directory.company(domain)
        if "website" in wanted:
            quality = 0.95 if ref is not None else 0.9
            out.append(
                self._candidate("website", domain, "business email domain", quality, f"email @{domain}")
            )
        if "company" not in wanted:
            return
        if ref is not None:
            detail = f"@{domain} is the domain of company {ref.record_id} in your CRM"
            out.append(self._candidate("company", ref.name, "CRM company by email domain", 0.9, detail))
            return
        common = self.directory.common_name(domain)
        if common is not None and common[1] >= 2 and common[2] >= 0.6:
            name, count, share = common
            detail = f"{count} contacts @{domain} ({share:.0%}) work for {name}"
            out.append(self._candidate("company", name, "coworkers' company", 0.5 + 0.4 * share, detail))

    def _from_name(self, record: Record, wanted: frozenset[FieldName], out: list[FieldCandidate]) -> None:
        full, match = _full_name(record)
        if full:
            parts = split_full_name(full)
            quality = 0.9
        else:
            local = record.get("email").split("@", 1)[0].lower() if "@" in record.get("email") else ""
            hit = _LOCAL_NAME.match(local)
            if hit is None or email_domain(record.get("email")) == "":
                return  # "j.smith@gmail.com" says little; a business "jane.doe@" says more
            parts = NameParts(first=hit.group(1), last=hit.group(2))  # cased by the name normalizer later
            match, quality = "email local part", 0.6
        detail = f"{match}: {full or record.get('email').split('@', 1)[0]!r}"
        if "first_name" in wanted and parts.first:
            out.append(self._candidate("first_name", parts.first, match, quality, detail))
        if "last_name" in wanted and parts.last:
            out.append(self._candidate("last_name", parts.last, match, quality, detail))

    def _company_name(self, record: Record, out: list[FieldCandidate]) -> None:
        domain = registered_domain(record.get("domain"))
        common = self.directory.common_name(domain) if domain else None
        if common is None:
            return
        name, count, share = common
        quality = min(0.9, 0.5 + 0.4 * share) if count >= 2 else 0.6
        detail = f"{count} contacts @{domain} ({share:.0%}) work for {name}"
        out.append(self._candidate("name", name, "contacts' company by domain", quality, detail))


_PHONE_FIELDS = frozenset({"country", "state", "time_zone", "phone_line_type"})


def _full_name(record: Record) -> tuple[str, str]:
    """(full name, where it came from): a "Full Name" column, or a first name holding both names."""
    for column, value in record.custom.items():
        if header_key(column) in FULL_NAME_COLUMNS and value.strip():
            return value.strip(), f"{column} column"
    first, last = record.get("first_name").strip(), record.get("last_name").strip()
    if " " in first and not last:
        return first, "first name holds the full name"
    return "", ""
