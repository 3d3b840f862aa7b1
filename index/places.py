"""Place names: countries and continents, for telling a line of places from a byline.

A short capitalised line ("Russia Ukraine", "China America") looks like a byline to a name rule.
Rather than a list of the places our articles happen to mention, this reads the lists every
system keeps for any archive: ISO 3166 country names and the time-zone database's continents
(`iso3166.tab` and `zone1970.tab`, from the `tzdata` package or the system's /usr/share/zoneinfo).
Only one-word names are taken: the words of "Saint Martin" or "United States" are also people's
names or ordinary words. With neither file present the set is empty and names are judged by shape.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path


def _tz_folders() -> list[Path]:
    folders = []
    try:
        import tzdata

        folders.append(Path(tzdata.__file__).parent / "zoneinfo")
    except ImportError:
        pass
    folders.append(Path("/usr/share/zoneinfo"))
    return folders


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Lower-cased one-word country and continent names ("russia", "iran", "europe", "america")."""
    words: set[str] = set()
    for folder in _tz_folders():
        countries, zones = folder / "iso3166.tab", folder / "zone1970.tab"
        if not countries.is_file():
            continue
        for line in countries.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#") and "\t" in line:
                name = re.sub(r"\s*\(.*\)", "", line.split("\t", 1)[1]).strip().lower()
                if re.fullmatch(r"[a-z]{3,}", name):
                    words.add(name)
        if zones.is_file():
            for line in zones.read_text(encoding="utf-8").splitlines():
                fields = line.split("\t")
                if line.startswith("#") or len(fields) < 3:
                    continue
                words.add(fields[2].split("/", 1)[0].lower())  # the continent: "Europe/Kyiv" -> "europe"
        break
    return frozenset(words)


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """Lower-cased ISO 3166 country names whole, one word or several ("saudi arabia", "united
    states"), with the short form in brackets ("uk" of "Britain (UK)") and the two-letter codes
    ("us", "gb"): for reading a whole name, never for matching its words one by one."""
    names: set[str] = set()
    for folder in _tz_folders():
        countries = folder / "iso3166.tab"
        if not countries.is_file():
            continue
        for line in countries.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#") and "\t" in line:
                code, name = line.split("\t", 1)
                names.add(code.strip().lower())
                names.add(re.sub(r"\s*\(.*\)", "", name).strip().lower())
                names.update(short.lower() for short in re.findall(r"\(([A-Z]{2,3})\)", name))
        break
    return frozenset(names)


def is_country(name: str) -> bool:
    """Whether `name` is a country's whole name, as a newsroom writes it: "Saudi Arabia", "the
    United States", "U.S.", "UK" (an abbreviation counts only in capitals)."""
    cleaned = re.sub(r"^the\s+", "", name.strip(), flags=re.I)
    compact = cleaned.replace(".", "")
    if compact.isupper() and 2 <= len(compact) <= 3:
        return compact.lower() in country_names()
    return cleaned.lower() in country_names() - {n for n in country_names() if len(n) <= 3}
