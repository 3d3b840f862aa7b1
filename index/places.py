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
def _iso3166() -> tuple[Path | None, tuple[tuple[str, str], ...]]:
    """The first time-zone folder that has the ISO 3166 table, and its (code, name) rows."""
    for folder in _tz_folders():
        table = folder / "iso3166.tab"
        if table.is_file():
            lines = table.read_text(encoding="utf-8").splitlines()
            rows = tuple(
                (line.split("\t", 1)[0].strip(), line.split("\t", 1)[1])
                for line in lines
                if line and not line.startswith("#") and "\t" in line
            )
            return folder, rows
    return None, ()


def _without_brackets(name: str) -> str:
    return re.sub(r"\s*\(.*\)", "", name).strip().lower()  # "Britain (UK)" -> "britain"


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Lower-cased one-word country and continent names ("russia", "iran", "europe", "america")."""
    folder, rows = _iso3166()
    words = {name for _, full in rows if re.fullmatch(r"[a-z]{3,}", name := _without_brackets(full))}
    zones = folder / "zone1970.tab" if folder is not None else None
    if zones is not None and zones.is_file():
        for line in zones.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if line.startswith("#") or len(fields) < 3:
                continue
            words.add(fields[2].split("/", 1)[0].lower())  # the continent: "Europe/Kyiv" -> "europe"
    return frozenset(words)


@lru_cache(maxsize=1)
def _country_names() -> tuple[frozenset[str], frozenset[str]]:
    """Lower-cased ISO 3166 country names read whole: the short forms (two-letter codes "us", "gb",
    and the bracketed "uk" of "Britain (UK)") and the long ones ("saudi arabia", "united states")."""
    names: set[str] = set()
    for code, full in _iso3166()[1]:
        names.add(code.lower())
        names.add(_without_brackets(full))
        names.update(short.lower() for short in re.findall(r"\(([A-Z]{2,3})\)", full))
    return frozenset(n for n in names if len(n) <= 3), frozenset(n for n in names if len(n) > 3)


def is_country(name: str) -> bool:
    """Whether `name` is a country's whole name, as a newsroom writes it: "Saudi Arabia", "the
    United States", "U.S.", "UK" (an abbreviation counts only in capitals). For reading a whole
    name, never for matching its words one by one."""
    short, long = _country_names()
    cleaned = re.sub(r"^the\s+", "", name.strip(), flags=re.I)
    compact = cleaned.replace(".", "")
    if compact.isupper() and 2 <= len(compact) <= 3:
        return compact.lower() in short | long
    return cleaned.lower() in long


# National capitals by ISO 3166 code, as English-language newsrooms spell them: "Tehran denied ..."
# is Iran denying, "talks in Moscow" are Russia's. A reference table for any archive (none ships
# with Python or tzdata); capitals that are also everyday words or common names (Male, Victoria,
# Kingston, Georgetown) are left out, and a country without a single agreed capital is not listed.
CAPITALS = (
    "AF Kabul|AL Tirana|DZ Algiers|AD Andorra la Vella|AO Luanda|AR Buenos Aires|AM Yerevan|AU Canberra|AT Vienna|"
    "AZ Baku|BH Manama|BD Dhaka|BB Bridgetown|BY Minsk|BE Brussels|BZ Belmopan|BJ Porto-Novo|BT Thimphu|BA Sarajevo|"
    "BW Gaborone|BR Brasilia|BN Bandar Seri Begawan|BG Sofia|BF Ouagadougou|BI Gitega|CV Praia|KH Phnom Penh|CM Yaounde|"
    "CA Ottawa|CF Bangui|TD N'Djamena|CN Beijing|CO Bogota|KM Moroni|CG Brazzaville|CD Kinshasa|CI Yamoussoukro|HR Zagreb|"
    "CU Havana|CY Nicosia|CZ Prague|DK Copenhagen|DO Santo Domingo|EC Quito|EG Cairo|SV San Salvador|GQ Malabo|ER Asmara|"
    "EE Tallinn|SZ Mbabane|ET Addis Ababa|FJ Suva|FI Helsinki|FR Paris|GA Libreville|GM Banjul|GE Tbilisi|DE Berlin|GH Accra|"
    "GR Athens|GT Guatemala City|GN Conakry|GW Bissau|HT Port-au-Prince|HN Tegucigalpa|HU Budapest|IS Reykjavik|"
    "IN New Delhi|ID Jakarta|IR Tehran|IQ Baghdad|IE Dublin|IL Jerusalem|IT Rome|JP Tokyo|JO Amman|KZ Astana|KE Nairobi|"
    "KI Tarawa|KP Pyongyang|KR Seoul|KW Kuwait City|KG Bishkek|LA Vientiane|LV Riga|LB Beirut|LS Maseru|LR Monrovia|"
    "LY Tripoli|LI Vaduz|LT Vilnius|MG Antananarivo|MW Lilongwe|MY Kuala Lumpur|ML Bamako|MT Valletta|MH Majuro|"
    "MR Nouakchott|MU Port Louis|MX Mexico City|FM Palikir|MD Chisinau|MN Ulaanbaatar|ME Podgorica|MA Rabat|MZ Maputo|"
    "MM Naypyidaw|NA Windhoek|NP Kathmandu|NL Amsterdam|NZ Wellington|NI Managua|NE Niamey|NG Abuja|MK Skopje|NO Oslo|"
    "OM Muscat|PK Islamabad|PA Panama City|PG Port Moresby|PY Asuncion|PE Lima|PH Manila|PL Warsaw|PT Lisbon|QA Doha|"
    "RO Bucharest|RU Moscow|RW Kigali|KN Basseterre|LC Castries|WS Apia|SA Riyadh|SN Dakar|RS Belgrade|SL Freetown|"
    "SK Bratislava|SI Ljubljana|SB Honiara|SO Mogadishu|ZA Pretoria|SS Juba|ES Madrid|LK Colombo|SD Khartoum|"
    "SR Paramaribo|SE Stockholm|CH Bern|SY Damascus|TW Taipei|TJ Dushanbe|TZ Dodoma|TH Bangkok|TL Dili|TG Lome|"
    "TT Port of Spain|TN Tunis|TR Ankara|TM Ashgabat|TV Funafuti|UG Kampala|UA Kyiv|UA Kiev|AE Abu Dhabi|GB London|"
    "US Washington|UY Montevideo|UZ Tashkent|VU Port Vila|VE Caracas|VN Hanoi|YE Sanaa|ZM Lusaka|ZW Harare"
)


@lru_cache(maxsize=1)
def capitals() -> tuple[tuple[str, str], ...]:
    """(capital, country) pairs, the country as newsrooms name it ("Korea (North)" -> "North Korea");
    empty without the ISO 3166 table."""
    countries = dict(_iso3166()[1])
    pairs = []
    for entry in CAPITALS.split("|"):
        code, capital = entry.split(" ", 1)
        if code in countries:
            full = countries[code]
            qualifier = re.fullmatch(r"(.+?)\s*\((North|South)\)", full)
            pairs.append((capital, f"{qualifier.group(2)} {qualifier.group(1)}" if qualifier else re.sub(r"\s*\(.*\)", "", full)))
    return tuple(pairs)
