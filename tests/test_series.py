"""Series of names (rag/series.py): the sentence a list of names is written in."""

from __future__ import annotations

import pytest

from newsrag.rag.series import listed_names


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        (  # a colon opens the series, the closing quotation mark ends it before "Biden said"
            "“Four Americans are coming home: Paul Whelan, Evan Gershkovich, Alsu Kurmasheva, and Vladimir Kara-Murza,” Biden said.",
            ["Paul Whelan", "Evan Gershkovich", "Alsu Kurmasheva", "Vladimir Kara-Murza"],
        ),
        (  # titles stay with the name; a particle stays inside it
            "Starmer will be joined by French President Emmanuel Macron, German Chancellor Friedrich Merz and "
            "European Commission President Ursula von der Leyen.",
            ["French President Emmanuel Macron", "German Chancellor Friedrich Merz", "European Commission President Ursula von der Leyen"],
        ),
        (  # the lead-in is prose; "the Netherlands" is an item; a long last item ends the series
            "The embassies in Hungary, the Netherlands, Poland, and the consulates general in Naples and Krakow, received packages.",
            ["Hungary", "Netherlands", "Poland"],
        ),
        (  # a short item is named by its last name, the last item before prose by its first
            "The prize went to Ales Bialiatski, the Russian group Memorial and the Ukrainian organization Center for Civil Liberties.",
            ["Ales Bialiatski", "Memorial", "Center for Civil Liberties"],
        ),
        ("Bombs hit nuclear sites at Fordow, Isfahan, and Natanz [2].", ["Fordow", "Isfahan", "Natanz"]),  # a citation marker is no item
    ],
)
def test_a_series_of_names_is_read_item_by_item(sentence, names):
    assert listed_names(sentence) == names


@pytest.mark.parametrize(
    "sentence",
    [
        "Reporter Evan Gershkovich and former Marine Paul Whelan were released on Thursday.",  # two names: a subject, not a list
        "On Monday, Aug. 18, Trump met Zelenskyy, and the leaders talked for two hours.",  # a date and prose between the names
        "The coalition traveled to Washington, DC, as a group, and Trump, who met Putin in Alaska, spoke later.",  # names in prose
        "Officials said the strikes, which began on Friday, damaged roads, bridges and power lines.",  # a series without names
        "“THE STRAIT IS COMPLETELY OPEN AND READY FOR BUSINESS AND FULL PASSAGE, BUT THE BLOCKADE WILL REMAIN,” he wrote.",  # shouted
    ],
)
def test_names_in_prose_are_not_a_series(sentence):
    assert listed_names(sentence) == []


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("Saudi Arabia", True),
        ("the United States", True),
        ("U.S.", True),
        ("UK", True),
        ("Poland", True),
        ("Paul Whelan", False),
        ("It", False),  # a two-letter code counts only in capitals
        ("Great Britian", False),  # a misspelling is not a country
    ],
)
def test_a_whole_country_name_is_told_from_other_names(name, country):
    from newsrag.index.places import is_country

    assert is_country(name) is country
