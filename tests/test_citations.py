"""Citation checking: wrong markers re-cited, unsupported sentences removed, dangling markers dropped."""

from __future__ import annotations

from newsrag.rag.citations import CitationChecker, markers_in
from newsrag.rag.passage import Passage
from newsrag.rag.terms import TermWeights

PASSAGES = [
    Passage("c1", "a.txt", "Iran has supplied Russia with drones and artillery ammunition.", title="Iran arms Russia"),
    Passage("c2", "b.txt", "The Kremlin did not deny reports of missile transfers.", title="Kremlin"),
    Passage("c3", "c.txt", "Wagner may provide Pantsir systems to Hezbollah.", title="Wagner"),
]
CHECKER = CitationChecker(TermWeights({}, 10))


def test_wrong_citation_is_recited_and_numbers_follow_appearance():
    result = CHECKER.run("Wagner may provide Pantsir systems to Hezbollah [1]. Iran supplied drones to Russia [3].", PASSAGES)
    assert result.text == "Wagner may provide Pantsir systems to Hezbollah [1]. Iran supplied drones to Russia [2]."
    assert result.cited == [2, 0]
    assert any("re-cited" in note for note in result.notes)


def test_unsupported_sentence_removed_and_dangling_marker_dropped():
    result = CHECKER.run("Iran supplied drones to Russia [7]. The Bank of Japan raised interest rates [1].", PASSAGES)
    assert result.text == "Iran supplied drones to Russia [1]."
    assert markers_in(result.text) == [1]
    assert any("unsupported" in note for note in result.notes)
    assert result.removed == ["The Bank of Japan raised interest rates."]


def test_marker_after_period_and_highlights():
    result = CHECKER.run("The Kremlin did not deny the reports. [2]", PASSAGES)
    assert result.text == "The Kremlin did not deny the reports [1]."
    assert result.highlights[1] == ["The Kremlin did not deny reports of missile transfers."]


def test_stray_closing_quote_stays_with_its_sentence():
    passages = [Passage("c", "d.txt", 'Fazlullah Nozari said the reports are part of a "psychological warfare.', title="Nozari")]
    result = CHECKER.run('Nozari said the reports are part of a "psychological warfare. " [1]', passages)
    assert result.text == 'Nozari said the reports are part of a "psychological warfare" [1].'


def test_a_marker_stays_outside_a_quotation_that_ends_the_sentence():
    from newsrag.rag.citations import attach_markers

    assert attach_markers('The minister promised "expanded scholarship grants."', [1]) == (
        'The minister promised "expanded scholarship grants" [1].'
    )
    assert attach_markers("The minister spoke (in Paris.)", [2]) == "The minister spoke (in Paris) [2]."
    assert (
        attach_markers('The minister asked, "Why now?"', [1]) == 'The minister asked, "Why now?" [1].'
    )  # a quoted question keeps its mark


def test_corroborating_articles_are_cited_too_when_asked():
    passages = [
        Passage("c1", "a.txt", "Iran has supplied Russia with Shahed drones.", title="Drones"),
        Passage("c2", "b.txt", "Russia has received Shahed drones supplied by Iran, officials said.", title="Drones again"),
        Passage("c3", "c.txt", "Wagner may provide Pantsir systems to Hezbollah.", title="Wagner"),
    ]
    plain = CitationChecker(TermWeights({}, 10)).run("Iran has supplied Russia with Shahed drones [1].", passages)
    assert plain.text == "Iran has supplied Russia with Shahed drones [1]."
    both = CitationChecker(TermWeights({}, 10), corroborate=True).run("Iran has supplied Russia with Shahed drones [1].", passages)
    assert both.text == "Iran has supplied Russia with Shahed drones [1][2]." and both.cited == [0, 1]  # never the unrelated [3]


def test_a_corroborating_article_holds_every_specific_of_the_claim_itself():
    claim = "Narges Mohammadi won the 2023 Nobel Peace Prize, the committee announced in Oslo [1]."
    passages = [
        Passage(
            "c1", "2023.txt", "Narges Mohammadi won the 2023 Nobel Peace Prize, the committee announced in Oslo.", published="2023-10-06"
        ),
        Passage(
            "c2",
            "2022.txt",
            "This year's Nobel Peace Prize went to Ales Bialiatski, the committee announced in Oslo.",
            published="2022-10-07",
        ),
        Passage(
            "c3",
            "later.txt",
            "This year's Nobel Peace Prize went to Narges Mohammadi, the committee announced in Oslo.",
            published="2023-10-07",
        ),
    ]
    question = "Who won the 2023 Nobel Peace Prize, and where was Narges Mohammadi?"
    checked = CitationChecker(TermWeights({}, 10), corroborate=True).run(claim, passages, question=question)
    assert checked.text == "Narges Mohammadi won the 2023 Nobel Peace Prize, the committee announced in Oslo [1][2]."
    assert checked.cited == [0, 2]  # the question vouches for the first source's setting, not a second's: never the 2022 story


def test_a_sentence_about_other_dealings_is_no_answer():
    passages = [
        Passage("c1", "a.txt", "Iran has been a crucial supplier of attack drones for Russia.", title="Drones"),
        Passage("c2", "b.txt", "Tehran denied that it had sent missiles. Iran sent missiles to Venezuela in May.", title="Missiles"),
    ]
    checker = CitationChecker(TermWeights({}, 10))
    asked_china = checker.run(
        "Iran has been a crucial supplier of attack drones for Russia [1].", passages, question="What weapons has Iran supplied to China?"
    )
    assert asked_china.text == "" and "other dealings" in asked_china.notes[-1]  # true, and no answer: Russia is not China
    asked_russia = checker.run(
        "Iran has been a crucial supplier of attack drones for Russia [1].", passages, question="What has Iran given Russia?"
    )
    assert asked_russia.text == "Iran has been a crucial supplier of attack drones for Russia [1]."
    both = "Tehran denied that it had sent missiles [2]. Iran sent missiles to Venezuela in May [2]."
    by_capitals = checker.run(both, passages, question="Has Tehran delivered missiles to Moscow?")
    assert by_capitals.text == "Tehran denied that it had sent missiles [1]."  # a party's denial is one side; Venezuela is not Moscow


def test_a_source_named_in_words_becomes_a_marker_at_the_sentence_end():
    from newsrag.rag.citations import markers_to_sentence_end

    assert markers_to_sentence_end("According to [1], in Khuzestan more people died [2].") == "In Khuzestan more people died [1][2]."
    assert markers_to_sentence_end("According to, in Khuzestan, more people died [1].") == "In Khuzestan, more people died [1]."
    assert markers_to_sentence_end("The war cost $50 billion, according to sources and [1].") == "The war cost $50 billion [1]."
    assert markers_to_sentence_end("Ukraine was preparing a bomb, as stated in [1][2].") == "Ukraine was preparing a bomb [1][2]."
    # a sentence about the numbered sources keeps what it says they report, or goes
    pointed = "This can be seen in sources [1] and [2], which both state that explosions rocked the airbase on Tuesday."
    assert markers_to_sentence_end(pointed) == "Explosions rocked the airbase on Tuesday [1][2]."
    assert markers_to_sentence_end("Sources [1] and [2] say Iran sent drones.") == "Iran sent drones [1][2]."
    assert markers_to_sentence_end("Iran denied reports [1] that it sent drones.") == "Iran denied reports [1] that it sent drones."  # kept
    assert (
        markers_to_sentence_end("It was wildfires [1]. The sources [1], [2], and [3] all mention wildfires in France.")
        == "It was wildfires [1]."
    )
    assert markers_to_sentence_end("This is supported by the information provided in sources [1] and [2].") == ""
    assert markers_to_sentence_end("According to the sources, 2,500 titles were banned [1].") == "2,500 titles were banned [1]."
    assert markers_to_sentence_end("Several news sources reported the strike [1].") == "Several news sources reported the strike [1]."
    kept = "He said so, according to the Wall Street Journal [1]. Russia paid [2]."  # a real attribution stays
    assert markers_to_sentence_end(kept) == kept


def test_a_quoted_source_sentence_cut_at_a_paragraph_break_is_closed_with_a_period():
    """ "... from Pyongyang," followed by the next sentence must stay two sentences of the answer."""
    from newsrag.rag.citations import attach_markers

    assert attach_markers("Moscow would provide food in return for munitions from Pyongyang,", [1]) == (
        "Moscow would provide food in return for munitions from Pyongyang [1]."
    )
    assert attach_markers("Kirby said the talks ended.", [2]) == "Kirby said the talks ended [2]."


def test_an_unsupported_clause_is_cut_and_the_supported_part_kept():
    passages = [
        Passage("c1", "a.txt", "HBO's Succession leads the Emmy race with 25 nominations, including outstanding drama.", title="Emmys")
    ]
    result = CHECKER.run(
        "Succession leads the Emmy race with 25 nominations, as well as acting nods for Brian Cox and Jeremy Strong [1].", passages
    )
    assert result.text == "Succession leads the Emmy race with 25 nominations [1]."
    assert result.trimmed and not result.removed
    assert any("cut an unsupported part" in note for note in result.notes)


def test_a_clause_is_not_cut_where_the_rest_is_not_an_addition():
    from newsrag.rag.citations import leading_parts

    assert leading_parts("Although Iran denied it, the US said missiles were sent.") == []  # the first part concedes, it does not assert
    assert leading_parts("Viktor Bout, a Russian arms dealer, was freed on Thursday.") == []  # an appositive is not a clause
    assert leading_parts("The plan – which Biden announced – costs $400 billion, according to the White House.") == [
        "The plan – which Biden announced – costs $400 billion."
    ]
    assert leading_parts("Iran sent drones to Russia (some 400).") == ["Iran sent drones to Russia."]
    # cut before its verb, a sentence leaves a noun phrase
    assert leading_parts("The International Testing Agency (ITA) accused Russia of having hijacked the Games.") == []
    assert leading_parts("John Kirby of the National Security Council, who spoke Monday, said Iran sent drones.") == []
    passages = [Passage("c1", "a.txt", "The Bank of England held rates.", title="Rates")]
    result = CHECKER.run("The Bank of Japan raised interest rates, citing inflation [1].", passages)
    assert result.text == "" and result.removed  # no part of it is supported: the whole sentence goes


def test_a_capital_in_a_claim_is_not_supported_by_its_country_alone():
    """'Moscow' stands for Russia's government when evidence is found, never when a claim is checked:
    a place in Moscow is not in a source that says only "Russian"."""
    passages = [Passage("c", "d.txt", "Sergei Ivanov, a former Russian intelligence officer, was killed by a bomb.", title="Bomb")]
    question = "Which Russian general was killed by a bomb outside his Moscow apartment?"
    result = CHECKER.run("Sergei Ivanov was killed by a bomb outside his Moscow apartment [1].", passages, question=question)
    assert result.text == ""


def test_a_denial_quoted_beside_the_best_sentences_is_not_what_answers_the_question():
    question = "What weapons has Iran supplied to China?"
    report = Passage("c1", "a.txt", "Iran has supplied drones to Russia.", title="Drones")
    denial = Passage("c2", "b.txt", "Officials do not believe China has received weapons from Iran.", title="Weapons")
    quoted = CHECKER.run(
        "Iran has supplied drones to Russia [1]. Officials do not believe China has received weapons from Iran [2].", [report, denial]
    )
    assert quoted.cited == [0, 1] and not CHECKER.answers(question, quoted)
    shipped = Passage("c2", "b.txt", "China has received weapons from Iran.", title="Weapons")
    reported = CHECKER.run("Iran has supplied drones to Russia [1]. China has received weapons from Iran [2].", [report, shipped])
    assert CHECKER.answers(question, reported)  # a report, not a denial: the two cover the question


def test_a_sentence_said_twice_is_said_once_with_both_sources():
    passages = [
        Passage("c1", "a.txt", "The agency said it had not detected an increase in radiation.", title="Agency"),
        Passage("c2", "b.txt", "The agency said it had not detected an increase in radiation.", title="Agency, again"),
    ]
    twice = "The agency said it had not detected an increase in radiation [1]. The agency said it had not detected an increase in radiation [2]."
    result = CitationChecker(TermWeights({}, 10)).run(twice, passages)
    assert result.text == "The agency said it had not detected an increase in radiation [1][2]."


def test_a_new_speaker_needs_the_questions_figures_in_the_source():
    """The question may supply its own figures and time to a restatement, but not to a claim that puts
    them in the mouth of someone the question does not name: that source must hold them itself."""
    question = "Who claimed in October 2022 that Russia had ordered 2,400 Shahed-136 drones from Iran?"
    passages = [
        Passage("c1", "a.txt", "Ukraine's air force said Russia launched Shahed-136 drones from Iran overnight.", title="Drone attacks"),
        Passage(
            "c2",
            "b.txt",
            "According to President Volodymyr Zelensky, Russia has ordered 2,400 Shahed-136 drones from Iran.",
            title="Drones",
        ),
    ]
    claim = "The Ukrainian air force claimed in October 2022 that Russia had ordered 2,400 Shahed-136 drones from Iran [1]."
    assert CHECKER.run(claim, passages, question=question).text == ""
    zelensky = "In October 2022, Zelensky claimed that Russia had ordered 2,400 Shahed-136 drones from Iran [2]."
    assert CHECKER.run(zelensky, passages, question=question).text == zelensky.replace("[2]", "[1]")  # October 2022: the question's time
    restated = "Russia launched Shahed-136 drones from Iran, which ordered 2,400 of them [1]."
    assert CHECKER.run(restated, passages, question="Did Russia order 2,400 drones from Iran?").text == restated  # no new name


def test_a_year_is_held_by_an_article_that_says_this_year_or_last_year():
    said_last_year = "The Center for Civil Liberties, which won the Nobel Peace Prize last year, praised the choice."
    claim = "The Center for Civil Liberties won the 2022 Nobel Peace Prize [1]."
    dated = [Passage("c", "d.txt", said_last_year, title="Peace prize", published="2023-10-06")]
    assert CHECKER.run(claim, dated).text == claim  # read against its dateline, "last year" is 2022
    a_year_late = [Passage("c", "d.txt", said_last_year, title="Peace prize", published="2024-10-11")]
    assert CHECKER.run(claim, a_year_late).text == ""  # there it is 2023: the claim's year is not in the source
    undated = [Passage("c", "d.txt", said_last_year, title="Peace prize")]
    assert CHECKER.run(claim, undated).text == ""  # no date: no year


def test_a_claims_this_week_must_be_true_of_its_articles_date():
    import datetime as dt

    as_of = dt.date(2022, 9, 23)
    old = Passage("c1", "a.txt", "Facebook banned political fundraising on its platform.", title="Ban", published="2020-10-07")
    new = Passage("c2", "b.txt", "TikTok banned political fundraising on its platform.", title="Ban", published="2022-09-21")
    checker = CitationChecker(TermWeights({}, 10), as_of=as_of)
    # the question's "this week" carried onto two-year-old news: no passage of that week holds it
    assert checker.run("Facebook banned political fundraising this week [1].", [old, new]).text == ""
    assert checker.run("TikTok banned political fundraising this week [2].", [old, new]).text == (
        "TikTok banned political fundraising this week [1]."
    )
    assert checker.run("Facebook banned political fundraising [1].", [old, new]).text == "Facebook banned political fundraising [1]."
    # the source's own time words are of its own date; without as_of nothing is judged
    said = Passage("c3", "c.txt", "Facebook banned political fundraising this week.", title="Ban", published="2020-10-07")
    assert checker.run("Facebook banned political fundraising this week [1].", [said]).text.startswith("Facebook banned")
    undated = Passage("c4", "d.txt", "Facebook banned political fundraising on its platform.", title="Ban")
    assert checker.run("Facebook banned political fundraising this week [1].", [undated]).text.startswith("Facebook banned")
    assert CHECKER.run("Facebook banned political fundraising this week [1].", [old]).text.startswith("Facebook banned")
