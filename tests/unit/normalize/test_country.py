"""Countries to ISO 3166-1 alpha-2, states to ISO 3166-2 codes without the country prefix."""

from __future__ import annotations

import pytest

from crm_hygiene.normalize.country import country_of_state, fold, normalize_country, normalize_state

# (description, input, args, expected status, expected value)
COUNTRIES: list[tuple[str, str, dict[str, str], str, str | None]] = [
    # --- codes ----------------------------------------------------------------------------------------
    ("alpha-2", "US", {}, "valid", "US"),
    ("alpha-2 in lower case", "us", {}, "fixed", "US"),
    ("alpha-2 capitalized", "Uk", {}, "fixed", "GB"),
    ("alpha-2 with spaces", "  us  ", {}, "fixed", "US"),
    ("alpha-3", "DEU", {}, "fixed", "DE"),
    ("alpha-3 in lower case", "fra", {}, "fixed", "FR"),
    ("alpha-3 Canada", "CAN", {}, "fixed", "CA"),
    ("USA", "USA", {}, "fixed", "US"),
    ("dotted U.S.A.", "U.S.A.", {}, "fixed", "US"),
    ("dotted U.S.", "U.S.", {}, "fixed", "US"),
    ("dotted U.K.", "U.K.", {}, "fixed", "GB"),
    ("UAE", "UAE", {}, "fixed", "AE"),
    ("KSA", "KSA", {}, "fixed", "SA"),
    ("Namibia's code is not N/A", "NA", {}, "valid", "NA"),
    ("Namibia's code in lower case", "na", {}, "fixed", "NA"),
    ("Norway's code is not 'no'", "NO", {}, "valid", "NO"),
    ("Kosovo's user-assigned code", "XK", {}, "valid", "XK"),
    ("India's code", "IN", {}, "valid", "IN"),
    # --- English names -----------------------------------------------------------------------------
    ("United States", "United States", {}, "fixed", "US"),
    ("United States of America, lower case", "united states of america", {}, "fixed", "US"),
    ("UNITED STATES", "UNITED STATES", {}, "fixed", "US"),
    ("United Kingdom", "United Kingdom", {}, "fixed", "GB"),
    ("Great Britain", "Great Britain", {}, "fixed", "GB"),
    ("Germany", "Germany", {}, "fixed", "DE"),
    ("The Netherlands", "The Netherlands", {}, "fixed", "NL"),
    ("The Gambia", "The Gambia", {}, "fixed", "GM"),
    ("South Korea", "South Korea", {}, "fixed", "KR"),
    ("Korea, Republic of", "Korea, Republic of", {}, "fixed", "KR"),
    ("Republic of Korea", "Republic of Korea", {}, "fixed", "KR"),
    ("North Korea", "North Korea", {}, "fixed", "KP"),
    ("Russia", "Russia", {}, "fixed", "RU"),
    ("Czechia", "Czechia", {}, "fixed", "CZ"),
    ("Czech Republic", "Czech Republic", {}, "fixed", "CZ"),
    ("Türkiye", "Türkiye", {}, "fixed", "TR"),
    ("Côte d'Ivoire", "Côte d'Ivoire", {}, "fixed", "CI"),
    ("Ivory Coast", "Ivory Coast", {}, "fixed", "CI"),
    ("Congo is the Republic of the Congo", "Congo", {}, "fixed", "CG"),
    ("Democratic Republic of the Congo", "Democratic Republic of the Congo", {}, "fixed", "CD"),
    ("DRC", "DRC", {}, "fixed", "CD"),
    ("Holy See", "Holy See", {}, "fixed", "VA"),
    ("U.S. Virgin Islands", "U.S. Virgin Islands", {}, "fixed", "VI"),
    ("British Virgin Islands", "British Virgin Islands", {}, "fixed", "VG"),
    ("Virgin Islands alone is ambiguous", "Virgin Islands", {}, "invalid", None),
    ("Kosovo", "Kosovo", {}, "fixed", "XK"),
    ("St. Lucia", "St. Lucia", {}, "fixed", "LC"),
    ("Georgia the country", "Georgia", {}, "fixed", "GE"),
    ("Niger is not Nigeria", "Niger", {}, "fixed", "NE"),
    ("Nigeria", "Nigeria", {}, "fixed", "NG"),
    # --- local names ---------------------------------------------------------------------------------
    ("Deutschland", "Deutschland", {}, "fixed", "DE"),
    ("España", "España", {}, "fixed", "ES"),
    ("Espana without the tilde", "Espana", {}, "fixed", "ES"),
    ("Brasil", "Brasil", {}, "fixed", "BR"),
    ("Nederland", "Nederland", {}, "fixed", "NL"),
    ("México", "México", {}, "fixed", "MX"),
    ("Österreich", "Österreich", {}, "fixed", "AT"),
    ("Schweiz", "Schweiz", {}, "fixed", "CH"),
    ("Suisse", "Suisse", {}, "fixed", "CH"),
    ("Sverige", "Sverige", {}, "fixed", "SE"),
    ("Italia", "Italia", {}, "fixed", "IT"),
    ("Éire", "Éire", {}, "fixed", "IE"),
    # --- loose names (lower confidence) -------------------------------------------------------------
    ("England", "England", {}, "fixed", "GB"),
    ("Scotland", "Scotland", {}, "fixed", "GB"),
    ("Northern Ireland", "Northern Ireland", {}, "fixed", "GB"),
    ("America", "America", {}, "fixed", "US"),
    ("Holland", "Holland", {}, "fixed", "NL"),
    ("Korea", "Korea", {}, "fixed", "KR"),
    # --- misspellings (fuzzy, lower confidence) --------------------------------------------------------
    ("Germny", "Germny", {}, "fixed", "DE"),
    ("Untied States", "Untied States", {}, "fixed", "US"),
    ("Fance", "Fance", {}, "fixed", "FR"),
    ("Swtizerland", "Swtizerland", {}, "fixed", "CH"),
    # --- not countries -----------------------------------------------------------------------------
    ("unassigned code", "ZZ", {}, "invalid", None),
    ("transposition too far for the fuzzy match", "Frnace", {}, "invalid", None),
    ("fiction", "Atlantis", {}, "invalid", None),
    ("a US state", "Virginia", {}, "invalid", None),
    ("New Mexico is not Mexico", "New Mexico", {}, "invalid", None),
    ("a region", "EMEA", {}, "invalid", None),
    ("a continent", "Europe", {}, "invalid", None),
    ("the EU", "EU", {}, "invalid", None),
    ("digits", "123", {}, "invalid", None),
    ("non-Latin script", "日本", {}, "invalid", None),
    # --- placeholders ----------------------------------------------------------------------------------
    ("n/a", "n/a", {}, "placeholder", None),
    ("TBD", "TBD", {}, "placeholder", None),
    ("dash", "-", {}, "placeholder", None),
    ("XX", "XX", {}, "placeholder", None),
    ("unknown", "Unknown", {}, "placeholder", None),
    ("empty", "", {}, "empty", None),
    ("white space only", "   ", {}, "empty", None),
]  # fmt: skip

STATES: list[tuple[str, str, dict[str, str | None], str, str | None]] = [
    # --- US -------------------------------------------------------------------------------------------
    ("US code", "CA", {"country": "US"}, "valid", "CA"),
    ("US code in lower case", "ca", {"country": "US"}, "fixed", "CA"),
    ("US code with spaces", " CA ", {"country": "US"}, "fixed", "CA"),
    ("US name", "California", {"country": "US"}, "fixed", "CA"),
    ("US name in caps", "CALIFORNIA", {"country": "US"}, "fixed", "CA"),
    ("AP Calif.", "Calif.", {"country": "US"}, "fixed", "CA"),
    ("AP N.Y.", "N.Y.", {"country": "US"}, "fixed", "NY"),
    ("AP Wash.", "Wash.", {"country": "US"}, "fixed", "WA"),
    ("AP Mass.", "Mass.", {"country": "US"}, "fixed", "MA"),
    ("AP Fla without a dot", "Fla", {"country": "US"}, "fixed", "FL"),
    ("AP W. Va.", "W. Va.", {"country": "US"}, "fixed", "WV"),
    ("AP W.Va.", "W.Va.", {"country": "US"}, "fixed", "WV"),
    ("Washington is the state", "Washington", {"country": "US"}, "fixed", "WA"),
    ("District of Columbia", "District of Columbia", {"country": "US"}, "fixed", "DC"),
    ("Washington, D.C.", "Washington, D.C.", {"country": "US"}, "fixed", "DC"),
    ("D.C.", "D.C.", {"country": "US"}, "fixed", "DC"),
    ("Puerto Rico", "Puerto Rico", {"country": "US"}, "fixed", "PR"),
    ("record country in lower case", "Texas", {"country": "us"}, "fixed", "TX"),
    ("not a US state", "Atlantis", {"country": "US"}, "invalid", None),
    ("a Canadian province in the US", "Ontario", {"country": "US"}, "invalid", None),
    ("NA is not a US state", "NA", {"country": "US"}, "invalid", None),
    ("placeholder", "n/a", {"country": "US"}, "placeholder", None),
    ("XX", "XX", {"country": "US"}, "placeholder", None),
    # --- Canada ---------------------------------------------------------------------------------------
    ("Ontario", "Ontario", {"country": "CA"}, "fixed", "ON"),
    ("Ont.", "Ont.", {"country": "CA"}, "fixed", "ON"),
    ("Québec with the accent", "Québec", {"country": "CA"}, "fixed", "QC"),
    ("Quebec without it", "Quebec", {"country": "CA"}, "fixed", "QC"),
    ("old code PQ", "PQ", {"country": "CA"}, "fixed", "QC"),
    ("B.C.", "B.C.", {"country": "CA"}, "fixed", "BC"),
    ("Alta.", "Alta.", {"country": "CA"}, "fixed", "AB"),
    ("Sask.", "Sask.", {"country": "CA"}, "fixed", "SK"),
    ("Newfoundland", "Newfoundland", {"country": "CA"}, "fixed", "NL"),
    ("a US state in Canada", "Texas", {"country": "CA"}, "invalid", None),
    # --- Australia, India, Brazil, Mexico (strict) ------------------------------------------------------
    ("NSW", "NSW", {"country": "AU"}, "valid", "NSW"),
    ("New South Wales", "New South Wales", {"country": "AU"}, "fixed", "NSW"),
    ("Qld", "Qld", {"country": "AU"}, "fixed", "QLD"),
    ("WA in Australia", "WA", {"country": "AU"}, "valid", "WA"),
    ("Western Australia", "Western Australia", {"country": "AU"}, "fixed", "WA"),
    ("Maharashtra", "Maharashtra", {"country": "IN"}, "fixed", "MH"),
    ("Bombay", "Bombay", {"country": "IN"}, "fixed", "MH"),
    ("New Delhi", "New Delhi", {"country": "IN"}, "fixed", "DL"),
    ("Tamil Nadu", "Tamil Nadu", {"country": "IN"}, "fixed", "TN"),
    ("São Paulo", "São Paulo", {"country": "BR"}, "fixed", "SP"),
    ("Sao Paulo", "Sao Paulo", {"country": "BR"}, "fixed", "SP"),
    ("RJ", "RJ", {"country": "BR"}, "valid", "RJ"),
    ("Jalisco", "Jalisco", {"country": "MX"}, "fixed", "JAL"),
    ("CDMX", "CDMX", {"country": "MX"}, "fixed", "CMX"),
    ("Ciudad de México", "Ciudad de México", {"country": "MX"}, "fixed", "CMX"),
    # --- Germany and others with coded regions (not strict) --------------------------------------------
    ("Bayern", "Bayern", {"country": "DE"}, "fixed", "BY"),
    ("Bavaria", "Bavaria", {"country": "DE"}, "fixed", "BY"),
    ("Nordrhein-Westfalen", "Nordrhein-Westfalen", {"country": "DE"}, "fixed", "NW"),
    ("NRW", "NRW", {"country": "DE"}, "fixed", "NW"),
    ("Baden-Württemberg", "Baden-Württemberg", {"country": "DE"}, "fixed", "BW"),
    ("unknown German region kept", "Allgäu", {"country": "DE"}, "valid", "Allgäu"),
    ("Zürich", "Zürich", {"country": "CH"}, "fixed", "ZH"),
    ("Tokyo", "Tokyo", {"country": "JP"}, "fixed", "13"),
    # --- countries whose regions are kept as typed ---------------------------------------------------
    ("GB London", "London", {"country": "GB"}, "valid", "London"),
    ("GB Greater London", "Greater London", {"country": "GB"}, "valid", "Greater London"),
    ("GB with spaces", " London ", {"country": "GB"}, "fixed", "London"),
    ("FR Île-de-France", "Île-de-France", {"country": "FR"}, "valid", "Île-de-France"),
    ("unknown country", "CA", {"country": "ZZ"}, "valid", "CA"),
    # --- no country on the record ----------------------------------------------------------------------
    ("code of one country", "CA", {"country": None}, "valid", "CA"),
    ("ambiguous code, same either way", "WA", {"country": None}, "valid", "WA"),
    ("ambiguous code in lower case", "wa", {"country": None}, "fixed", "WA"),
    ("NT: Canada or Australia", "NT", {"country": None}, "valid", "NT"),
    ("unique name", "California", {"country": None}, "fixed", "CA"),
    ("unique Canadian name", "Ontario", {"country": None}, "fixed", "ON"),
    ("unique Australian name", "Victoria", {"country": None}, "fixed", "VIC"),
    ("AP abbreviation", "Calif.", {"country": None}, "fixed", "CA"),
    ("dotted code", "N.Y.", {"country": None}, "fixed", "NY"),
    ("lower-case code", "on", {"country": None}, "fixed", "ON"),
    ("not in US, CA or AU", "Bavaria", {"country": None}, "invalid", None),
    ("a city", "London", {"country": None}, "invalid", None),
    ("not a state", "NA", {"country": None}, "invalid", None),
    ("empty", "", {"country": "US"}, "empty", None),
    ("white space only", "  ", {"country": None}, "empty", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("description", "raw", "args", "status", "value"), COUNTRIES, ids=[c[0] for c in COUNTRIES]
)
def test_normalize_country(
    description: str, raw: str, args: dict[str, str], status: str, value: str | None
) -> None:
    result = normalize_country(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_country(value)
        assert (again.status, again.value) == ("valid", value)


@pytest.mark.parametrize(
    ("description", "raw", "args", "status", "value"), STATES, ids=[c[0] for c in STATES]
)
def test_normalize_state(
    description: str, raw: str, args: dict[str, str | None], status: str, value: str | None
) -> None:
    result = normalize_state(raw, **args)

    assert (result.status, result.value) == (status, value), result.reason
    if value is not None:  # idempotent
        again = normalize_state(value, **args)
        assert (again.status, again.value) == ("valid", value)


def test_loose_and_fuzzy_country_names_are_less_certain() -> None:
    exact = normalize_country("Germany").confidence
    loose = normalize_country("England").confidence
    fuzzy = normalize_country("Germny").confidence

    assert fuzzy < loose < exact < 1.0


def test_a_state_found_without_a_country_is_less_certain_and_names_its_country() -> None:
    with_country = normalize_state("California", "US")
    without = normalize_state("California")

    assert without.value == with_country.value == "CA"
    assert without.confidence < with_country.confidence
    assert without.extra["country"] == "US"
    assert "country" not in normalize_state("WA").extra  # US or AU: no guess


def test_regions_outside_the_strict_countries_are_less_certain() -> None:
    assert normalize_state("Bavaria", "DE").confidence < normalize_state("New South Wales", "AU").confidence


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("CA", "US"),
        ("California", "US"),
        ("Ontario", "CA"),
        ("NSW", "AU"),
        ("WA", None),
        ("NT", None),
        ("zz", None),
    ],
)
def test_country_of_state(raw: str, country: str | None) -> None:
    assert country_of_state(raw) == country


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("Côte d'Ivoire", "cote d ivoire"), ("U.S.A.", "u s a"), ("Baden-Württemberg", "baden wurttemberg"),
     ("Straße", "strasse"), ("  ", ""), ("日本", "")],
)  # fmt: skip
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded
