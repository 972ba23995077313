"""A CRM-shaped contact export with known duplicates, for the deduplication benchmark.

    .venv/bin/python bench/dedup_data.py --contacts 100000 --seed 11 --out bench/data/dedup-100000

Writes ``contacts.csv`` (HubSpot column names) and ``truth.csv`` (``record_id, entity_id``: rows with
the same entity are the same person). What makes it CRM-shaped rather than census-shaped:

* People work at companies whose sizes follow a power law, so a few employers hold thousands of
  contacts at 1M rows; names follow Zipf-like frequencies (a long synthetic surname tail behind
  the common ones), so namesakes multiply as the CRM grows, as they do in real CRMs.
* Corporate addresses follow each company's own pattern (``first.last``, ``flast``, ...), numbered
  when two colleagues would collide, as mail admins do; some people use free mail.
* Many contacts carry their company's main line as "phone" (shared by colleagues).
* Hard negatives are injected on purpose: colleagues sharing a surname at one company, namesakes at
  different companies, family members sharing a home phone and postcode.
* Duplicates are the same person entered again (form fill, list import, a rep typing by hand), with
  1-4 of: case and white space, typos, nicknames, initials, swapped first/last name, a middle
  initial, the full name in one field, email variants (+tags, dots, the personal address instead of
  the work one, missing), phone formats / the other number / missing, company suffix variants,
  missing company or location, a new job title, and job changes (new employer and work email,
  same mobile) as hard positives.

The nickname table here is written by hand and is independent of the ``nicknames`` package the
matcher uses, so the benchmark does not grade the matcher on its own dictionary.
"""

from __future__ import annotations

import argparse
import csv
import random
import string
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from crm_hygiene.local import sample_data as vocab

HEADERS = (
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number", "Company Name",
    "Job Title", "City", "State/Region", "Postal Code", "Country/Region", "Website URL", "Contact owner",
    "Create Date",
)  # fmt: skip

# Common English nicknames, written for this benchmark (formal -> nicknames).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"), "William": ("Bill", "Will", "Billy", "Liam"),
    "Elizabeth": ("Liz", "Beth", "Betty", "Eliza", "Lisa"), "Katherine": ("Kate", "Katie", "Kathy"),
    "Catherine": ("Cathy", "Cat", "Kate"), "Michael": ("Mike", "Mikey"), "James": ("Jim", "Jimmy", "Jamie"),
    "Jennifer": ("Jen", "Jenny"), "Alexander": ("Alex", "Xander", "Sasha"), "Daniel": ("Dan", "Danny"),
    "Thomas": ("Tom", "Tommy"), "Christopher": ("Chris", "Topher"), "Margaret": ("Maggie", "Peggy", "Meg"),
    "Richard": ("Rick", "Dick", "Rich", "Richie"), "Joseph": ("Joe", "Joey"), "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben", "Benny"), "Matthew": ("Matt",), "Nicholas": ("Nick", "Nicky"), "Jonathan": ("Jon",),
    "Patricia": ("Pat", "Trish", "Patty"), "Rebecca": ("Becky", "Becca"), "Susan": ("Sue", "Susie"),
    "Andrew": ("Andy", "Drew"), "Anthony": ("Tony",), "Edward": ("Ed", "Ted", "Eddie", "Ned"),
    "Steven": ("Steve",), "Stephen": ("Steve",), "Timothy": ("Tim", "Timmy"), "Zachary": ("Zach", "Zack"),
    "Victoria": ("Vicky", "Tori"), "Abigail": ("Abby",), "David": ("Dave", "Davey"),
    "Jeffrey": ("Jeff",), "Gregory": ("Greg",), "Lawrence": ("Larry",), "Ronald": ("Ron", "Ronnie"),
    "Donald": ("Don", "Donnie"), "Kenneth": ("Ken", "Kenny"), "Gerald": ("Jerry", "Gerry"),
    "Francis": ("Frank",), "Raymond": ("Ray",), "Charles": ("Charlie", "Chuck", "Chas"),
    "Henry": ("Hank", "Harry"), "John": ("Jack", "Johnny"), "Deborah": ("Debbie", "Deb"),
    "Cynthia": ("Cindy",), "Sandra": ("Sandy",), "Pamela": ("Pam",), "Barbara": ("Barb", "Babs"),
    "Jessica": ("Jess", "Jessie"), "Kimberly": ("Kim",), "Christine": ("Chris", "Tina"),
    "Jacqueline": ("Jackie",), "Theodore": ("Ted", "Teddy", "Theo"), "Frederick": ("Fred", "Freddie"),
    "Douglas": ("Doug",), "Nathaniel": ("Nate", "Nat"), "Nathan": ("Nate",), "Gabriel": ("Gabe",),
    "Madison": ("Maddie",), "Olivia": ("Liv", "Livvy"), "Isabella": ("Bella", "Izzy"),
    "Alexandra": ("Alex", "Lexi", "Sandra"), "Samantha": ("Sam", "Sammie"), "Daniela": ("Dani",),
    "Michelle": ("Shelly",), "Jonas": ("Joni",), "Maximilian": ("Max",), "Alejandro": ("Alex", "Ale"),
    "Francisco": ("Paco", "Pancho"), "Guillaume": ("Will",), "Wolfgang": ("Wolf",), "Peter": ("Pete",),
    "Philip": ("Phil",), "Phillip": ("Phil",), "Leonard": ("Leo", "Len", "Lenny"), "Walter": ("Walt",),
    "Vincent": ("Vince", "Vinny"), "Eugene": ("Gene",), "Harold": ("Hal", "Harry"), "Albert": ("Al", "Bert"),
    "Allison": ("Allie",), "Amanda": ("Mandy",), "Dorothy": ("Dot", "Dottie"), "Judith": ("Judy",),
    "Kathleen": ("Kathy", "Kate"), "Melissa": ("Mel", "Missy"), "Stephanie": ("Steph",),
    "Valentina": ("Vale",), "Sebastian": ("Basti", "Seb"), "Johannes": ("Hannes", "Jo"),
}  # fmt: skip

_SURNAME_HEADS = (
    "Ab", "Al", "Ar", "Ash", "Bar", "Bel", "Ben", "Bla", "Bra", "Bren", "Bur", "Cal", "Car", "Cha", "Cor",
    "Cra", "Dal", "Dan", "Dar", "Del", "Don", "Dun", "El", "Em", "Far", "Fen", "Fin", "Fos", "Gal", "Gar",
    "Gil", "Gor", "Gra", "Hal", "Har", "Hay", "Hen", "Hol", "Hun", "Kel", "Ken", "Kin", "Kir", "Lan", "Lar",
    "Lin", "Lor", "Mal", "Mar", "Mer", "Mor", "Nor", "Ock", "Pal", "Par", "Pen", "Pres", "Ran", "Red", "Ros",
    "Sal", "San", "Sel", "Sha", "Sto", "Tal", "Tan", "Tor", "Val", "War", "Wes", "Wil", "Win", "Yar",
)  # fmt: skip
_SURNAME_MIDS = ("", "", "", "a", "e", "i", "o", "ro", "li", "ne", "ver", "den", "ham")
_SURNAME_TAILS = (
    "ley", "ton", "son", "man", "field", "ford", "well", "wood", "berg", "stein", "ard", "er", "ing", "ins",
    "ett", "ock", "ridge", "wick", "worth", "dale", "more", "land", "ham", "by", "sky", "ini", "ez", "ov",
    "ski", "ara", "quist", "holm", "hurst", "ville", "ier", "elli",
)  # fmt: skip
_EMAIL_PATTERNS = ("{f}.{l}", "{f}.{l}", "{f}.{l}", "{i}{l}", "{f}", "{f}{l}", "{f}_{l}", "{i}.{l}", "{f}{j}")
_FREE_MAIL = ("gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com")
_TAGS = ("crm", "work", "news", "sales", "1", "linkedin", "events")
_KEYBOARD = {
    "a": "qsz", "b": "vnh", "c": "xvd", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht", "h": "gjy",
    "i": "uok",
    "j": "hku", "k": "jli", "l": "kop", "m": "nj", "n": "bmh", "o": "ipl", "p": "ol", "q": "wa", "r": "etf",
    "s": "adw", "t": "ryg", "u": "yij", "v": "cbf", "w": "qes", "x": "zsc", "y": "tuh", "z": "xa",
}  # fmt: skip
_LONG_FORMS = {
    "Inc.": ("Inc", "Incorporated", ", Inc.", ""), "LLC": ("L.L.C.", "llc", ""), "Corp.": ("Corporation", ""),
    "Co.": ("Company", ""), "Ltd": ("Limited", "Ltd.", ""), "Ltd.": ("Limited", "Ltd", ""),
    "PLC": ("plc", ""),
    "GmbH": ("gmbh", ""), "AG": ("",), "SAS": ("S.A.S.", ""), "SA": ("S.A.", ""), "SARL": ("",),
    "Pty Ltd": ("Pty. Ltd.", ""), "Pty. Ltd.": ("Pty Ltd", ""), "Pvt. Ltd.": ("Private Limited", ""),
    "Ltda.": ("Ltda", ""), "S.A.": ("SA", ""), "S.L.": ("SL", ""), "B.V.": ("BV", ""), "N.V.": ("NV", ""),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    suffix: str
    domain: str
    pattern: str
    main_line: str
    spot: vocab.Spot


@dataclass(frozen=True, slots=True)
class Person:
    entity: int
    first: str
    last: str
    email: str
    phone: str
    mobile: str
    company: str
    title: str
    city: str
    state: str
    postal: str
    country: str
    website: str
    employer: int


class Draws:
    """Weighted picks drawn in bulk: one numpy call per 64k picks instead of one per pick."""

    def __init__(self, rng: np.random.Generator, p: np.ndarray) -> None:
        self.rng, self.p, self.buffer, self.at = rng, p, np.empty(0, dtype=np.int64), 0

    def next(self) -> int:
        if self.at >= len(self.buffer):
            self.buffer, self.at = self.rng.choice(len(self.p), size=65_536, p=self.p), 0
        self.at += 1
        return int(self.buffer[self.at - 1])


def _zipf(count: int, offset: float, power: float) -> np.ndarray:
    weights: np.ndarray = 1.0 / (np.arange(count) + offset) ** power
    shares: np.ndarray = weights / weights.sum()
    return shares


def _fold(text: str) -> str:
    return vocab.ascii_fold(text).replace("-", "")


class World:
    """Names, companies and places of one generated CRM."""

    def __init__(self, rng: random.Random, np_rng: np.random.Generator, contacts: int) -> None:
        self.rng, self.np_rng = rng, np_rng
        self.places = vocab.Places(rng)
        firsts = _unique(
            [n for key in vocab.CULTURES for n in vocab.FIRST_NAMES[key]]
            + sorted(NICKNAMES)
            + _package_first_names()
        )
        real_lasts = _unique([n for key in vocab.CULTURES for n in vocab.LAST_NAMES[key]])
        synthetic = _unique(
            [h + m + t for h in _SURNAME_HEADS for m in _SURNAME_MIDS for t in _SURNAME_TAILS]
        )
        rng.shuffle(synthetic)
        self.firsts = firsts
        self.lasts = real_lasts + [s for s in synthetic if s not in set(real_lasts)]
        # Top first name ≈ 2 % (sum of squared shares 0.004), top surname ≈ 0.5 % (0.00055), the top
        # 1,000 surnames ≈ 45 % of people: close to US census and social-security name frequencies.
        self.first_p = _zipf(len(self.firsts), 10.0, 1.0)
        self.last_p = _zipf(len(self.lasts), 20.0, 0.9)
        self.titles = vocab.JOB_TITLES
        self.companies = self._companies(max(40, contacts // 12))
        self.company_draws = Draws(np_rng, _zipf(len(self.companies), 3.0, 1.05))
        self.first_draws = Draws(np_rng, self.first_p)
        self.used_emails: set[str] = set()

    def _companies(self, count: int) -> list[Company]:
        names = vocab.CompanyNames(self.rng)
        out = []
        for i in range(count):
            core, label, _ = names.name(i)
            spot = self._spot()
            suffix = self.rng.choice(spot.country.legal)
            domain = f"{label}.{self.rng.choice(spot.country.tlds)}"
            pattern = self.rng.choice(_EMAIL_PATTERNS)
            out.append(Company(core, suffix, domain, pattern, spot.fixed.next(), spot))
        return out

    def _spot(self) -> vocab.Spot:
        code = self.rng.choice(self.places.country_bag)
        return self.rng.choice(self.places.spots[code])

    def names(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        first = self.np_rng.choice(len(self.firsts), size=size, p=self.first_p)
        last = self.np_rng.choice(len(self.lasts), size=size, p=self.last_p)
        return first, last

    def work_email(self, first: str, last: str, company: Company) -> str:
        f, l_ = _fold(first), _fold(last)
        local = company.pattern.format(f=f, l=l_, i=f[:1], j=l_[:1])
        return self._unique_email(local, company.domain)

    def free_email(self, first: str, last: str) -> str:
        f, l_ = _fold(first), _fold(last)
        r = self.rng.random()
        local = (
            f"{f}.{l_}" if r < 0.4 else f"{f}{l_}{self.rng.randrange(1, 99)}" if r < 0.8 else f"{f[:1]}{l_}"
        )
        return self._unique_email(local, self.rng.choice(_FREE_MAIL))

    def _unique_email(self, local: str, domain: str) -> str:
        email, n = f"{local}@{domain}", 1
        while email in self.used_emails:  # two people, one address: numbered, as mail admins do
            n += 1
            email = f"{local}{n}@{domain}"
        self.used_emails.add(email)
        return email


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _package_first_names() -> list[str]:
    """Given names from the nicknames package's list (only as a pool of real names)."""
    from importlib import resources

    text = resources.files("nicknames").joinpath("names.csv").read_text(encoding="utf-8")
    names = {line.split(",", 1)[0] for line in text.splitlines()[1:] if line}
    return sorted(n.capitalize() for n in names if n.isalpha() and len(n) >= 3)


class Generator:
    """Draws entities, hard negatives and corrupted duplicates."""

    def __init__(self, contacts: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.world = World(self.rng, np.random.default_rng(seed), contacts)
        self.contacts = contacts
        self.rows: list[Person] = []

    def run(self) -> list[Person]:
        entities = round(self.contacts * 0.92 / 1.065)  # hard negatives add 6.5 %, copies fill ≈ 8 %
        first, last = self.world.names(entities)
        people = [
            self._person(e, self.world.firsts[first[e]], self.world.lasts[last[e]]) for e in range(entities)
        ]
        people = self._hard_negatives(people, entities)
        rows = list(people)
        while len(rows) < self.contacts:
            base = people[self.rng.randrange(len(people))]
            for _ in range(self._copies()):
                rows.append(self._corrupt(base))
        self.rng.shuffle(rows)
        return rows[: self.contacts]

    def _copies(self) -> int:
        r = self.rng.random()
        return 1 if r < 0.8 else 2 if r < 0.95 else 3

    def _company(self) -> int:
        return self.world.company_draws.next()

    def _person(self, entity: int, first: str, last: str, employer: int | None = None) -> Person:
        r, w = self.rng.random, self.world
        employer = self._company() if employer is None else employer
        company = w.companies[employer]
        spot = company.spot if r() < 0.7 else self.rng.choice(w.places.spots[company.spot.country.code])
        email = w.work_email(first, last, company) if r() < 0.82 else w.free_email(first, last)
        roll = r()
        phone = spot.fixed.next() if roll < 0.45 else company.main_line if roll < 0.8 else ""
        mobile = spot.mobile.next() if r() < 0.4 else ""
        website = company.domain if r() < 0.6 else ""
        return Person(
            entity, first, last, email, phone, mobile, f"{company.name} {company.suffix}",
            self.rng.choice(w.titles), spot.city.name, spot.city.state,
            self.rng.choice(spot.postal), spot.country.code, website, employer,
        )  # fmt: skip

    def _hard_negatives(self, people: list[Person], entities: int) -> list[Person]:
        """Colleagues with one surname, namesakes elsewhere, families sharing a phone: new entities."""
        out = list(people)
        n = entities
        for base in people:
            roll = self.rng.random()
            if roll < 0.025:  # a colleague with the same surname at the same company
                first = self._other_first(base.first)
                colleague = self._person(n, first, base.last, base.employer)
                if self.rng.random() < 0.5 and base.phone:
                    colleague = replace(colleague, phone=base.phone)  # the office's main line
                out.append(colleague)
            elif roll < 0.05:  # a namesake at another company
                out.append(self._person(n, base.first, base.last))
            elif roll < 0.065:  # family: same surname, home phone and postcode; own first name and email
                first = self._other_first(base.first)
                member = self._person(n, first, base.last)
                member = replace(
                    member, phone=base.phone or base.mobile, city=base.city, state=base.state,
                    postal=base.postal, country=base.country, email=self.world.free_email(first, base.last),
                )  # fmt: skip
                out.append(member)
            else:
                continue
            n += 1
        return out

    def _other_first(self, first: str) -> str:
        while True:
            other = self.world.firsts[self.world.first_draws.next()]
            if other != first and other not in NICKNAMES.get(first, ()):
                return other

    # --- duplicates ------------------------------------------------------------------------------------

    def _corrupt(self, base: Person) -> Person:
        r = self.rng.random()
        count = 1 if r < 0.3 else 2 if r < 0.7 else 3 if r < 0.92 else 4
        ops = self.rng.sample(_CORRUPTIONS, k=count)
        ops.sort(key=lambda op: op is not Generator.c_job_change)  # a new job first, then the typing
        row = base
        for op in ops:
            row = op(self, row)
        return row

    def _typo(self, text: str) -> str:
        if len(text) < 3:
            return text
        i = self.rng.randrange(1, len(text))
        kind = self.rng.randrange(4)
        ch = text[i].lower()
        if kind == 0 and ch in _KEYBOARD:
            return text[:i] + self.rng.choice(_KEYBOARD[ch]) + text[i + 1 :]
        if kind == 1:
            return text[:i] + text[i + 1 :]
        if kind == 2 and i < len(text) - 1:
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        return text[:i] + self.rng.choice(string.ascii_lowercase) + text[i:]

    def c_case(self, p: Person) -> Person:
        r = self.rng.random()
        if r < 0.35:
            return replace(p, first=p.first.upper(), last=p.last.upper())
        if r < 0.7:
            return replace(p, first=p.first.lower(), last=p.last.lower())
        return replace(p, first=f" {p.first}", last=f"{p.last}  ", company=p.company.upper())

    def c_typo_first(self, p: Person) -> Person:
        return replace(p, first=self._typo(p.first))

    def c_typo_last(self, p: Person) -> Person:
        return replace(p, last=self._typo(p.last))

    def c_nickname(self, p: Person) -> Person:
        nicks = NICKNAMES.get(p.first)
        if not nicks:
            return self.c_typo_first(p)
        return replace(p, first=self.rng.choice(nicks))

    def c_initial(self, p: Person) -> Person:
        return replace(p, first=p.first[:1] + ("." if self.rng.random() < 0.5 else ""))

    def c_swap(self, p: Person) -> Person:
        return replace(p, first=p.last, last=p.first)

    def c_middle(self, p: Person) -> Person:
        return replace(p, first=f"{p.first} {self.rng.choice(string.ascii_uppercase)}.")

    def c_full_in_first(self, p: Person) -> Person:
        return replace(p, first=f"{p.first} {p.last}", last="")

    def c_email(self, p: Person) -> Person:
        local, _, domain = p.email.partition("@")
        r = self.rng.random()
        if r < 0.3:
            return replace(p, email=f"{local}+{self.rng.choice(_TAGS)}@{domain}")
        if r < 0.7:
            return replace(p, email=self.world.free_email(p.first.strip(), p.last.strip()))
        if r < 0.8:
            return replace(p, email=p.email.upper() if self.rng.random() < 0.5 else f" {p.email}")
        if r < 0.9 and "." in local:
            return replace(p, email=f"{local.replace('.', '')}@{domain}")
        return replace(p, email="")

    def _loose(self, number: str, country: str) -> str:
        """The number as people type it, when it is still in E.164 and belongs to ``country``."""
        if not number.startswith("+") or " " in number:
            return number
        nanp = country in vocab.NANP
        if nanp != number.startswith("+1"):
            return number
        region = country if not nanp else "US"
        try:
            return vocab.loose_phone(number, region, self.rng.randrange(5))
        except Exception:  # a number of another country: leave it in E.164
            return number

    def c_phone(self, p: Person) -> Person:
        r = self.rng.random()
        if r < 0.45 and p.phone:
            return replace(p, phone=self._loose(p.phone, p.country))
        if r < 0.6 and p.mobile:
            return replace(p, phone=p.mobile, mobile="")
        if r < 0.8:
            return replace(p, phone="")
        if p.mobile:
            return replace(p, mobile=self._loose(p.mobile, p.country))
        return p

    def c_company(self, p: Person) -> Person:
        name = p.company
        for suffix, variants in _LONG_FORMS.items():
            if name.endswith(" " + suffix):
                core = name[: -len(suffix) - 1]
                variant = self.rng.choice(variants)
                sep = "" if variant.startswith(",") or not variant else " "
                return replace(p, company=f"{core}{sep}{variant}")
        return replace(p, company="" if self.rng.random() < 0.5 else name.lower())

    def c_missing(self, p: Person) -> Person:
        r = self.rng.random()
        if r < 0.4:
            return replace(p, company="", website="")
        if r < 0.7:
            return replace(p, city="", state="", postal="")
        return replace(p, mobile="", title="")

    def c_title(self, p: Person) -> Person:
        return replace(p, title=self.rng.choice(self.world.titles))

    def c_job_change(self, p: Person) -> Person:
        employer = self._company()
        company = self.world.companies[employer]
        first, last = p.first.strip(), p.last.strip()
        email = self.world.work_email(first, last, company) if first and last else p.email
        return replace(
            p, company=f"{company.name} {company.suffix}", email=email, phone=company.main_line,
            website=company.domain, title=self.rng.choice(self.world.titles), employer=employer,
        )  # fmt: skip


_CORRUPTIONS = (
    Generator.c_case, Generator.c_typo_first, Generator.c_typo_last, Generator.c_nickname,
    Generator.c_nickname, Generator.c_initial, Generator.c_swap, Generator.c_middle,
    Generator.c_full_in_first, Generator.c_email, Generator.c_email, Generator.c_phone, Generator.c_phone,
    Generator.c_company, Generator.c_missing, Generator.c_title, Generator.c_job_change,
)  # fmt: skip


def generate(out_dir: Path, contacts: int, seed: int = 11) -> tuple[Path, Path]:
    """Writes ``contacts.csv`` and ``truth.csv`` into ``out_dir``; returns their paths."""
    rows = Generator(contacts, seed).run()
    out_dir.mkdir(parents=True, exist_ok=True)
    data, truth = out_dir / "contacts.csv", out_dir / "truth.csv"
    rng = random.Random(seed + 1)
    ids = rng.sample(range(10_000_000, 99_999_999), len(rows))
    owners = vocab.OWNERS
    with data.open("w", newline="", encoding="utf-8") as fh, truth.open("w", newline="") as th:
        out, key = csv.writer(fh), csv.writer(th)
        out.writerow(HEADERS)
        key.writerow(("record_id", "entity_id"))
        for rid, p in zip(ids, rows, strict=True):
            created = f"20{rng.randrange(18, 26)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            out.writerow((rid, p.first, p.last, p.email, p.phone, p.mobile, p.company, p.title, p.city,
                          p.state, p.postal, p.country, p.website, rng.choice(owners), created))  # fmt: skip
            key.writerow((rid, p.entity))
    return data, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, required=True)
    options = parser.parse_args()
    data, truth = generate(options.out, options.contacts, options.seed)
    print(f"wrote {data} and {truth}")


if __name__ == "__main__":
    main()
