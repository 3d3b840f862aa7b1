"""The answer stage's rules, each on its own: specifics, context choice, answerability, news time."""

from __future__ import annotations

import datetime as dt

from newsrag.rag.answerability import FEATURES, AnswerabilityModel, candidate_share, measure, window_share
from newsrag.rag.citations import CitationChecker
from newsrag.rag.context import choose_context
from newsrag.rag.evidence import Evidence, EvidenceSentence
from newsrag.rag.extractive import choose_sentences
from newsrag.rag.naming import with_full_names
from newsrag.rag.passage import Passage
from newsrag.rag.specifics import Specifics, adds_to_question, asked_kind, numbers_in
from newsrag.rag.terms import TermWeights
from newsrag.rag.timeframe import parse_as_of, resolve

WEIGHTS = TermWeights({}, 10)


# ----- specifics ---------------------------------------------------------------------------------
def test_numbers_are_compared_as_values_whichever_way_they_are_written():
    assert numbers_in("four hundred drones, 1,000 shells and twenty-five tanks") == {"400", "1000", "25"}
    assert numbers_in("the one that flew [2]") == set()  # a lone "one" is a pronoun; markers are not figures


def test_a_figure_with_a_scale_word_is_the_same_figure_in_digits():
    assert numbers_in("$12.6 million") == numbers_in("$12,600,000") == {"12600000"}
    assert numbers_in("2.5 billion doses and five million") == {"2500000000", "5000000"}
    assert Specifics.of("The card sold for $12.6 million [1].").missing_from("The card sold for $12,600,000.") == []
    assert Specifics.of("The card sold for $12.7 million [1].").missing_from("The card sold for $12,600,000.") == ["12700000"]


def test_a_count_of_the_names_a_sentence_lists_itself_needs_no_source():
    source = "It is illegal to pump your own gas in New Jersey. A ban on self-service has been in place in Oregon."
    listed = "New Jersey and Oregon are the two states where it is illegal to pump your own gas."
    assert Specifics.of(listed).missing_from(source) == []
    assert Specifics.of("New Jersey and Oregon are the three states with the ban.").missing_from(source) == ["3"]
    assert Specifics.of("Iran and Russia signed two deals.").missing_from("Iran and Russia signed deals.") == ["2"]


def test_an_invented_date_is_missing_from_a_source_that_only_names_the_month():
    claim = Specifics.of("Kirby spoke at a meeting on September 25, 2025 [1].")
    assert claim.missing_from("At a September meeting, John Kirby said Russia bought 400 drones.") == ["2025", "25"]
    assert Specifics.of("Kirby spoke at a September meeting.").missing_from("At a September meeting, John Kirby said so.") == []


def test_a_name_or_a_quotation_not_in_the_source_is_missing():
    source = 'Iran said the reports were "psychological warfare", the ministry said.'
    assert Specifics.of("Tehran called them lies.").missing_from(source) == ["tehran"]
    assert Specifics.of('Iran called them "a pack of lies".').missing_from(source) == ["a pack of lies"]
    assert Specifics.of('Iran called them "psychological warfare".').missing_from(source) == []
    assert Specifics.of("Iranian officials denied it.").missing_from(source) == []  # "Iranian" for "Iran"


def test_a_quotation_is_the_same_words_wherever_its_punctuation_falls():
    source = "Dartmouth is replacing loans with “expanded scholarship grants,” the university said."
    assert Specifics.of('Loans give way to "expanded scholarship grants."').missing_from(source) == []
    assert Specifics.of('Loans give way to "expanded scholarship funds."').missing_from(source) == ["expanded scholarship funds"]
    assert Specifics.of('It offers "expanded scholarship".').missing_from("It offers unexpanded scholarship.") == ["expanded scholarship"]


def test_the_question_may_supply_a_specific():
    assert Specifics.of("In 2022 Iran sent drones.").missing_from("Iran sent drones.", also_allowed="What did Iran send in 2022?") == []


def test_a_restatement_is_not_an_answer_to_a_which_question():
    question = "Which band headlined the Super Bowl halftime show?"
    assert not adds_to_question(question, "The band headlined the Super Bowl halftime show [1].")
    assert adds_to_question(question, "Coldplay headlined the Super Bowl halftime show [1].")
    assert adds_to_question("Did Iran send missiles?", "Iran sent missiles [1].")  # yes/no: restating is fine
    assert not adds_to_question("Who is next in line to the throne?", "He is next in line to the throne [1].")  # a pronoun names no one


def test_a_question_that_sets_the_scene_first_asks_in_its_sentence_that_ends_in_a_question_mark():
    question = "The Biden administration is deciding whether to extend the loan pause. When are loan payments set to restart?"
    assert not adds_to_question(question, "The Biden administration is deciding whether to extend the loan pause [1].")
    assert adds_to_question(question, "Payments are set to resume after August 31 [1].")
    glued = "What did Iran show him? (Which minister did Iran host? Iran hosted Defense Minister Sergei Shoigu.)"  # no model to rewrite it
    assert not adds_to_question(glued, "Iran hosted Defense Minister Sergei Shoigu [1].")


def test_a_question_read_back_in_an_answer_is_dropped():
    passages = [Passage("c", "a.txt", "Loan payments are set to restart. Payments resume after August 31.")]
    echoed = CitationChecker(WEIGHTS).run("When are loan payments set to restart [1]? Payments resume after August 31 [1].", passages)
    assert echoed.text == "Payments resume after August 31 [1]."
    assert any("dropped a question" in note for note in echoed.notes)
    stated = CitationChecker(WEIGHTS).run("Loan payments are set to restart [1].", passages)
    assert stated.text == "Loan payments are set to restart [1]."


def test_asked_what_someone_said_another_articles_sentence_that_does_not_name_them_is_dropped():
    passages = [
        Passage("c1", "met.txt", "After meeting him, IOC president Kirsty Coventry said the athlete could not wear the helmet."),
        Passage("c2", "ban.txt", "The IOC banned the athlete from wearing the helmet, citing its charter."),
        Passage("c3", "met.txt", "The committee said the rules were clear."),
    ]
    question = "What did IOC president Kirsty Coventry say about the athlete's helmet?"
    answer = "Kirsty Coventry said the athlete could not wear the helmet [1]. The IOC banned the athlete from wearing the helmet [2]."
    result = CitationChecker(WEIGHTS).run(answer, passages, question=question)
    assert result.text == "Kirsty Coventry said the athlete could not wear the helmet [1]."
    assert any("not what Coventry said" in note for note in result.notes)
    same_article = "Kirsty Coventry said the athlete could not wear the helmet [1]. The committee said the rules were clear [3]."
    kept = CitationChecker(WEIGHTS).run(same_article, passages, question=question).text  # the speaker's article, whole
    assert kept == "Kirsty Coventry said the athlete could not wear the helmet [1]. The committee said the rules were clear [2]."
    other_question = "What did the IOC decide about the athlete's helmet?"  # no one's words asked for
    assert CitationChecker(WEIGHTS).run(answer, passages, question=other_question).text == answer


def test_a_follow_up_is_not_answered_by_what_the_previous_answer_said():
    said = "At least $11.3 billion in munitions, according to Pentagon estimates reviewed by lawmakers [1]."
    question = "And what total did the Pentagon later put on the cost of the war?"  # a conjunction first: still asks for one
    repeated = "The Pentagon put the cost of the war at least $11.3 billion, according to estimates reviewed by lawmakers [2]."
    assert adds_to_question(question, repeated)  # new to the question alone
    assert not adds_to_question(question, repeated, said)
    assert adds_to_question(question, "Pentagon chief Pete Hegseth said $25 billion reflects the total cost [1].", said)


def test_a_sentence_that_only_restates_a_which_question_is_dropped_from_an_answer_that_names_it():
    passages = [Passage("c", "a.txt", "NASA will launch a historic mission beyond the moon this month. The mission is called Artemis I.")]
    question = "NASA will launch a historic mission beyond the moon this month. What is the mission called?"
    result = CitationChecker(WEIGHTS).run(
        "NASA will launch a historic mission beyond the moon this month [1]. The mission is called Artemis I [1].",
        passages,
        question=question,
    )
    assert result.text == "The mission is called Artemis I [1]."
    assert any("only restates the question" in note for note in result.notes)
    alone = CitationChecker(WEIGHTS).run("NASA will launch a historic mission beyond the moon this month [1].", passages, question=question)
    assert alone.text == "NASA will launch a historic mission beyond the moon this month [1]."  # the caller judges it
    yes_no = "Will NASA launch a historic mission beyond the moon this month?"
    verdict = CitationChecker(WEIGHTS).run("NASA will launch a historic mission beyond the moon this month [1].", passages, question=yes_no)
    assert verdict.text == "NASA will launch a historic mission beyond the moon this month [1]."  # restating answers a yes/no


def test_a_name_is_given_in_full_on_first_reference_as_its_source_gives_it():
    cited = {1: ["The Avalanche finish the playoffs with a record of 9-1."], 2: ["The two finalists: Colorado Avalanche"]}
    answer = "The Avalanche won the Stanley Cup [1][2]. The Avalanche lost once [1]."
    assert with_full_names(answer, cited) == "The Colorado Avalanche won the Stanley Cup [1][2]. The Avalanche lost once [1]."
    titled = {1: ["U.S. Secretary of State Antony Blinken and Ukrainian President Volodymyr Zelensky met on Tuesday."]}
    assert with_full_names("Zelensky met Blinken [1].", titled) == "President Volodymyr Zelensky met Blinken [1]."
    assert with_full_names("Cheney lost [1].", {1: ["On Tuesday Cheney lost to Russia's Harriet Hageman."]}) == "Cheney lost [1]."
    assert with_full_names("Cheney lost [2].", {1: ["Rep. Liz Cheney lost."]}) == "Cheney lost [2]."  # only what it cites
    byline = {1: ["Iran missiles launched toward Israel Kim Hjelmgaard Israel identified missiles launched from Iran."]}
    assert with_full_names("Iran launched missiles at Israel [1].", byline) == "Iran launched missiles at Israel [1]."
    defined = {1: ["Russians have been piloting Iranian UAVs."]}
    assert (
        with_full_names("Russians piloted unmanned aerial vehicles (UAVs) [1].", defined)
        == "Russians piloted unmanned aerial vehicles (UAVs) [1]."
    )


def test_the_kind_of_specific_asked_for():
    assert asked_kind("How many drones did Russia buy?") == "number"
    assert asked_kind("When did the talks begin?") == "date"
    assert asked_kind("Who leads the Wagner group?") == "name"


def test_citation_checker_drops_a_sentence_whose_figures_its_source_lacks():
    passages = [Passage("c1", "a.txt", "Russia bought 400 Shahed drones from Iran last year.", title="Drones")]
    checker = CitationChecker(WEIGHTS)
    assert checker.run("Russia bought 400 Shahed drones from Iran [1].", passages).cited == [0]
    result = checker.run("Russia bought 4,000 Shahed drones from Iran [1].", passages)
    assert result.text == "" and any("does not hold 4000" in note for note in result.notes)


# ----- what the model reads ----------------------------------------------------------------------------
def _evidence(passages: list[Passage], scored: list[tuple[int, int, float]]) -> Evidence:
    from newsrag.index.sentences import split_sentences

    sentences = []
    for passage, order, coverage in scored:
        text = [s.text for s in split_sentences(passages[passage].text)][order]
        sentences.append(
            EvidenceSentence(passage=passage, text=text, order=order, coverage=coverage, context_coverage=coverage, similarity=coverage)
        )
    return Evidence(sorted(sentences, key=lambda s: s.score, reverse=True))


PASSAGES = [
    Passage(
        "c1", "a.txt", "Netflix made an announcement on Sunday. The hit show Squid Game is coming back for a second season. Fans cheered."
    ),
    Passage("c2", "b.txt", "Other shows were cancelled this week. Nobody knows why the network did it."),
]


def test_an_anchor_brings_its_neighbours_so_the_answer_beside_the_best_sentence_reaches_the_model():
    evidence = _evidence(PASSAGES, [(0, 0, 0.9), (1, 0, 0.5)])
    alone = " ".join(b.text for b in choose_context(evidence, PASSAGES, words=100, anchors=3, share=0.3, neighbours=0))
    with_neighbours = " ".join(b.text for b in choose_context(evidence, PASSAGES, words=100, anchors=3, share=0.3, neighbours=1))
    assert "Squid Game" not in alone and "Squid Game" in with_neighbours


def test_the_word_budget_holds_and_the_best_block_comes_first():
    evidence = _evidence(PASSAGES, [(1, 0, 0.9), (0, 1, 0.8)])
    blocks = choose_context(evidence, PASSAGES, words=12, anchors=3, share=0.3, neighbours=1)
    assert blocks[0].passage == 1
    assert sum(len(b.text.split()) for b in blocks) <= 12 or len(blocks) == 1


def test_a_quoted_answer_to_a_follow_up_does_not_quote_the_previous_answer_again():
    passages = [
        Passage("c1", "a.txt", "Pentagon chief Pete Hegseth said $25 billion reflects the total cost of the war."),
        Passage("c2", "b.txt", "The first six days of war cost taxpayers at least $11.3 billion, according to Pentagon estimates."),
        Passage("c3", "c.txt", "Other sources put the total cost of the war as high as $50 billion."),
    ]
    evidence = _evidence(passages, [(0, 0, 0.9), (1, 0, 0.85), (2, 0, 0.8)])
    said = "At least $11.3 billion, according to Pentagon estimates [1]."
    assert [s.passage for s in choose_sentences(evidence, limit=2)] == [0, 1]
    assert [s.passage for s in choose_sentences(evidence, limit=2, said=said)] == [0, 2]  # the next new one takes its place


# ----- answerability ---------------------------------------------------------------------------------
def _abstention_settings():
    from newsrag.settings import AbstentionSettings

    return AbstentionSettings(intercept=-1.0, weights={"best_score": 2.0, "missing_rarity": -4.0}, threshold=0.5)


def test_answerability_is_a_logistic_score_over_the_named_features():
    model = AnswerabilityModel(_abstention_settings())
    assert model.probability({"best_score": 1.0}) > 0.7
    assert model.probability({"best_score": 1.0, "missing_rarity": 1.0}) < 0.1
    evidence = _evidence(PASSAGES, [(0, 1, 0.9)])
    features = measure("Which show is coming back for a second season?", evidence, PASSAGES, WEIGHTS)
    assert set(features) == set(FEATURES)
    assert not model.run("Which show?", Evidence(), PASSAGES, WEIGHTS).answerable  # no evidence, no answer


def test_a_candidate_answer_is_a_specific_the_question_lacks():
    evidence = _evidence(PASSAGES, [(0, 1, 0.9)])
    assert candidate_share("Which show is coming back for a second season?", evidence) == 1.0  # "Squid Game"
    assert candidate_share("How many seasons will the show have?", evidence) == 0.0  # no number beyond "second"


# ----- news time ---------------------------------------------------------------------------------------
def test_relative_time_words_resolve_against_the_as_of_date():
    as_of = dt.date(2022, 6, 16)
    week = resolve("Police arrested 31 men this week. Where was the event?", as_of)
    assert (week.start, week.end) == (dt.date(2022, 6, 9), as_of)
    assert resolve("What did the Fed decide yesterday?", as_of).start == dt.date(2022, 6, 15)
    june = resolve("What happened in June?", as_of)
    assert (june.start, june.end) == (dt.date(2022, 6, 1), as_of)
    march = resolve("What happened in March?", dt.date(2023, 1, 10))  # the latest March before the as-of date
    assert march.start == dt.date(2022, 3, 1)
    assert resolve("Who won the vote in 2021?", as_of).start == dt.date(2021, 1, 1)
    assert resolve("What did he say on March 3?", as_of).start == dt.date(2022, 3, 2)
    plain = resolve("May Iran send more drones?", as_of)  # "May" the verb names no month
    assert not plain.window and not plain.recent
    assert resolve("What is the latest on the talks?", as_of).recent


def test_this_and_last_week_month_and_year_are_the_calendars():
    """A reader asking in July 2022 about "later this year" means 2022: an answer's "this year",
    cited to an article of July 2021 that does not say it, is not supported, though the article is
    within a year of the question. "Last week", "last month" and "last year" reach back to the calendar
    week, month and year before; "the past year" and "over the last month" count back."""
    from newsrag.rag.timeframe import says_another_time

    as_of = dt.date(2022, 7, 28)
    assert resolve("Which singer will launch a Las Vegas residency later this year?", as_of).start == dt.date(2022, 1, 1)
    assert resolve("Which mission will NASA launch this month?", as_of).start == dt.date(2022, 7, 1)
    assert resolve("How many titles were banned over the past year?", as_of).start == dt.date(2021, 6, 24)
    assert resolve("What did prices do over the last month?", as_of).start == dt.date(2022, 6, 24)
    assert resolve("What did prices do last month?", as_of).start == dt.date(2022, 6, 1)
    assert resolve("Who won the title last year?", as_of).start == dt.date(2021, 1, 1)
    assert resolve("Who won last year's title?", dt.date(2022, 1, 5)).start == dt.date(2021, 1, 1)
    assert resolve("What did prices do last month?", dt.date(2022, 1, 5)).start == dt.date(2021, 12, 1)
    # "last week", asked on Thursday July 28, is the calendar week from Monday July 18; "the past week" counts back 8 days
    assert resolve("Who resigned last week?", as_of).start == dt.date(2022, 7, 18)
    assert (
        resolve("Who resigned over the past week?", as_of).start == resolve("Who resigned this week?", as_of).start == dt.date(2022, 7, 21)
    )
    assert resolve("Who resigned over the last week?", as_of).start == dt.date(2022, 7, 21)
    assert resolve("Who played last weekend?", as_of).start == dt.date(2022, 7, 21)
    assert resolve("Who resigned last week?", dt.date(2022, 7, 25)).start == dt.date(2022, 7, 18)  # asked on a Monday: 8 days
    claim = "The Backstreet Boys will launch a Las Vegas residency this year [1]."
    assert says_another_time(claim, "Backstreet Boys return to Las Vegas for a holiday residency", "2021-07-12", as_of)
    assert not says_another_time(claim, "Backstreet Boys return to Las Vegas for a holiday residency", "2022-02-01", as_of)


def test_as_of_dates_are_read_in_either_form_and_refused_clearly():
    assert parse_as_of("2022/06/16") == parse_as_of("2022-06-16") == dt.date(2022, 6, 16)
    assert parse_as_of(None) == dt.date.today()
    try:
        parse_as_of("next tuesday")
    except ValueError as exc:
        assert "YYYY-MM-DD" in str(exc)
    else:
        raise AssertionError("a non-date was accepted")


# ----- who says what -----------------------------------------------------------------------------------
def test_claims_keep_their_speaker_and_the_sources_that_deny_them():
    from newsrag.rag.claims import build_claims, speaker_of

    assert speaker_of("U.S. officials say Iran has provided Russia with artillery rounds.") == "U.S. officials"
    assert speaker_of("Iran has given Russia drones, according to the Wall Street Journal.") == "Wall Street Journal"
    assert speaker_of("“We are concerned,” Kirby said.") == "Kirby"
    assert speaker_of("The drones hit Kyiv on Monday.") is None
    claims = build_claims(
        "Iran has sent ballistic missiles to Russia [1]. Iran denied sending ballistic missiles [2].",
        {1: ["U.S. officials say Iran has sent ballistic missiles to Russia."], 2: ["Iran denied sending ballistic missiles to Russia."]},
    )
    assert [(c.said_by, c.citations, c.disputed_by) for c in claims] == [("U.S. officials", [1], [2]), ("Iran", [2], [])]


def test_a_disputed_yes_no_question_gets_both_sides_and_no_bare_yes():
    from newsrag.rag.claims import with_disputes

    candidates = [
        (0, "U.S. officials say Iran has sent ballistic missiles to Russia."),
        (1, "Iran denied sending any ballistic missiles to Russia."),
        (2, "The White House has not confirmed that Iran sent the missiles."),
        (3, "Iran denied that its football team was paid to lose."),  # a denial on another topic
    ]
    answer = with_disputes(
        "Yes, Iran has sent ballistic missiles to Russia [1].", candidates, "Has Iran sent ballistic missiles to Russia?"
    )
    assert answer.startswith("Iran has sent ballistic missiles to Russia [1].")
    assert "Iran denied sending any ballistic missiles to Russia [2]." in answer and "not confirmed" in answer
    assert "football" not in answer
    undisputed = with_disputes("Russia has helped Iran launch satellites [1].", candidates, "How has Russia helped Iran's space program?")
    assert undisputed == "Russia has helped Iran launch satellites [1]."


def test_a_doubt_that_shares_only_pronouns_with_the_answer_is_not_its_other_side():
    from newsrag.rag.claims import shares_topic, with_disputes
    from newsrag.rag.terms import content_terms

    question = "Which minister said he would resign if his budget failed?"
    answer = "Finance Minister Ana Costa said she would resign if her budget failed [1]."
    aside = "Silva said he did not believe his party had made up its mind on the election."
    assert not shares_topic(set(content_terms(f"{question} {answer}")), aside)  # "he", "his", "made up": no topic
    assert with_disputes(answer, [(1, aside)], question) == answer
    doubt = "Costa's allies doubt the budget can pass without the resignation threat."
    assert "allies doubt the budget can pass" in with_disputes(answer, [(1, doubt)], question)  # on the topic: budget, resign
    # a word capitalised because it opens the sentence is no name when the question writes it in lower case
    asked, said = "Did Minister Costa speak directly with the rebels?", "Officials say the minister phoned rebel envoys [1]."
    denial = "Speaking on the radio, Costa denied she had ever called them directly."
    assert "Costa denied she had ever called them directly" in with_disputes(said, [(1, denial)], asked)


# ----- dates in answers ------------------------------------------------------------------------
def test_sentences_from_articles_of_different_months_say_when():
    from newsrag.rag.dating import with_dates

    text = "U.S. officials say Iran has sent drones to Russia [1]. Iran also sent guided bombs [2]. Iran sent shells in May 2023 [2]."
    dated = with_dates(text, {1: "2024-09-10", 2: "2023-06-02"})
    assert dated == (
        "In September 2024, U.S. officials say Iran has sent drones to Russia [1]. Iran also sent guided bombs (reported June 2023) [2]. "
        "Iran sent shells in May 2023 [2]."  # names its own date: left alone
    )
    assert with_dates(text, {1: "2024-09-10", 2: "2024-09-28"}) == text  # one month: nothing to say
    assert with_dates(text, {1: "2024-09-10", 2: ""}) == text  # an undated article gives no date


def test_old_news_is_an_answer_whose_every_source_is_older_than_the_limit():
    from newsrag.rag.timeframe import old_news

    as_of = dt.date(2022, 7, 21)
    plain = resolve("Which product is hard to find in stores?", as_of)
    assert old_news(["2021-10-15", "2022-03-01"], plain, 90) == dt.date(2022, 3, 1)  # the newest, 142 days before
    assert old_news(["2021-10-15", "2022-07-01"], plain, 90) is None  # one source is recent
    assert old_news(["2021-10-15", ""], plain, 90) is None  # an undated source may be new
    assert old_news(["2021-10-15"], plain, 0) is None and old_news([], plain, 90) is None
    assert old_news(["2021-10-15"], resolve("Which product was hard to find in October 2021?", as_of), 90) is None  # its time named
    last_year = resolve("What did Iran give Russia last year?", dt.date(2026, 12, 5))  # 2025 from its January on
    assert old_news(["2025-04-25"], last_year, 90) is None and old_news(["2024-04-25"], last_year, 90) == dt.date(2024, 4, 25)
    this_week = resolve("Which head of state resigned this week?", as_of)  # counted back: July 14 on
    assert old_news(["2021-03-01"], this_week, 90) == dt.date(2021, 3, 1)
    assert old_news(["2022-05-01"], this_week, 90) is None  # 74 days before the week: dated, not dropped (rag/dating.py)


def test_an_answer_to_this_weeks_news_drawn_from_older_news_says_when():
    import datetime as dt

    from newsrag.rag.dating import with_dates

    text = "TikTok banned political fundraising [1]. Facebook banned political ads [2]."
    this_week = dt.date(2022, 9, 16)  # the first day a question asked on 2022-09-23 means by "this week"
    assert with_dates(text, {1: "2022-09-21", 2: "2022-09-02"}, this_week) == (
        "TikTok banned political fundraising [1]. Facebook banned political ads (reported September 2022) [2]."
    )
    assert with_dates(text, {1: "2022-09-21", 2: "2022-09-20"}, this_week) == text  # all of the week asked about
    assert with_dates(text, {1: "2022-09-21", 2: "2022-09-02"}) == text  # a question naming no time: one month, nothing to say


# ----- timeline ----------------------------------------------------------------------------------
def test_a_long_timeline_is_grouped_by_month_a_short_one_by_week_or_day():
    from newsrag.rag.timeline import TimelineBuilder, _label
    from newsrag.settings import TimelineSettings

    builder = TimelineBuilder(None, None, TimelineSettings(group_above=3, months_above_days=60))
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=7 * i) for i in range(4)]
    assert builder._grouping(days[:3]) == "day"
    assert builder._grouping(days) == "week"
    assert builder._grouping([*days, dt.date(2024, 6, 1)]) == "month"
    assert _label(dt.date(2024, 1, 10), "week") == "Week of January 8, 2024"
    assert _label(dt.date(2024, 1, 10), "month") == "January 2024"


def test_evidence_from_outside_the_time_a_question_names_counts_against_answering():
    dated = [
        Passage(chunk_id="old", doc_id="old", text="A strong earthquake shook the country.", published="2016-04-17"),
        Passage(chunk_id="new", doc_id="new", text="A strong earthquake shook the islands.", published="2022-07-27"),
        Passage(chunk_id="undated", doc_id="undated", text="A strong earthquake shook the coast."),
    ]
    frame = resolve("Which country was shaken by an earthquake this week?", dt.date(2022, 7, 29))
    evidence = _evidence(dated, [(0, 0, 0.9), (1, 0, 0.8), (2, 0, 0.7)])
    assert abs(window_share(evidence, dated, frame) - (0 + 1 + 0.5) / 3) < 1e-9
    assert window_share(evidence, dated, resolve("Which country was shaken by an earthquake?", dt.date(2022, 7, 29))) == 1.0
    named = resolve("Which country was shaken by the earthquake of April 16, 2016?", dt.date(2022, 7, 29))
    assert named.window and window_share(evidence, dated, named) == 1.0  # an event named by its date: coverage may come later
    assert window_share(evidence, dated, None) == 1.0


def test_a_denial_is_told_apart_from_a_person_refused_something():
    from newsrag.rag.claims import disputes

    assert disputes("Iran denied the reports.") and disputes("The Kremlin denied that it had sent troops.")
    assert disputes("The report was denied by the ministry.") and disputes("Moscow denies any involvement.")
    assert not disputes("He died in prison after being beaten and denied medical care.")
    assert not disputes("The reporter was denied entry.") and not disputes("Officials denied him a visa.")
    assert not disputes("Peskov did not deny the reports.")
    assert not disputes("The state has used contractors when it wanted to be able to deny involvement.")
    assert not disputes("The spokesman refused to deny the reports.") and not disputes("Officials could deny any role.")
    assert disputes("The Kremlin was quick to deny the reports.")
    assert not disputes("The company denied the country's armed forces access to its satellites.")
    assert not disputes("Officials warned of a possible false flag attack to justify an escalation.")
    assert not disputes("Sanctions succeeded in denying replacements for equipment lost at the front.")
    assert disputes("Iran denied the reports of funding the group.") and disputes("Russia denied sending fuel to the rebels.")
    assert disputes("The ministry called the report false.")


def test_a_doubt_disputes_a_claim_and_no_doubt_does_not():
    from newsrag.rag.claims import disputes

    assert disputes("It is unclear whether the strikes destroyed the plant.")
    assert not disputes("It is unclear how many people work for the ministry.")  # unclear about something else
    assert disputes("The extent of the damage remains in question.")
    assert not disputes("The official in question said the plant was destroyed.")
    assert disputes("There has been no independent assessment of the damage.")
    assert disputes('Trump said the sites were "obliterated" but an independent assessment has not yet been carried out.')
    assert not disputes("An independent investigation has been opened into the strike.")
    assert disputes("Analysts cast doubt on the official account.")
    assert not disputes("There is no doubt that the plant was destroyed.")
    assert not disputes("The plant was destroyed, officials said.")


def test_an_observer_who_looked_and_did_not_find_it_doubts_the_claim():
    from newsrag.rag.claims import disputes

    assert disputes("“We haven’t seen the troops leave the border,” the spokesman said.")
    assert disputes("Inspectors have not found any trace of the agent.")
    assert disputes("Officials do not believe the shipment has arrived.")
    assert disputes("Radar detected no aircraft over the site that night.")
    assert not disputes("Officials believe the shipment has arrived.")
    assert not disputes("Inspectors found traces of the agent in the soil.")
    assert not disputes("The minister has seen the damage himself.")


def test_a_question_in_an_article_is_never_evidence():
    from newsrag.rag.evidence import is_question

    assert is_question("Was Iran's nuclear material really 'obliterated'?")
    assert is_question('He asked: "Why now?"')
    assert not is_question('"Why now?" he asked, before the vote was held.')
    assert not is_question("The sites were struck on June 21.")


def test_an_answer_must_name_the_kind_of_thing_asked_for():
    from newsrag.rag.specifics import names_kind_asked

    assert not names_kind_asked("Which country declared victory over the virus this week?", "Kim Yo Jong declared victory [1].")
    assert names_kind_asked("Which country declared victory over the virus this week?", "North Korea declared victory [1].")
    assert not names_kind_asked("Which country did Russia invade?", "Russia invaded its neighbour [1].")
    assert not names_kind_asked("How much did the card sell for in 2022?", "The card sold for a record price in 2022 [1].")
    assert names_kind_asked("How much did the card sell for?", "It sold for $12.6 million [1].")
    assert names_kind_asked("Which band won the contest?", "Kalush Orchestra won [1].")  # no rule for bands: passes
    # a country's whole name: "the United States", "Saudi Arabia", "U.S." (not only one-word names)
    assert names_kind_asked("Which country hosted the talks?", "The talks were held in Saudi Arabia [1].")
    assert names_kind_asked("Which country sent the most aid?", "The United States sent the most [1].")
    assert not names_kind_asked("Which country did the United States accuse?", "The United States accused its rival [1].")
    assert names_kind_asked("How many people fled?", "About a million people fled [1].")  # "million" is a figure
    # a follow-up asking for another figure is not answered by the previous answer's figure again
    asked, said = "And what total did the Pentagon later put on the cost of the war?", "At least $11.3 billion in munitions [1]."
    restated = "The Pentagon later put the cost at least $11.3 billion in munitions alone, and experts say it will only increase [1]."
    assert not names_kind_asked(asked, restated, said)
    assert names_kind_asked(asked, "Hegseth said $25 billion reflects the total cost [1].", said)
    assert not names_kind_asked("Which other country joined?", "Iran joined the talks [1].", "Iran joined first [1].")
    from newsrag.rag.specifics import new_countries

    assert new_countries("Iran fired at Iraq [1].", "Which countries did Iranian drones hit?") == {"iraq"}  # "Iranian" names Iran
    assert new_countries("The U.S. and Saudi Arabia [1].", "Did the U.S. help?") == {"saudi arabia"}


def test_an_answer_to_where_names_a_place_and_to_who_a_person():
    """ "Where" is answered by a place the question does not name: a name after a preposition of place
    ("in Syria", "east of Moscow", "at Kennedy Space Center") or a country. A sentence that names a
    film or a month instead has not said where; a relative "the colony where ..." asks no place.
    "Who" answered "He is ..." has not said who."""
    from newsrag.rag.specifics import names_kind_asked, new_places

    godard = "Jean-Luc Godard died this week. Where did he revolutionize cinema in the late 1950s?"
    assert not names_kind_asked(godard, 'Godard revolutionized cinema in the late 1950s with his debut feature "Breathless" [1].')
    assert names_kind_asked(godard, "Godard revolutionized cinema in France in the late 1950s [1].")
    assert names_kind_asked("Where is the plant Iran is to build?", "The plant is east of Moscow [1].")
    assert names_kind_asked("Where did the rocket launch from?", "It launched from the Arnhem Space Center [1].")
    assert names_kind_asked("And where did Hezbollah fight?", "Hezbollah fought in Syria [1].")  # a follow-up's "and"
    assert not names_kind_asked("Where did the talks happen?", "The talks happened on Monday in June [1].")  # times
    assert not names_kind_asked("Where in Syria did Hezbollah fight?", "Hezbollah fought in Syria [1].")  # the question's own place
    assert names_kind_asked("What is the nickname of the penal colony where Navalny was held?", "Polar Wolf [1].")
    # "who" answered by a pronoun names nobody, however many others the sentence names
    succession = "King Charles III became Britain's monarch. Who is next in the line of royal succession?"
    assert not names_kind_asked(succession, "He is next in line, as the eldest son of the king and Princess Diana [1].")
    assert names_kind_asked(succession, "Prince William is next in line [1].")
    assert names_kind_asked("Who is Viktor Bout?", "He is a Russian arms dealer [1].")  # asks about a name, not for one
    assert not names_kind_asked("Who is the new prime minister?", "She is the new prime minister [1].")
    assert names_kind_asked("Who are the two candidates?", "They are Liz Truss and Rishi Sunak [1].")  # "they" lists them
    assert names_kind_asked("Whose drones hit Kyiv?", "They were Iran's Shahed drones [1].")  # "whose": not a person asked
    assert new_places("Mar-a-Lago is in Palm Beach, Florida [1].", "Where is Mar-a-Lago?") == {"palm"}  # the name's first word


def test_a_capital_names_its_countrys_government_and_the_other_way_round():
    from newsrag.rag.terms import content_terms, entity_coverage, government_names, question_entities

    question = "Has Tehran delivered ballistic missiles to Moscow?"
    names, governments = question_entities(question), government_names(question)
    assert entity_coverage(names, set(content_terms("Iran has delivered ballistic missiles to Russia.")), governments) == 1.0
    assert entity_coverage(names, set(content_terms("Iraq has delivered ballistic missiles to Syria.")), governments) == 0.0
    question = "What did Iran deny?"
    denied = set(content_terms("Tehran denied the reports."))
    assert entity_coverage(question_entities(question), denied, government_names(question)) == 1.0
    assert (
        entity_coverage(question_entities(question), set(content_terms("Baghdad denied the reports.")), government_names(question)) == 0.0
    )
    assert entity_coverage(question_entities(question), denied) == 0.0  # a claim is checked without it


def test_a_capital_after_a_place_word_is_a_place_not_a_government():
    from newsrag.rag.terms import government_names

    assert government_names("Who struck the consulate in Damascus?") == frozenset()
    assert government_names("What did Damascus say about the strike?") == {"damascus"}
    assert government_names("Has Tehran sent drones to Moscow?") == {"tehran", "moscow"}


def test_a_capital_that_opens_a_longer_name_is_no_government():
    from newsrag.rag.specifics import about_other_dealings
    from newsrag.rag.terms import government_names

    question = "Who accused Russia of having 'hijacked' the Beijing Winter Olympics over the doping case?"
    assert government_names(question) == {"russia"}  # the Games are named after the city, not its government
    assert government_names("What did The Washington Post report about Moscow's drones?") == {"moscow"}
    assert government_names("What did sanctions on Russia, Iran and China cost?") == {"russia", "iran", "china"}  # a list, not a name
    assert not about_other_dealings(question, "The US Anti-Doping Agency accused Russia of having hijacked the competition.")
