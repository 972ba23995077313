"""Consent and contact-permission columns: protected wherever they appear, whatever the standard lists.

A CRM export names these columns in the language of its users ("Do Not Email", "SMS Opt-In",
"Communication preferences", "E-Mail-Abmeldung", "Ne pas contacter", "No contactar", "Não
contactar", "Non contattare", "Niet benaderen", ``hs_email_optout``, ``HasOptedOutOfEmail``). Two
rules, both used by ``ObjectStandard.is_protected`` (the one rule every proposal, survivorship and
auto-merge decision reads):

- **by name**: the column's name, folded (lower case, accents and every non-alphanumeric character
  removed), contains a consent, subscription, opt-in/out, do-not-contact or communication-preference
  stem in English, German, French, Spanish, Portuguese, Italian or Dutch, or is a privacy-law token
  (GDPR, DSGVO, RGPD, LGPD, ...);
- **by value shape**: the column's name mentions a contact channel or permission (e-mail, SMS, call,
  phone, post, marketing, newsletter, ... in those languages) and its values are boolean-like (yes /
  no, true / false, ja / nein, oui / non, sí / no, sim / não, 1 / 0, x, opted in / out, ...): a
  yes/no flag about contacting someone is a permission, whatever it is called.

Pure functions on strings; the stems are data, so adding a language is adding words (and a test).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

# Stems searched in the folded name (see ``fold``). Each is long enough not to occur inside an
# unrelated word of these languages ("baja" is left out: it is inside "trabajador").
CONSENT_STEMS: Final = (
    # English
    "consent", "optin", "optout", "optedin", "optedout", "unsubscri", "subscription", "subscribed",
    "donot", "dontcontact", "dontemail", "dontcall", "nocontact", "nocall", "noemail", "nomail",
    "communicationpref", "contactpref", "emailpref", "marketingpref", "mailingpref", "preferencecent",
    "permission", "legalbasis", "marketable", "marketingcontactstatus", "newsletter", "blocklist",
    "blacklist", "suppressionlist", "robinson",
    # German
    "einwillig", "zustimmung", "abmeld", "abgemeld", "abbestell", "abonn", "nichtkontakt",
    "keinkontakt", "nichtanruf", "nichtanschreiben", "keinewerbung", "werbesperre", "widerspruch",
    "kontaktsperre", "kommunikationsprafer", "kontaktprafer", "werbeeinwillig", "datenschutzeinw",
    # French
    "consentement", "desabonn", "desinscri", "nepascontact", "nepasappel", "nepasenvoy",
    "nepasdemarch", "preferencesdecommunication", "preferencedecommunication", "preferencesdecontact",
    "preferencedecontact", "autorisationdecontact", "refusdecontact", "refusdemarch", "infolettre",
    # Spanish
    "consentimiento", "nocontactar", "nollamar", "noenviar", "debaja", "darsedebaja", "suscripcion",
    "suscrito", "desuscri", "desuscrib", "preferenciasdecomunicacion", "preferenciadecomunicacion",
    "preferenciasdecontacto", "autorizacioncomercial", "boletin",
    # Portuguese
    "consentimento", "naocontat", "naocontact", "naoligar", "naoenviar", "descadastr", "inscricao",
    "desinscr", "preferenciasdecomunicacao", "preferenciadecomunicacao", "permissao",
    # Italian
    "consens", "noncontattare", "nonchiamare", "noninviare", "disiscri", "iscrizione",
    "preferenzedicomunicazione", "preferenzadicomunicazione", "autorizzazionemarketing",
    # Dutch
    "toestemming", "nietbenader", "nietbellen", "nietmailen", "nietcontact", "afmeld", "afgemeld",
    "uitschrijv", "uitgeschreven", "inschrijving", "nieuwsbrief", "communicatievoorkeur",
    "contactvoorkeur", "bezwaarmarketing",
)  # fmt: skip
# Whole words (a name's alphanumeric runs) too short to search as stems.
CONSENT_TOKENS: Final = frozenset(
    {"dnc", "dne", "dnd", "gdpr", "dsgvo", "rgpd", "lgpd", "avg", "ccpa", "casl", "tcpa", "lopd"}
)
# A name mentioning a contact channel or permission (for the value-shape rule).
CONTACT_STEMS: Final = (
    "mail", "sms", "text", "call", "phone", "telefon", "tel", "fax", "post", "contact", "kontakt",
    "contato", "contatto", "marketing", "newsletter", "werb", "promo", "whatsapp", "anruf", "appel",
    "llamad", "ligac", "chiamat", "bellen", "publicid", "publicit", "pubblicit", "reclame", "communic",
    "kommunik", "comunic", "outreach", "canvass", "demarch", "solicit", "contactable", "erreichbar",
    "reachable", "allowed", "erlaubt", "autoris", "autoriz", "permit", "toegestaan",
)  # fmt: skip
BOOLEAN_VALUES: Final = frozenset(
    {
        "true", "false", "yes", "no", "y", "n", "t", "f", "1", "0", "x", "on", "off",
        "checked", "unchecked", "ja", "nein", "wahr", "falsch", "oui", "non", "vrai", "faux", "si",
        "verdadero", "falso", "sim", "nao", "verdadeiro", "vero", "nee", "waar", "onwaar",
        "optedin", "optedout", "optin", "optout", "subscribed", "unsubscribed", "granted", "denied",
        "allowed", "notallowed", "erlaubt", "nichterlaubt",
    }
)  # fmt: skip
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, accents removed ("Préférences" -> "preferences"), ß as ss."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def is_consent_name(name: str) -> bool:
    """Whether a column's name says it holds consent, subscription or contact permission."""
    folded = fold(name)
    squashed = _NON_ALNUM.sub("", folded)
    if any(stem in squashed for stem in CONSENT_STEMS):
        return True
    return any(token in CONSENT_TOKENS for token in _NON_ALNUM.split(folded))


@lru_cache(maxsize=4096)
def mentions_contact(name: str) -> bool:
    """Whether a column's name mentions a contact channel or a permission to contact."""
    squashed = _NON_ALNUM.sub("", fold(name))
    return any(stem in squashed for stem in CONTACT_STEMS)


def is_boolean_like(values: Iterable[str]) -> bool:
    """Every non-blank value is a yes/no in one of the known languages, and at least one is not blank."""
    seen = False
    for value in values:
        key = _NON_ALNUM.sub("", fold(value))
        if not key:
            continue
        if key not in BOOLEAN_VALUES:
            return False
        seen = True
    return seen


def is_permission_column(name: str, values: Iterable[str] = ()) -> bool:
    """Consent by name, or a yes/no column whose name mentions contacting (see the module docstring)."""
    return is_consent_name(name) or (mentions_contact(name) and is_boolean_like(values))
