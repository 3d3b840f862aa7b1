"""Completing answers (rag/completion.py): every item of a list, both sides of a yes/no question."""

from __future__ import annotations

import pytest

from newsrag.rag.completion import AnswerCompleter, question_form
from newsrag.rag.evidence import Evidence, EvidenceSentence
from newsrag.rag.passage import Passage

COMPLETER = AnswerCompleter(max_items=6, min_new_terms=2, side_sources=2)


@pytest.mark.parametrize(
    ("question", "form"),
    [
        ("What has Iran given Russia?", "list"),
        ("What did the minister say at the summit?", "single"),  # one event, not the record so far
        ("Which countries did Iran fire missiles at?", "list"),
        ("Which Iranian nuclear facilities did U.S. warplanes strike?", "list"),
        ("Which four prisoners did Russia release?", "list"),
        ("Who are the main candidates to succeed Putin?", "list"),
        ("Did Iran send ballistic missiles to Russia?", "yes_no"),
        ("Was the drone attack a Ukrainian attempt to kill Putin?", "yes_no"),
        ("What is the population of Tehran?", "single"),
        ("How many drones did Iran send?", "single"),  # one figure, however plural its noun
        ("Who won the 2022 election?", "single"),  # a year is not a count
        ("Which band won the contest?", "single"),
        ("According to the ministry, what has the army been given?", "list"),  # the source is no part of the form
        ("In 2023, who were the main candidates?", "list"),
    ],
)
def test_the_form_of_a_question(question, form):
    assert question_form(question) == form


def _evidence(*sentences: tuple[int, str, float]) -> Evidence:
    return Evidence([EvidenceSentence(passage=p, text=t, order=0, coverage=s, context_coverage=s, similarity=s) for p, t, s in sentences])


def _passages(*texts: str) -> list[Passage]:
    return [Passage(chunk_id=f"c{i}", doc_id=f"d{i}", text=t) for i, t in enumerate(texts)]


def test_a_list_answer_gets_every_further_item_once_each_with_its_source():
    evidence = _evidence(
        (0, "Iran has given Russia artillery shells and tank rounds.", 0.9),
        (1, "Iran also sent hundreds of Shahed drones to Russia.", 0.8),
        (2, "Iran sent Russia hundreds of Shahed drones, officials said.", 0.75),  # the same item again
        (3, "Iran supplied guided aerial bombs to Russia.", 0.7),
        (4, "The weather in Tehran was mild.", 0.1),  # does not bear on the question
    )
    completed = COMPLETER.run("What has Iran given Russia?", "Iran has given Russia artillery shells and tank rounds [1].", evidence, [])
    assert completed.text == (
        "Iran has given Russia artillery shells and tank rounds [1]. Iran also sent hundreds of Shahed drones to Russia [2]. "
        "Iran supplied guided aerial bombs to Russia [4]."
    )
    assert [p for p, _ in completed.added] == [1, 3]


def test_a_which_list_adds_only_sentences_that_name_someone_new():
    evidence = _evidence(
        (0, "Russia freed Paul Whelan and Evan Gershkovich in the exchange.", 0.9),
        (1, "The exchange freed prisoners held in several countries after long talks.", 0.8),  # names no one new
        (2, "Alsu Kurmasheva and Vladimir Kara-Murza were also freed in the exchange.", 0.7),
    )
    completed = COMPLETER.run(
        "Which four prisoners did Russia free in the exchange?", "Russia freed Paul Whelan and Evan Gershkovich [1].", evidence, []
    )
    assert [p for p, _ in completed.added] == [2]


def test_a_yes_no_answer_that_restates_the_question_is_replaced_by_both_sides():
    passages = _passages(
        "U.S. officials say Iran has sent ballistic missiles to Russia.",
        "Iran sent Russia drones last year. Iran denied sending any ballistic missiles to Russia.",  # the denial is further down
        "Iran denied that its football team was paid to lose.",  # a denial on another topic
    )
    evidence = _evidence(
        (0, "U.S. officials say Iran has sent ballistic missiles to Russia.", 0.9), (1, "Iran sent Russia drones last year.", 0.5)
    )  # not on the question's topic
    completed = COMPLETER.run(
        "Has Iran sent ballistic missiles to Russia?", "Yes, Iran has sent ballistic missiles to Russia [1].", evidence, passages
    )
    assert completed.text == (
        "U.S. officials say Iran has sent ballistic missiles to Russia [1]. Iran denied sending any ballistic missiles to Russia [2]."
    )
    assert not completed.text.lower().startswith("yes")


def test_a_single_fact_answer_is_left_as_it_is():
    evidence = _evidence((0, "Tehran has nine million people.", 0.9), (1, "Tehran's population grew by a million people.", 0.8))
    assert (
        COMPLETER.run("What is the population of Tehran?", "Tehran has nine million people [1].", evidence, []).text
        == "Tehran has nine million people [1]."
    )


def test_a_yes_no_answer_quotes_another_speaker_on_the_topic():
    evidence = _evidence(
        (0, "Trump said the nuclear sites were totally obliterated by the strikes.", 0.9),
        (0, "Trump said the nuclear sites would never be rebuilt after the strikes.", 0.8),  # the same voice again
        (0, "An intelligence assessment said the strikes set the nuclear sites back only by months, officials said.", 0.7),
    )
    passages = _passages(" ".join(s.text for s in evidence.sentences))
    completed = COMPLETER.run("Were the nuclear sites obliterated by the strikes?", "", evidence, passages)
    assert "Trump said the nuclear sites were totally obliterated" in completed.text
    assert "set the nuclear sites back only by months" in completed.text
    assert "never be rebuilt" not in completed.text


def test_a_model_saying_the_sources_do_not_answer_is_told_apart_from_a_negative_answer():
    from newsrag.rag.pipeline import MODEL_ABSTAINS

    for abstains in ("The sources do not mention the population of Tehran.", "This is not mentioned in the sources.", "I cannot find it."):
        assert MODEL_ABSTAINS.search(abstains), abstains
    for answers in ("China does not provide lethal aid to Russia [1].", "Iran did not deny it [2]."):
        assert not MODEL_ABSTAINS.search(answers), answers


def test_list_items_reported_done_come_before_plans_quotations_and_the_reverse_relation():
    evidence = _evidence(
        (0, "Iran has given Russia artillery shells and tank rounds.", 0.9),
        (1, "Russia has been helping Iran build satellites and space rockets.", 0.88),  # the reverse relation
        (2, "“Iran's support for the war is expanding quickly,” an official said.", 0.87),  # a view, quoted whole
        (3, "Iran is seeking to provide Russia with fighter jets and helicopters.", 0.86),  # what may be
        (4, "Iran already has been providing Russia with guided aerial bombs, and may send missiles.", 0.8),  # done, then a plan
        (5, "Iran supplied Russia with materials for a drone factory.", 0.7),
    )
    completer = AnswerCompleter(max_items=2, min_new_terms=2, side_sources=2)
    completed = completer.run("What has Iran given Russia?", "Iran has given Russia artillery shells and tank rounds [1].", evidence, [])
    assert [p for p, _ in completed.added] == [4, 5]
    everything = AnswerCompleter(max_items=6, min_new_terms=2, side_sources=2).run(
        "What has Iran given Russia?", "Iran has given Russia artillery shells and tank rounds [1].", evidence, []
    )
    assert [p for p, _ in everything.added] == [4, 5, 1, 2, 3]  # nothing is lost: they come last


def test_a_which_list_reaches_further_down_its_best_article_for_sentences_that_name_someone_new():
    evidence = _evidence(
        (0, "Leaders of several European countries joined Zelenskyy at the White House on Monday.", 0.9),
        (1, "Alexander Stubb is the president of Finland, a country bordering Russia.", 0.3),  # few of the question's words
        (2, "The weather was mild on the day of the meeting.", 0.3),  # names no one new: never an item
        (3, "Mark Carney spoke to farmers in Ottawa about tariffs.", 0.3),  # another article, not about the question
    )
    passages = [Passage(chunk_id=f"c{i}", doc_id="summit" if i < 3 else "other", text=s.text) for i, s in enumerate(evidence.sentences)]
    question = "Which European leaders went to the White House with Zelenskyy?"
    draft = "Leaders of several European countries joined Zelenskyy [1]."
    assert [p for p, _ in COMPLETER.run(question, draft, evidence, passages).added] == [1]
    strict = AnswerCompleter(max_items=6, min_new_terms=2, side_sources=2, name_item_share=0.5)
    assert strict.run(question, draft, evidence, passages).added == []


def test_a_follow_up_asking_for_one_is_not_completed_as_a_list():
    evidence = _evidence(
        (0, "Moscow has used Iranian Shahed drones in airstrikes.", 0.9), (1, "Moscow also used Lancet drones built in Izhevsk.", 0.8)
    )
    question = "Which Iranian drones has Moscow used? Which one is it?"  # a follow-up, condensed by rule
    draft = "Moscow has used Iranian Shahed drones in airstrikes [1]."
    assert COMPLETER.run(question, draft, evidence, _passages("a", "b"), form="single").text == draft
    assert COMPLETER.run(question, draft, evidence, _passages("a", "b")).added  # the condensed question alone reads as a list


def test_a_yes_no_answer_quotes_what_the_sources_say_in_the_claims_own_words():
    from newsrag.rag.terms import TermWeights

    evidence = _evidence(
        (0, "The Dixie fire burned 400 homes in Plumas County, officials confirmed on Friday.", 0.9),
        (1, "The fire in Plumas County spread fast through dry forest before it was contained.", 0.8),
        (2, "Investigators blamed a lightning strike for starting it, but some residents doubt that.", 0.3),  # the claim's words
        (3, "Lightning is common in the county in summer.", 0.25),  # names the claim only in part
    )
    passages = _passages(*(s.text for s in evidence.sentences))
    rarity = TermWeights({"lightn": 1, "start": 3, "fire": 20, "burn": 15, "dixi": 2}, 40)
    question = "Was the Dixie fire started by lightning?"
    draft = "The Dixie fire burned 400 homes in Plumas County, officials confirmed on Friday [1]."
    completed = COMPLETER.run(question, draft, evidence, passages, rarity)
    assert "Investigators blamed a lightning strike for starting it, but some residents doubt that [3]." in completed.text
    assert "common in the county" not in completed.text
    assert "lightning strike" not in COMPLETER.run(question, draft, evidence, passages).text  # without the store's rarity: as before


def test_an_intensified_restatement_of_a_yes_no_question_is_dropped():
    evidence = _evidence((0, "The mayor said the bridge was destroyed by the flood.", 0.9))
    passages = _passages(evidence.sentences[0].text)
    completed = COMPLETER.run(
        "Was the bridge really destroyed by the flood?",
        "The bridge was completely and totally destroyed by the flood [1].",
        evidence,
        passages,
    )
    assert completed.text == "The mayor said the bridge was destroyed by the flood [1]."


def test_a_which_countries_list_adds_only_sentences_that_name_a_new_country():
    evidence = _evidence(
        (0, "Iran fired missiles at American bases across the region on Saturday.", 0.9),
        (1, "Defense Secretary Hegseth said the operation was historic.", 0.8),  # a new name, not a country
        (2, "An Iranian drone struck the international airport in Bahrain.", 0.7),
        (3, "Missiles were intercepted over Qatar and Kuwait, officials said.", 0.6),
    )
    question = "Which countries hosting American forces did Iran fire missiles at?"
    completed = COMPLETER.run(question, "Iran fired missiles at American bases across the region [1].", evidence, [])
    assert [p for p, _ in completed.added] == [2, 3]


def test_a_which_list_takes_the_series_that_lists_the_names_and_nothing_after_it():
    evidence = _evidence(
        (0, "Four U.S. residents were released by Russia on Thursday in the biggest exchange since the Cold War.", 0.9),
        (1, "Russia released 16 people in exchange for eight held in the U.S., Germany, Norway, Slovenia and Poland.", 0.85),
        (2, "Defense Secretary Hegseth said the exchange showed American resolve.", 0.8),  # a new name, not one of the four
        (3, "“They are coming home: Paul Whelan, Evan Gershkovich, Alsu Kurmasheva and Vladimir Kara-Murza,” Biden said.", 0.5),
    )
    question = "Which four U.S. citizens did Russia release in the exchange?"
    draft = "Four U.S. residents were released by Russia on Thursday [1]."
    completed = COMPLETER.run(question, draft, evidence, _passages("a", "b", "c", "d"))
    assert [p for p, _ in completed.added] == [3]  # the series of people; not the countries, not a name after it


def test_a_series_the_answer_already_gives_is_not_added_again():
    evidence = _evidence(
        (0, "Bombs hit nuclear sites at Fordow, Isfahan, and Natanz.", 0.9),
        (1, "Trump said the strikes obliterated the complexes at Fordow, Natanz and Isfahan.", 0.8),
        (2, "Israeli officials praised the operation on Sunday.", 0.7),
    )
    question = "Which nuclear facilities did U.S. warplanes strike?"
    draft = "U.S. warplanes struck Fordow, Isfahan, and Natanz [1]."
    assert COMPLETER.run(question, draft, evidence, _passages("a", "b", "c")).text == draft


def test_a_denial_by_other_people_of_another_plan_is_not_the_other_side():
    passages = _passages(
        "Reports said Musk spoke with Putin before he posted his peace plan.",
        "Musk denied that he had spoken with Putin about the peace plan.",
        "The press secretary said reported parts of a ceasefire peace plan were false.",  # the topic's words, none of its names
    )
    evidence = _evidence((0, passages[0].text, 0.9))
    completed = COMPLETER.run("Did Musk speak with Putin before posting his peace plan?", "", evidence, passages)
    assert "Musk denied that he had spoken with Putin" in completed.text
    assert "press secretary" not in completed.text


def test_the_other_side_names_what_the_question_is_most_specifically_about():
    from newsrag.rag.terms import TermWeights

    passages = _passages(
        "Explosions destroyed several jets at the Saki air base in Crimea, and witnesses reported an attack.",
        "Ukraine denied any involvement in the car explosion near Moscow, which officials called an attack.",  # the war's names only
        "Ukraine's defense ministry said it could not confirm that the explosions at Saki were an attack.",
    )
    evidence = _evidence((0, passages[0].text, 0.9))
    rarity = TermWeights({"ukrainian": 30, "crimea": 8, "saki": 2}, 40)  # in this archive every article names Ukraine
    question = "Were the explosions at the Saki air base in Crimea caused by a Ukrainian attack?"
    completed = COMPLETER.run(question, "", evidence, passages, rarity)
    assert "could not confirm that the explosions at Saki" in completed.text
    assert "car explosion" not in completed.text


def test_another_voice_names_what_the_question_is_most_specifically_about():
    from newsrag.rag.terms import TermWeights

    evidence = _evidence(
        (0, "Officials said Lisbon had sent an arms shipment to the Tagus Brigade.", 0.9),
        (1, "Der Blatt reported that Oslo sent arms disguised as civilian goods and used a ship to move drones.", 0.8),
        (2, "Brigade spokesman Tomas Vila said the Tagus Brigade had received no arms shipment from abroad.", 0.7),
    )
    passages = _passages(*(s.text for s in evidence.sentences))
    rarity = TermWeights({"lisbon": 30, "tagus": 2, "brigad": 3}, 40)
    completed = COMPLETER.run("Did Lisbon send an arms shipment to the Tagus Brigade?", "", evidence, passages, rarity)
    assert "Der Blatt" not in completed.text  # arms and a ship, but another country's and no brigade
    assert "Tomas Vila said" in completed.text


def test_in_the_article_that_answers_best_a_partys_denial_is_the_other_side_in_any_words():
    passages = _passages(
        "The White House said Belgrade was selling Minsk munitions for its war. Last year it said trucks had crossed the border. "
        "Both Belgrade and Minsk have denied the U.S. allegations.",
        "Prague denied the allegations about the bridge.",  # another article, no party of the question
        "Minsk has denied reports that it bought grain abroad.",  # a party, but in another article and on another topic
    )
    evidence = _evidence((0, "The White House said Belgrade was selling Minsk munitions for its war.", 0.9))
    completed = COMPLETER.run("Is Belgrade selling munitions to Minsk?", "", evidence, passages)
    assert "Both Belgrade and Minsk have denied the U.S. allegations [1]." in completed.text
    assert "Prague" not in completed.text and "grain" not in completed.text


def test_a_which_answer_that_already_names_two_in_a_row_gets_no_other_names_added():
    evidence_rows = (
        (0, "The Wall Street Journal and CNN reported that Iran had sent missiles to Russia.", 0.9),
        (1, "National Security Council spokesperson John Kirby said Iran was providing drones.", 0.8),  # a name, not an outlet
    )
    evidence = _evidence(*evidence_rows)
    question = "Which news outlets reported that Iran had sent missiles to Russia?"
    draft = "The Wall Street Journal and CNN reported that Iran had sent missiles to Russia [1]."
    assert COMPLETER.run(question, draft, evidence, _passages("a", "b")).text == draft
    one = "The Wall Street Journal reported that Iran had sent missiles to Russia [1]."
    evidence = _evidence(*evidence_rows, (1, "CNN and Reuters also reported that Iran sent missiles.", 0.7))
    added = COMPLETER.run(question, one, evidence, _passages("a", "b")).added  # one outlet named: the list goes on
    assert [sentence for _, sentence in added] == ["CNN and Reuters also reported that Iran sent missiles."]  # Kirby is no outlet


def test_a_yes_no_answer_does_not_quote_again_the_report_its_draft_paraphrases():
    report = "The report, published Feb. 23 by Der Spiegel, claims that China disguised military equipment sent to Russia as civil goods."
    draft = "Der Spiegel reported on February 23 that China disguised military equipment sent to Russia as civil goods [1]."
    evidence = _evidence((0, report, 0.9), (0, "China denied the report.", 0.5))
    completed = COMPLETER.run("Has China disguised military equipment sent to Russia as civil goods?", draft, evidence, _passages(report))
    assert report not in completed.text  # told once, in the draft's words
    assert completed.text.startswith("Der Spiegel reported on February 23")


def test_the_fuller_of_two_versions_of_a_sentence_stands_and_a_denial_is_told_once():
    from newsrag.rag.completion import _distinct

    short = 'The minister said all three plants were "destroyed."'
    fuller = 'The minister said all three plants were "destroyed" but an independent assessment has not yet been carried out.'
    tail = "But an independent assessment has not yet been carried out."
    other = "Engineers began repairs at the northern plant on Monday."
    kept = _distinct("", [(0, short), (1, other), (2, fuller), (0, tail)], 0.7)
    assert kept == [(2, fuller), (1, other)]  # in the place of the shorter; the tail is told by the fuller denial
    claim, denial = "Ruritania sent tanks to Borduria.", "Ruritania denied that it sent tanks to Borduria."
    assert _distinct("", [(0, claim), (1, denial)], 0.7) == [(0, claim), (1, denial)]  # a denial stands beside its claim


def test_a_which_list_takes_from_other_articles_only_sentences_that_name_one_of_the_things_asked_about():
    evidence = _evidence(
        (0, "Moscow has used Shahed drones in airstrikes on Ukraine.", 0.9),
        (1, "The White House says Iran has been a crucial supplier of attack drones for Russia in its airstrikes.", 0.8),
        (2, "Russian forces have also used Mohajer-6 drones in airstrikes over Kherson.", 0.7),
    )
    passages = _passages(*(s.text for s in evidence.sentences))
    completed = COMPLETER.run(
        "Which Iranian drones has Moscow used in airstrikes on Ukraine?", "Moscow has used Shahed drones [1].", evidence, passages
    )
    assert "Mohajer-6 drones" in completed.text  # a new drone, named where the drones are
    assert "White House" not in completed.text  # who said it, and where the drones went, name no drone


def test_a_place_or_its_adjective_is_not_an_item_of_a_list_of_other_things():
    from newsrag.rag.specifics import is_place

    assert all(is_place(word) for word in ("Russia", "Russian", "U.S.", "European", "Iran's"))
    assert not any(is_place(word) for word in ("Shahed", "Sberbank", "Kherson", "Lavrov"))


def test_an_intensifier_in_a_yes_no_question_is_no_word_of_the_claim():
    from newsrag.rag.terms import TermWeights

    evidence = _evidence(
        (0, "Russia and Iran signed a trade pact in Tehran.", 0.9),  # the best score, on another topic
        (0, "Officials said Iran has delivered ballistic missiles to Russia.", 0.2),  # too low to bear on it by score
    )
    weights = TermWeights({}, 100)  # every word as rare: "actually" would be among the rarest
    completed = COMPLETER.run("Has Iran actually delivered ballistic missiles to Russia?", "", Evidence(), _passages("x"), weights)
    assert completed.text == ""  # nothing bears on it
    completed = COMPLETER.run("Has Iran actually delivered ballistic missiles to Russia?", "", evidence, _passages("x"), weights)
    assert "delivered ballistic missiles" in completed.text


def test_a_list_takes_from_other_articles_only_items_that_name_what_the_question_is_most_specifically_about():
    from newsrag.rag.terms import TermWeights

    passages = [
        Passage(chunk_id="c0", doc_id="d0", text="", title="Fjordmat scales back in Norland"),
        Passage(chunk_id="c1", doc_id="d0", text="", title="Fjordmat scales back in Norland"),
        Passage(chunk_id="c2", doc_id="d1", text="", title="Brewers leave Norland"),
        Passage(chunk_id="c3", doc_id="d2", text="", title="Fjordmat halts imports"),
    ]
    evidence = _evidence(
        (0, "Fjordmat said it would stop all advertising in Norland.", 0.9),
        (1, "It will also halt sales of its Krisp and Malta brands in Norland.", 0.8),  # the best article: the company need not be named
        (2, "The brewer said it would stop all production and sales in Norland.", 0.8),  # another company's steps
        (3, "The company suspended all capital investment and non-essential imports into Norland.", 0.7),  # its headline names it
    )
    rarity = TermWeights({"fjordmat": 2, "norland": 30}, 40)  # every article of this archive names the country
    question = "What steps did Fjordmat take to scale back its business in Norland?"
    completed = COMPLETER.run(question, "Fjordmat said it would stop all advertising in Norland [1].", evidence, passages, rarity)
    assert "Krisp and Malta" in completed.text
    assert "capital investment" in completed.text
    assert "brewer" not in completed.text
    # Three names or more: no one name is the subject, and the other article's item stays
    three = "What steps did Fjordmat and Lakemilk take to scale back their business in Norland?"
    assert "brewer" in COMPLETER.run(three, "Fjordmat said it would stop all advertising in Norland [1].", evidence, passages, rarity).text


def test_a_yes_no_answer_takes_from_other_articles_only_reports_that_speak_of_the_claim_itself():
    from newsrag.rag.terms import TermWeights

    passages = _passages(
        "Officials in Norland said on Monday that the road police had not been disbanded.",
        "Members of the Norland road police stopped the reporter's car at a checkpoint in 2019.",  # the topic, not the claim
        "A minister said last week that the road police would be disbanded by the spring.",  # the claim in its own words
    )
    evidence = _evidence(*((i, passage.text, score) for i, (passage, score) in enumerate(zip(passages, (0.9, 0.8, 0.7)))))
    rarity = TermWeights({"disband": 2, "road": 10, "polic": 12, "norland": 30}, 40)
    question = "Was the Norland road police disbanded?"
    completed = COMPLETER.run(question, "", evidence, passages, rarity)
    assert "had not been disbanded" in completed.text  # the article that answers best: its report
    assert "would be disbanded by the spring" in completed.text
    assert "checkpoint" not in completed.text


def test_the_other_side_and_further_items_are_of_the_time_the_question_names():
    import datetime as dt
    from dataclasses import replace

    from newsrag.rag.timeframe import resolve

    passages = _passages(
        "Reports said Musk spoke with Putin before he posted his peace plan.",
        "Musk denied that he had spoken with Putin about the peace plan.",
        "In October 2022 the Kremlin denied that Putin had discussed a peace plan with Musk.",
    )
    passages = [
        replace(passages[0], published="2022-10-11"),
        replace(passages[1], published="2025-03-01"),  # years later, naming no time: it tells of its own
        replace(passages[2], published="2025-03-01"),  # years later, looking back on the time asked about
    ]
    question = "Did Musk speak with Putin before posting his peace plan in October 2022?"
    frame = resolve(question, dt.date(2026, 1, 1))
    evidence = _evidence((0, passages[0].text, 0.9))
    anytime = COMPLETER.run(question, "", evidence, passages)
    timed = COMPLETER.run(question, "", evidence, passages, frame=frame)
    assert "Musk denied that he had spoken with Putin about the peace plan" in anytime.text
    assert "Musk denied" not in timed.text
    assert "In October 2022 the Kremlin denied" in anytime.text and "In October 2022 the Kremlin denied" in timed.text


def test_a_later_articles_sentence_tells_of_its_own_time_unless_it_names_the_time_asked_about():
    import datetime as dt

    from newsrag.rag.timeframe import of_another_time, resolve

    december = resolve("Did Iran scrap its morality police in December 2022?", dt.date(2026, 12, 4))
    assert of_another_time("The morality police claimed she wore her hijab incorrectly.", "2026-01-09", december)
    assert not of_another_time("In December 2022 an official said the police was abolished.", "2026-01-09", december)
    assert not of_another_time("An official said the police was abolished.", "2022-12-05", december)  # of the time itself
    assert not of_another_time("An official said the police was abolished.", "", december)  # undated: left alone
    april = resolve("Was Israel behind the April 1, 2024 strike on Iran's consulate?", dt.date(2026, 12, 4))
    assert not of_another_time("Israel never confirmed it was behind an April 1 attack on the consulate.", "2025-06-13", april)
    assert of_another_time("Israel never confirmed it was behind the attack in May.", "2025-06-13", april)
    this_week = resolve("Who resigned this week?", dt.date(2026, 12, 4))
    assert not of_another_time("The minister resigned.", "2026-12-03", this_week)
