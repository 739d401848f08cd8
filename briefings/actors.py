"""Which country or organisation a speaker speaks for: the actor gazetteer.

The engine hands over strings (a name, a title, "the Kremlin", "Russia's foreign
minister") and gets back an :class:`~briefings.models.Actor` whose ``evidence`` says how
it was found. Names and codes of countries come from pycountry (and countrynames as a
fallback); everything the packages lack is curated in ``briefings/data/*.toml``:
informal country names, demonyms, organisations, metonyms, institutions, title words and
the office holders whose terms let an article be resolved as of its date.

Pure: the only I/O is reading the package's own data files, once (cached).
"""

from __future__ import annotations

import functools
import logging
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

import countrynames
import pycountry

from briefings.models import Actor

log = logging.getLogger(__name__)

DATA_FILES = (
    "countries",
    "demonyms",
    "organisations",
    "metonyms",
    "institutions",
    "roles",
    "people",
)


class GazetteerDataError(ValueError):
    """A curated data file is malformed; the message names the file and the entry."""


# ---------------------------------------------------------------------------- text keys

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "–": "-", "—": "-"})
_DOTTED = re.compile(r"(?<![\w.])(?:[A-Za-z]\.){2,}")  # U.S. U.K. U.N. E.U. D.C.
_NON_WORD = re.compile(r"[^\w\s]")
_ARTICLES = ("the ", "a ", "an ")


def clean(text: str) -> str:
    """The surface text with apostrophes and dashes unified, dotted abbreviations closed
    up ("U.S." -> "US") and whitespace and outer punctuation trimmed."""
    t = text.translate(_QUOTES)
    t = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), t)
    return " ".join(t.split()).strip(' ,;:!?"()[]{}')


def strip_possessive(text: str) -> str:
    """ "Germany's" -> "Germany", "the Philippines'" -> "the Philippines"."""
    if text.endswith("'s"):
        return text[:-2]
    if text.endswith("s'"):
        return text[:-1]
    return text


def strip_article(text: str, articles: tuple[str, ...] = ("the ",)) -> str:
    """Drop one leading article (case-insensitive)."""
    lower = text.lower()
    for article in articles:
        if lower.startswith(article):
            return text[len(article) :]
    return text


# Letters that carry no combining accent, so NFKD leaves them alone.
_LETTERS = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
    }
)


def fold(text: str) -> str:
    """Accents off and casefolded: "Élysée" -> "elysee", "Løkke" -> "lokke"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def key(text: str) -> str:
    """The lookup key of a name: case, accents, punctuation, a leading "the" and a
    possessive "'s" do not count."""
    t = strip_possessive(clean(text))
    t = fold(t).replace("'", "")
    t = " ".join(_NON_WORD.sub(" ", t).split())
    return t[4:] if t.startswith("the ") else t


def _surface(text: str) -> str:
    """The text as written, minus article and possessive: what case checks look at."""
    return strip_article(strip_possessive(clean(text)))


def _shown(text: str) -> str:
    """The text as an evidence string shows it: as written, whitespace collapsed."""
    return " ".join(text.split())


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


# ---------------------------------------------------------------------------- name tables


@dataclass(frozen=True, slots=True)
class _Entry:
    actor_id: str
    name: str
    caps_only: bool  # "US", "WHO": the pronoun "us" and the word "who" never match
    capitalised: bool  # "Chad", "Turkey": the words "chad" and "turkey" never match


class NameTable:
    """Names of one kind (countries, demonyms, ...) by key, each tied to one actor id."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, _Entry] = {}
        self._written: dict[str, str] = {}  # every name as written -> actor id

    def add(
        self,
        name: str,
        actor_id: str,
        *,
        source: str,
        capitalised: bool = False,
        override: bool = False,
    ) -> None:
        """Add a name; the same name for two actors is an error unless ``override``."""
        k = key(name)
        if not k:
            raise GazetteerDataError(f"{source}: empty {self.kind} name for {actor_id}")
        letters = _letters(strip_article(clean(name)))
        caps_only = len(letters) <= 3 and letters.isupper()
        old = self._entries.get(k)
        if old is not None and old.actor_id != actor_id and not override:
            raise GazetteerDataError(
                f"{source}: {self.kind} {name!r} is listed for both {old.actor_id} and {actor_id}"
            )
        if old is not None and old.actor_id == actor_id:
            caps_only = caps_only and old.caps_only
            capitalised = capitalised or old.capitalised
        self._entries[k] = _Entry(actor_id, name, caps_only, capitalised)
        if old is not None and old.actor_id != actor_id:
            self._written = {n: a for n, a in self._written.items() if key(n) != k}
        self._written[name] = actor_id

    def mark_capitalised(self, name: str) -> None:
        """Require a capital initial for ``name`` (a country that is also a word)."""
        entry = self._entries.get(key(name))
        if entry is not None:
            self._entries[key(name)] = _Entry(entry.actor_id, entry.name, entry.caps_only, True)

    def find(self, text: str) -> _Entry | None:
        """The entry ``text`` names, honouring the case rules; None when there is none."""
        entry = self._entries.get(key(text))
        if entry is None:
            return None
        surface = _letters(_surface(text))
        if entry.caps_only and not surface.isupper():
            return None
        if entry.capitalised and not surface[:1].isupper():
            return None
        return entry

    def __contains__(self, text: str) -> bool:
        return self.find(text) is not None

    def items(self) -> Iterator[tuple[str, str]]:
        """(name as written in the data, actor id) for every name."""
        yield from self._written.items()


# ---------------------------------------------------------------------------- people


@dataclass(frozen=True, slots=True)
class Term:
    """One office held: ``role`` of ``actor_id`` from ``start`` to ``end`` (None: incumbent)."""

    actor_id: str
    role: str
    start: date
    end: date | None
    approx: bool = False

    def covers(self, when: date) -> bool:
        return self.start <= when and (self.end is None or when <= self.end)


@dataclass(slots=True)
class Person:
    """An office holder from the curated facts."""

    name: str
    surnames: set[str] = field(default_factory=set)
    akas: set[str] = field(default_factory=set)
    terms: list[Term] = field(default_factory=list)

    def term_at(self, when: date | None) -> tuple[Term, str]:
        """The term that speaks for ``when`` and the role to report for it."""
        ordered = sorted(self.terms, key=lambda t: t.start)
        if when is None:
            return ordered[-1], ordered[-1].role
        covering = [t for t in ordered if t.covers(when)]
        if covering:
            return covering[-1], covering[-1].role
        past = [t for t in ordered if t.end is not None and t.end < when]
        if past:
            return past[-1], f"former {past[-1].role}"
        return ordered[0], ""

    def in_office(self, when: date) -> bool:
        return any(t.covers(when) for t in self.terms)


_PARTICLES = frozenset(
    [
        "von",
        "van",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "das",
        "du",
        "la",
        "le",
        "ten",
        "ter",
        "bin",
        "al",
        "el",
        "zu",
        "af",
    ]
)


def _default_surname(name: str, family_first: bool) -> str:
    """The surname a person is called by alone: the last word with its particles
    ("von der Leyen"), or the first word for family-name-first names ("Xi")."""
    words = name.split()
    if family_first:
        return words[0]
    i = len(words) - 1
    while i > 1 and words[i - 1].lower() in _PARTICLES:
        i -= 1
    return " ".join(words[i:])


def _name_variants(name: str) -> set[str]:
    """Full-name keys of a person: as written, without middle initials, and first + last."""
    words = name.split()
    variants = {name}
    no_initials = [w for w in words if len(w.rstrip(".")) > 1]
    if len(no_initials) >= 2:
        variants.add(" ".join(no_initials))
    return variants


class PeopleIndex:
    """Office holders by full name and by surname."""

    def __init__(self, ambiguous: Iterable[str]) -> None:
        self.people: dict[str, Person] = {}
        self.by_name: dict[str, list[Person]] = {}
        self.by_surname: dict[str, list[Person]] = {}
        self.ambiguous = {key(s) for s in ambiguous}

    def add_term(
        self,
        name: str,
        term: Term,
        *,
        surnames: Iterable[str],
        akas: Iterable[str],
    ) -> None:
        person = self.people.setdefault(key(name), Person(name))
        person.terms.append(term)
        person.surnames.update(surnames)
        person.akas.update(akas)

    def build(self) -> None:
        """Index every person once all terms are in."""
        for person in self.people.values():
            for variant in _name_variants(person.name) | person.akas:
                bucket = self.by_name.setdefault(key(variant), [])
                if person not in bucket:
                    bucket.append(person)
            for surname in person.surnames:
                bucket = self.by_surname.setdefault(key(surname), [])
                if person not in bucket:
                    bucket.append(person)

    def find(self, name: str, when: date | None) -> Person | None:
        """The one person ``name`` means as of ``when``; None when unknown or ambiguous.

        A full name matches in or out of office (the date only separates namesakes); a
        bare surname matches only someone in office on ``when`` (or, without a date, the
        one person bearing it), and never a surname listed as ambiguous.
        """
        k = key(name)
        candidates = self.by_name.get(k)
        by_surname = candidates is None
        if candidates is None:
            words = _surface(name).split()
            if k in self.ambiguous or not words or not words[-1][:1].isupper():
                return None
            candidates = self.by_surname.get(k)
        if not candidates:
            return None
        if when is not None and (by_surname or len(candidates) > 1):
            candidates = [p for p in candidates if p.in_office(when)]
        return candidates[0] if len(candidates) == 1 else None


# ---------------------------------------------------------------------------- the data


@dataclass(slots=True)
class GazetteerData:
    """Everything read from the packages and data files; built once and shared."""

    actors: dict[str, Actor]
    countries: NameTable
    demonyms: NameTable
    organisations: NameTable
    metonyms: NameTable
    institutions: NameTable
    body_heads: frozenset[str]
    titles: dict[str, list[str]]
    heads: frozenset[str]
    hosted: frozenset[str]
    abbreviations: dict[str, str]
    honorifics: frozenset[str]
    keep_modifiers: tuple[str, ...]
    drop_modifiers: tuple[str, ...]
    people: PeopleIndex


def read_documents() -> dict[str, dict[str, Any]]:
    """The parsed data files of the package, by file stem."""
    folder = resources.files("briefings").joinpath("data")
    docs: dict[str, dict[str, Any]] = {}
    for stem in DATA_FILES:
        text = folder.joinpath(f"{stem}.toml").read_text(encoding="utf-8")
        try:
            docs[stem] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise GazetteerDataError(f"{stem}.toml: {exc}") from exc
    return docs


def _strings(value: Any, where: str) -> list[str]:
    """A list of non-empty strings, or a clear error naming ``where``."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise GazetteerDataError(f"{where}: expected a list of non-empty strings, got {value!r}")
    return list(value)


def _table(doc: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    value = doc.get(name, {})
    if not isinstance(value, Mapping):
        raise GazetteerDataError(f"{where}: [{name}] must be a table")
    return value


def _country_actors(countries_doc: Mapping[str, Any]) -> dict[str, Actor]:
    display = _table(countries_doc, "display", "countries.toml")
    extra = _table(countries_doc, "extra", "countries.toml")
    actors: dict[str, Actor] = {}
    for country in pycountry.countries:
        code = str(country.alpha_2)
        name = getattr(country, "common_name", None) or str(country.name)
        actors[code] = Actor(code, str(display.get(code, name)), "", "country")
    for code, name in extra.items():
        if not re.fullmatch(r"[A-Z]{2}", code) or not isinstance(name, str):
            raise GazetteerDataError(f"countries.toml [extra]: bad code or name {code!r}")
        actors[code] = Actor(code, name, "", "country")
    for code in display:
        if code not in actors:
            raise GazetteerDataError(f"countries.toml [display]: unknown country code {code!r}")
    return actors


def _check_id(actor_id: str, actors: Mapping[str, Actor], where: str) -> None:
    if actor_id not in actors:
        raise GazetteerDataError(f"{where}: unknown actor id {actor_id!r}")


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    raise GazetteerDataError(f"{where}: expected a date (YYYY-MM-DD), got {value!r}")


_TERM_KEYS = frozenset({"name", "from", "to", "approx", "surname", "aka", "role"})


def _load_people(doc: Mapping[str, Any], actors: Mapping[str, Actor]) -> PeopleIndex:
    index = PeopleIndex(_strings(doc.get("ambiguous_surnames", []), "people.toml"))
    for actor_id, section in doc.items():
        if actor_id.islower():
            continue  # settings such as ambiguous_surnames
        where = f"people.toml [{actor_id}]"
        _check_id(actor_id, actors, where)
        if not isinstance(section, Mapping):
            raise GazetteerDataError(f"{where}: must be a table")
        family_first = bool(section.get("family_name_first", False))
        for role, entries in section.items():
            if role == "family_name_first":
                continue
            if not isinstance(entries, list):
                raise GazetteerDataError(f"{where} {role}: expected a list of office holders")
            for entry in entries:
                _load_term(index, entry, actor_id, role, family_first, f"{where} {role}")
    index.build()
    return index


def _load_term(
    index: PeopleIndex, entry: Any, actor_id: str, role: str, family_first: bool, where: str
) -> None:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise GazetteerDataError(f"{where}: each holder needs a name, got {entry!r}")
    name = str(entry["name"])
    where = f"{where} {name!r}"
    unknown = set(entry) - _TERM_KEYS
    if unknown:
        raise GazetteerDataError(f"{where}: unknown field(s) {sorted(unknown)}")
    start = _date(entry.get("from"), where)
    end = _date(entry["to"], where) if "to" in entry else None
    if not date(1900, 1, 1) <= start <= date(2100, 1, 1):
        raise GazetteerDataError(f"{where}: start {start} out of range")
    if end is not None and end < start:
        raise GazetteerDataError(f"{where}: ends ({end}) before it starts ({start})")
    approx = entry.get("approx", False)
    if not isinstance(approx, bool):
        raise GazetteerDataError(f"{where}: approx must be true or false")
    surnames = _strings(entry.get("surname", _default_surname(name, family_first)), where)
    akas = _strings(entry.get("aka", []), where)
    term_role = str(entry.get("role", role))
    index.add_term(
        name, Term(actor_id, term_role, start, end, approx), surnames=surnames, akas=akas
    )


def build_data(docs: Mapping[str, Mapping[str, Any]]) -> GazetteerData:
    """Check and index the parsed data files; raises GazetteerDataError on bad entries."""
    countries_doc = docs["countries"]
    actors = _country_actors(countries_doc)
    country_codes = set(actors)

    organisations = NameTable("organisation")
    for org_id, spec in docs["organisations"].items():
        where = f"organisations.toml [{org_id}]"
        if not re.fullmatch(r"[A-Z][A-Z0-9]{1,15}", org_id) or org_id in country_codes:
            raise GazetteerDataError(f"{where}: ids are upper case and no country code")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
            raise GazetteerDataError(f"{where}: needs a name")
        actors[org_id] = Actor(org_id, str(spec["name"]), "", "organisation")
        for name in [spec["name"], org_id, *_strings(spec.get("names", []), where)]:
            organisations.add(name, org_id, source=where)

    countries = NameTable("country")
    for code in sorted(country_codes):
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            continue
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                countries.add(str(value), code, source="pycountry", override=True)
    alpha3_words = set(
        _strings(
            _table(countries_doc, "alpha3_words", "countries.toml").get("codes", []),
            "countries.toml [alpha3_words]",
        )
    )
    for code in sorted(country_codes):
        actor = actors[code]
        countries.add(actor.name, code, source="countries.toml [display]", override=True)
        countries.add(code, code, source="ISO 3166-1", override=True)
        country = pycountry.countries.get(alpha_2=code)
        if country is not None and str(country.alpha_3) not in alpha3_words:
            countries.add(str(country.alpha_3), code, source="ISO 3166-1", override=True)
    for code, names in _table(countries_doc, "names", "countries.toml").items():
        where = f"countries.toml [names] {code}"
        _check_id(code, actors, where)
        for name in _strings(names, where):
            countries.add(name, code, source=where, override=True)
    capitalised = _table(countries_doc, "capitalised", "countries.toml").get("names", [])
    for name in _strings(capitalised, "countries.toml [capitalised]"):
        countries.mark_capitalised(name)

    demonyms = NameTable("demonym")
    for code, forms in _table(docs["demonyms"], "demonyms", "demonyms.toml").items():
        where = f"demonyms.toml {code}"
        _check_id(code, actors, where)
        if actors[code].kind != "country":
            raise GazetteerDataError(f"{where}: demonyms belong to countries")
        for form in _strings(forms, where):
            demonyms.add(form, code, source=where)

    metonyms = _actor_names(docs["metonyms"], "metonyms", "metonym", actors)
    institutions = _actor_names(docs["institutions"], "named", "institution", actors)
    bodies = _table(docs["institutions"], "bodies", "institutions.toml")
    body_nouns = _strings(bodies.get("nouns", []), "institutions.toml [bodies]")

    roles = docs["roles"]
    titles: dict[str, list[str]] = {}
    for title in _strings(
        _table(roles, "titles", "roles.toml").get("names"), "roles.toml [titles]"
    ):
        titles.setdefault(key(title), []).append(title)
    heads_doc = _table(roles, "heads", "roles.toml")
    heads = frozenset(key(h) for h in _strings(heads_doc.get("nouns"), "roles.toml [heads]"))
    hosted = frozenset(key(h) for h in _strings(heads_doc.get("hosted"), "roles.toml hosted"))
    abbreviations = {
        _abbrev_key(k): _strings(v, f"roles.toml [abbreviations] {k}")[0]
        for k, v in _table(roles, "abbreviations", "roles.toml").items()
    }
    honorifics = frozenset(
        _abbrev_key(h)
        for h in _strings(_table(roles, "honorifics", "roles.toml").get("words"), "honorifics")
    )
    modifiers = _table(roles, "modifiers", "roles.toml")
    return GazetteerData(
        actors=actors,
        countries=countries,
        demonyms=demonyms,
        organisations=organisations,
        metonyms=metonyms,
        institutions=institutions,
        body_heads=frozenset(key(n).split()[-1] for n in body_nouns),
        titles=titles,
        heads=heads,
        hosted=hosted,
        abbreviations=abbreviations,
        honorifics=honorifics,
        keep_modifiers=tuple(_strings(modifiers.get("keep"), "roles.toml [modifiers] keep")),
        drop_modifiers=tuple(_strings(modifiers.get("drop"), "roles.toml [modifiers] drop")),
        people=_load_people(docs["people"], actors),
    )


def _actor_names(
    doc: Mapping[str, Any], table: str, kind: str, actors: Mapping[str, Actor]
) -> NameTable:
    names = NameTable(kind)
    for actor_id, values in _table(doc, table, f"{kind} data").items():
        where = f"{kind} data [{table}] {actor_id}"
        _check_id(actor_id, actors, where)
        for name in _strings(values, where):
            names.add(name, actor_id, source=where)
    return names


def _abbrev_key(text: str) -> str:
    """Abbreviation keys keep their dots: "Gen." is a title, "Gen" may be a name."""
    return " ".join(text.casefold().split())


@functools.cache
def _base() -> GazetteerData:
    """The checked data, built once per process (about a tenth of a second)."""
    data = build_data(read_documents())
    log.debug("gazetteer loaded: %d actors, %d people", len(data.actors), len(data.people.people))
    return data


def load_gazetteer(aliases: Mapping[str, Actor] | None = None) -> Gazetteer:
    """The gazetteer over the curated data; ``aliases`` (learned or configured name ->
    actor) win over everything else."""
    return Gazetteer(_base(), aliases)


# ---------------------------------------------------------------------------- the gazetteer

_PLACE_CUT = re.compile(r"\s+(?:to|in|at)\s+", re.IGNORECASE)
_OF = re.compile(r"\s+of\s+", re.IGNORECASE)


class Gazetteer:
    """Look-ups from the strings around a speaker to the actor spoken for."""

    def __init__(self, data: GazetteerData, aliases: Mapping[str, Actor] | None = None) -> None:
        self.data = data
        self.aliases: dict[str, tuple[str, Actor]] = {}
        for name, actor in (aliases or {}).items():
            evidence = (
                actor.evidence
                if actor.evidence.startswith("alias:")
                else (f"alias: {actor.evidence or name}")
            )
            self.aliases[key(name)] = (name, Actor(actor.id, actor.name, evidence, actor.kind))

    # -- single look-ups

    def _actor(self, actor_id: str, evidence: str) -> Actor:
        base = self.data.actors[actor_id]
        return Actor(base.id, base.name, evidence, base.kind)

    def alias(self, text: str) -> Actor | None:
        """The configured or learned actor for ``text``, if any."""
        found = self.aliases.get(key(text))
        return found[1] if found else None

    def country(self, text: str) -> Actor | None:
        """A country by name or code: "Germany", "DE", "the United States", "U.S."."""
        entry = self.data.countries.find(text)
        if entry is not None:
            return self._actor(entry.actor_id, f"country: {_shown(text)}")
        code = self._countrynames(text)
        return self._actor(code, f"country: {_shown(text)}") if code else None

    def _countrynames(self, text: str) -> str | None:
        """countrynames knows many languages' names; used only for what looks like a
        capitalised name and is no demonym, place or code of ours."""
        surface = _surface(text)
        if len(_letters(surface)) <= 3 or not surface[:1].isupper():
            return None
        if surface in self.data.demonyms or surface in self.data.metonyms:
            return None
        code = countrynames.to_code(surface)
        if code is None or code not in self.data.actors or self.data.actors[code].kind != "country":
            return None
        return code

    def demonym(self, word: str) -> Actor | None:
        """A country by its people or adjective: "German", "Germans", "Swedes"."""
        entry = self.data.demonyms.find(word)
        if entry is None:
            surface = _surface(word)
            if surface.endswith("s") and surface[:1].isupper():
                entry = self.data.demonyms.find(surface[:-1])
        return self._actor(entry.actor_id, f"demonym: {_shown(word)}") if entry else None

    def organisation(self, text: str) -> Actor | None:
        """An organisation or non-state group: "NATO", "the European Commission" (EU)."""
        entry = self.data.organisations.find(text)
        return self._actor(entry.actor_id, f"organisation: {_shown(text)}") if entry else None

    def metonym(self, text: str) -> Actor | None:
        """A place standing for a government: "the Kremlin", "Downing Street", "Brussels"."""
        entry = self.data.metonyms.find(text)
        return self._actor(entry.actor_id, f"metonym: {_shown(text)}") if entry else None

    def _reference(self, text: str) -> str | None:
        """The actor id a modifier names, whatever its kind: "German", "Russia's",
        "NATO", "Kremlin", "U.S."."""
        for table in (
            self.data.organisations,
            self.data.countries,
            self.data.demonyms,
            self.data.metonyms,
            self.data.institutions,
        ):
            entry = table.find(text)
            if entry is not None:
                return entry.actor_id
        return None

    def _leading_reference(self, words: list[str]) -> tuple[str, int, bool] | None:
        """The longest run of leading words that names an actor: (id, words, possessive)."""
        for n in range(min(len(words) - 1, 8), 0, -1):
            candidate = " ".join(words[:n])
            actor_id = self._reference(candidate)
            if actor_id is not None:
                return actor_id, n, strip_possessive(candidate) != candidate
        return None

    def _cut_host(self, text: str) -> str:
        """Drop the host of a hosted role: "ambassador to the UN" -> "ambassador",
        "the U.S. embassy in Kyiv" -> "the U.S. embassy"."""
        for match in _PLACE_CUT.finditer(text):
            before = [_singular(w) for w in key(text[: match.start()]).split()]
            pairs = {" ".join(before[i : i + 2]) for i in range(len(before))}
            if self.data.hosted & (set(before) | pairs):
                return text[: match.start()]
        return text

    def _split_modifiers(self, text: str) -> tuple[list[str], str]:
        """Leading modifiers kept for the role ("former") and the rest of the text; a
        modifier that belongs to a title ("Deputy Prime Minister") stays put."""
        kept: list[str] = []
        words = sorted(
            (*self.data.keep_modifiers, *self.data.drop_modifiers), key=len, reverse=True
        )
        while self._canonical_title(text) is None:
            lower = text.lower()
            for word in words:
                follows = lower[len(word) : len(word) + 1]
                if lower.startswith(word) and (word.endswith("-") or follows == " "):
                    if word in self.data.keep_modifiers:
                        kept.append("former" if word == "ex-" else word.rstrip("-"))
                    text = text[len(word) :].lstrip(" -")
                    break
            else:
                break
        return kept, text

    def _canonical_title(self, text: str) -> str | None:
        """The title as the data writes it, keeping the text's own hyphenation when the
        data has that spelling too ("Secretary General" vs "Secretary-General")."""
        variants = self.data.titles.get(key(text))
        if not variants:
            return None
        folded = fold(" ".join(text.split()))
        return next((v for v in variants if fold(v) == folded), variants[0])

    def _role(self, text: str) -> str | None:
        """``text`` as a role ("Prime Minister", "spokesman"), or None when it is none."""
        kept, rest = self._split_modifiers(text.strip())
        if not rest:
            return None
        title = self._canonical_title(rest)
        if title is None:
            words = key(rest).split()
            if not words or not all(w.isalpha() or "-" in w for w in rest.lower().split()):
                return None
            head_of = re.split(r"\s+of\s+", rest, maxsplit=1, flags=re.IGNORECASE)[0]
            head_words = key(head_of).split()
            if not (self._is_head(words) or self._is_head(head_words)):
                return None
            title = rest
        return _join(kept, title)

    def _is_head(self, words: list[str]) -> bool:
        if not words:
            return False
        last_two = " ".join(words[-2:])
        return (
            _singular(words[-1]) in self.data.heads
            or words[-1] in self.data.heads
            or last_two in self.data.heads
        )

    def institution(self, text: str) -> Actor | None:
        """A state body: "the German government", "Italy's government", "the U.S. embassy
        in Kyiv" (the embassy's country), "the Bundestag", "Congress", "the Duma"."""
        evidence = f"institution: {_shown(text)}"
        entry = self.data.institutions.find(text)
        if entry is not None:
            return self._actor(entry.actor_id, evidence)
        body = self._cut_host(strip_article(clean(text), _ARTICLES))
        for match in _OF.finditer(body):
            head, tail = body[: match.start()], body[match.end() :]
            actor_id = self._reference(tail)
            if actor_id is not None and self._is_body(head):
                return self._actor(actor_id, evidence)
        words = body.split()
        lead = self._leading_reference(words)
        if lead is not None:
            actor_id, n, _ = lead
            rest = " ".join(words[n:])
            if self._is_body(rest) or self.data.institutions.find(rest) is not None:
                return self._actor(actor_id, evidence)
        return None

    def _is_body(self, text: str) -> bool:
        """Whether ``text`` names a state body: "foreign ministry", "Ministry of Defence"."""
        text = re.split(r"\s+of\s+", text, maxsplit=1, flags=re.IGNORECASE)[0]
        words = key(text).split()
        if not words or len(words) > 5:
            return False
        return _singular(words[-1]) in self.data.body_heads or words[-1] in self.data.body_heads

    def role_phrase(self, text: str) -> tuple[Actor | None, str | None]:
        """The actor and role in the title words around a name: "German Chancellor" ->
        (DE, "Chancellor"); "the Chinese ambassador to the UN" -> (CN, "ambassador")."""
        original = _shown(text)
        phrase = strip_article(clean(text), _ARTICLES)
        kept, phrase = self._split_modifiers(phrase)
        prefix = [m.lower() for m in kept]
        phrase = self._cut_host(phrase)
        for match in _OF.finditer(phrase):
            head, tail = phrase[: match.start()], phrase[match.end() :]
            actor_id = self._reference(tail)
            role = self._role(head) if actor_id is not None else None
            if actor_id is not None and role is not None:
                return self._actor(actor_id, f"of-phrase: {original}"), _join(prefix, role)
        words = phrase.split()
        lead = self._leading_reference(words)
        if lead is not None:
            actor_id, n, possessive = lead
            role = self._role(" ".join(words[n:]))
            if role is not None:
                how = "possessive" if possessive else "title"
                return self._actor(actor_id, f"{how}: {original}"), _join(prefix, role)
        role = self._role(phrase)
        return None, (_join(prefix, role) if role is not None else None)

    def split_title(self, name: str) -> tuple[str | None, str]:
        """Title words before a name and the name: "Chancellor Olaf Scholz" ->
        ("Chancellor", "Olaf Scholz"); "Sen. Ted Cruz" -> ("Senator", "Ted Cruz");
        "Mr. Scholz" -> (None, "Scholz")."""
        text = " ".join(name.translate(_QUOTES).split())
        words = text.split()
        for n in range(len(words) - 1, 0, -1):
            head, rest = words[:n], words[n:]
            if not rest[0][:1].isupper():
                continue
            title = self._title_words(head)
            if title is not None:
                return self._with_of_phrase(title or None, " ".join(rest))
        return None, text

    def _with_of_phrase(self, title: str | None, rest: str) -> tuple[str | None, str]:
        """Move a trailing "of <country>" from the name to the title:
        ("Prime Minister", "Ulf Kristersson of Sweden") -> ("Prime Minister of Sweden", ...)."""
        match = re.search(r"\s+of\s+(\S.*)$", rest)
        if title and match and self._reference(match.group(1)) is not None:
            return f"{title} of {match.group(1)}", rest[: match.start()]
        return title, rest

    def _title_words(self, words: list[str]) -> str | None:
        """The title ``words`` spell ("" for an honorific), or None when they are no title."""
        joined = _abbrev_key(" ".join(words))
        if joined in self.data.honorifics:
            return ""
        if joined in self.data.abbreviations:
            return self.data.abbreviations[joined]
        # An abbreviation in front of more title words: "Lt. Gen." handled above; "Gen. Sir".
        expanded = [self.data.abbreviations.get(_abbrev_key(w), w) for w in words]
        phrase = strip_article(" ".join(expanded), _ARTICLES)
        if self._canonical_title(phrase) is not None:
            return self._canonical_title(phrase)
        last = key(expanded[-1]).split()
        if not last or not (self._is_head(last) or self._canonical_title(expanded[-1])):
            return None
        actor, role = self.role_phrase(phrase)
        if role is None:
            return None
        return phrase if actor is not None else role

    def person(self, name: str, when: date | None) -> tuple[Actor, str] | None:
        """A known office holder as of ``when``: (actor of their office, role).

        The role is prefixed "former " after the term and empty before it; a bare surname
        counts only when one known person bears it (or one is in office on ``when``).
        """
        person = self.data.people.find(name, when)
        if person is None:
            title, bare = self.split_title(name)
            if title is None and bare == name:
                return None
            person = self.data.people.find(bare, when)
            if person is None:
                return None
        term, role = person.term_at(when)
        return self._actor(term.actor_id, self._fact(term)), role

    def _fact(self, term: Term) -> str:
        end = term.end.isoformat() if term.end else ""
        approx = " (dates approximate)" if term.approx else ""
        name = self.data.actors[term.actor_id].name
        return f"fact: {term.role} of {name} {term.start.isoformat()}..{end}{approx}"

    def resolve(self, text: str, when: date | None = None) -> Actor | None:
        """The actor for a free-text name, trying alias, organisation, metonym, country,
        demonym, institution, role phrase and known person in turn."""
        if not text.strip():
            return None
        title, bare = self.split_title(text)
        found = self.alias(text) or (self.alias(bare) if bare != text else None)
        for lookup in (
            self.organisation,
            self.metonym,
            self.country,
            self.demonym,
            self.institution,
        ):
            found = found or lookup(text)
        if found is None:
            found = self.role_phrase(text)[0]
        if found is None and title:
            found = self.role_phrase(title)[0]
        if found is None:
            known = self.person(bare, when)
            found = known[0] if known else None
        return found

    def names(self) -> Iterable[tuple[str, Actor]]:
        """Every name the gazetteer knows with its actor, for fuzzy look-up and completion."""
        tables = (
            ("country", self.data.countries),
            ("demonym", self.data.demonyms),
            ("organisation", self.data.organisations),
            ("metonym", self.data.metonyms),
            ("institution", self.data.institutions),
        )
        for how, table in tables:
            for name, actor_id in table.items():
                yield name, self._actor(actor_id, f"{how}: {name}")
        for person in self.data.people.people.values():
            term, _ = person.term_at(None)
            actor = self._actor(term.actor_id, self._fact(term))
            yield person.name, actor
            for aka in sorted(person.akas):
                yield aka, actor
            for surname in sorted(person.surnames):
                if self.data.people.find(surname, None) is person:
                    yield surname, actor
        for name, actor in self.aliases.values():
            yield name, actor


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _join(prefix: list[str], role: str) -> str:
    return " ".join([*prefix, role])
