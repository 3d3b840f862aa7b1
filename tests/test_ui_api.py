"""The browser chat without a browser: the `chat` API endpoint, upload names, rendering, `serve`."""

from __future__ import annotations

import argparse
import html
import sys
import threading

import pytest
from conftest import SEED_ARTICLES, needs_shared

from newsrag.commands.serve import cmd_serve, exposure_warning, is_loopback, parse_auth
from newsrag.index.documents import assemble_article
from newsrag.ui import render
from newsrag.ui.uploads import sanitise_filename, save_upload

pytest.importorskip("gradio")
pytest.importorskip("gradio_client")
pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")  # Gradio's own pandas use

QUESTION = "What drones has Iran provided to Russia?"


# ----- a served app over the seed articles -----------------------------------------------------
@pytest.fixture(scope="module")
def app(tmp_path_factory, encoder):
    """The chat server over a fresh store of the seed articles (extractive backend)."""
    if not SEED_ARTICLES.is_dir():
        pytest.skip("../shared is not beside the repository")
    from ui_fixtures.server import make_store, start_app

    settings = make_store(tmp_path_factory.mktemp("ui-api-store"), encoder, [SEED_ARTICLES])
    running = start_app(settings)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(app):
    from gradio_client import Client

    return Client(app.url, verbose=False)


@needs_shared
def test_chat_endpoint_returns_the_answer_json(app, client):
    from newsrag.components import open_pipeline

    data = client.predict(QUESTION, [], api_name="/chat")
    expected = open_pipeline(app.settings).run(QUESTION).to_json()
    assert set(data) == set(expected)
    assert data["answer"] == expected["answer"]
    assert not data["abstained"] and "[1]" in data["answer"]
    assert [c["doc_id"] for c in data["citations"]] == [c["doc_id"] for c in expected["citations"]]
    assert set(data["citations"][0]) == set(expected["citations"][0])
    assert {"claims", "as_of", "answerability"} <= set(data) and data["as_of"] == expected["as_of"]


@needs_shared
def test_chat_endpoint_needs_only_the_question_and_takes_an_as_of_date(client):
    first = client.predict(QUESTION, api_name="/chat")  # no history: a first question needs nothing else
    assert not first["abstained"] and first["citations"]
    long_ago = client.predict(QUESTION, [], "2001-01-01", api_name="/chat")  # before every dated seed article
    assert long_ago["as_of"] == "2001-01-01"
    assert all(c["published"] == "" for c in long_ago["citations"])  # only undated articles are left to cite


@needs_shared
def test_chat_endpoint_reports_a_bad_question(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError):
        client.predict("   ", [], api_name="/chat")


@needs_shared
def test_concurrent_clients_keep_their_own_history(app):
    from gradio_client import Client

    histories = {
        "wagner": [
            [
                "Which group was preparing to give air defense to Hezbollah?",
                "The Wagner Group was preparing to provide an air defense system [1].",
            ]
        ],
        "drones": [["Which Iranian drones has Moscow used?", "Moscow has used Iranian Shahed drones in airstrikes [1]."]],
    }
    results: dict[str, list[dict]] = {name: [] for name in histories}
    errors: list[BaseException] = []

    def ask(name: str) -> None:
        try:
            own = Client(app.url, verbose=False)
            for _ in range(3):
                results[name].append(own.predict("Which one is it?", histories[name], api_name="/chat"))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(name,)) for name in histories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    for data in results["wagner"]:  # each answer is about its own conversation, not the other one's
        assert "Wagner" in data["answer"] and "drone" not in data["answer"].lower(), data["answer"]
    for data in results["drones"]:
        assert "drone" in data["answer"].lower() and "Wagner" not in data["answer"], data["answer"]


# ----- upload names ------------------------------------------------------------------------
HOSTILE_NAMES = [
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\windows\\win.ini",
    "a/../../b.txt",
    "..",
    ".",
    "",
    "．．／．．／escape.txt",  # fullwidth dots and slash: NFKC turns them into ../../
    "\u202etxt.exe",  # right-to-left override
    "nul\x00byte.txt",
    "line\nbreak.md",
    "~/.ssh/authorized_keys",
    "C:\\Users\\me\\report.pdf",
    "新闻" * 200 + ".txt",
    "-rf.txt",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_uploads_stay_inside_the_uploads_folder(tmp_path, name):
    source = tmp_path / "source.bin"
    source.write_bytes(b"article text")
    root = tmp_path / "store" / "uploads"
    saved = save_upload(source, name, root)
    assert saved.path.is_file() and saved.path.read_bytes() == b"article text"
    assert saved.path.resolve().parent.parent == root.resolve()
    assert not saved.path.name.startswith((".", "-"))
    assert "/" not in saved.path.name and "\\" not in saved.path.name and "\x00" not in saved.path.name
    assert len(saved.path.name.encode()) <= 255
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.bin", "store"]  # nothing written elsewhere


def test_sanitised_names_keep_what_identifies_the_article():
    assert sanitise_filename("../../etc/passwd") == "passwd"
    assert sanitise_filename("Iran drones (AP).txt") == "Iran_drones_AP.txt"
    assert sanitise_filename("новини дня.txt") == "новини_дня.txt"
    assert sanitise_filename("feed.JSONL.GZ") == "feed.jsonl.gz"
    assert sanitise_filename("..") == "upload"
    assert sanitise_filename("\u202etxt.exe") == "txt.exe"


def test_two_uploads_with_one_name_do_not_collide(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("x")
    first = save_upload(source, "same.txt", tmp_path / "uploads")
    second = save_upload(source, "same.txt", tmp_path / "uploads")
    assert first.path != second.path and first.path.name == second.path.name == "same.txt"


# ----- rendering ------------------------------------------------------------------------------
ATTACK = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3)) ${alert(4)} {{a}} $$x$$ **b** \"'&"


def test_escaped_text_has_no_markup_left():
    out = render.esc(ATTACK)
    for forbidden in "<>\"'`*_{}[]()$":
        assert forbidden not in out
    assert html.unescape(out) == ATTACK


def test_answer_links_only_known_citations():
    answer = {
        "question": "q",
        "answer": f"Iran sent drones [1]. Unknown [7]. {ATTACK} [1, 2]",
        "abstained": False,
        "citations": [{"n": 1, "doc_id": "a"}, {"n": 2, "doc_id": "b"}],
        "notes": [ATTACK],
    }
    out = render.answer_html(answer, turn=3)
    assert out.count('href="#src-3-1"') == 2 and out.count('href="#src-3-2"') == 1
    assert "src-3-7" not in out and "&#91;7&#93;" in out
    assert "<script" not in out and "<img" not in out and "onerror=" not in out
    assert "nr-grounded" in out


def test_abstained_answers_look_different():
    out = render.answer_html({"question": "q", "answer": "The articles don't say.", "abstained": True, "citations": []}, 0)
    assert "nr-abstained" in out and render.ABSTAIN_BADGE in out and "nr-grounded" not in out


def test_source_card_escapes_metadata_and_drops_unsafe_links():
    citation = {
        "n": 1,
        "doc_id": "d<1>",
        "title": ATTACK,
        "source": "<b onmouseover=x>AP</b>",
        "published": "2024-01-01",
        "url": "javascript:alert(1)",
        "text": "Iran sent drones. <img src=x onerror=alert(1)> Then more.",
        "start": 0,
        "end": 0,
        "highlights": ["Iran sent drones."],
    }
    out = render.source_card_html(citation, 0, "Iran sent drones. <img src=x onerror=alert(1)> Then more.")
    assert "<img" not in out and "<b " not in out and 'href="javascript' not in out and "<script" not in out
    assert '<mark class="nr-hl">Iran sent drones.</mark>' in out
    assert 'id="src-0-1"' in out
    good = render.source_card_html({**citation, "url": "https://apnews.com/article/x?a=1&b=2"}, 0, None)
    assert 'href="https://apnews.com/article/x?a=1&amp;b=2"' in good and 'rel="noopener noreferrer nofollow"' in good


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", 'https://a.b/"onmouseover=x', "http://", "//evil.com", "https://a b.c", "vbscript:x"]
)
def test_only_plain_http_links(url):
    assert render.safe_http_url(url) == ""


def test_article_shows_the_passage_in_place():
    article = "First paragraph.\n\nIran sent drones. They arrived.\n\nLast one."
    start = article.index("Iran")
    end = article.index("arrived.") + len("arrived.")
    out = render.article_html(article, article[start:end], start, end, ["They arrived."])
    assert '<span class="nr-in-place">Iran sent drones. <mark class="nr-hl">They arrived.</mark></span>' in out
    assert out.startswith('<div class="nr-article-text">First paragraph.')


def test_article_is_rebuilt_from_overlapping_chunks():
    from types import SimpleNamespace

    text = "One. Two. Three.\n\nFour. Five."
    spans = [(0, 9), (5, 16), (18, 29)]  # "One. Two." / "Two. Three." / "Four. Five."
    chunks = [SimpleNamespace(text=text[a:b], metadata={"start": a}) for a, b in spans]
    assert assemble_article(list(reversed(chunks))) == text


def test_filters_from_the_page():
    from newsrag.ui.actions import make_filters, parse_date

    assert parse_date("2024-03-01") == "2024-03-01" and parse_date("2024-03-01 00:00:00") == "2024-03-01"
    assert parse_date("") == "" and parse_date(None) == "" and parse_date("not a date") == ""
    filters = make_filters(["AP", ""], "2024-01-01", "nonsense")
    assert filters.sources == ["AP"] and filters.date_from == "2024-01-01" and filters.date_to == ""
    assert not make_filters(None, None, None)


# ----- `newsrag serve` --------------------------------------------------------------------------
def test_loopback_and_exposure_warning():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert exposure_warning("127.0.0.1", None) is None
    assert exposure_warning("0.0.0.0", ("u", "p")) is None
    assert "--auth" in exposure_warning("0.0.0.0", None)


def test_auth_must_be_user_and_password():
    from newsrag.cli import UsageError

    assert parse_auth("ann:s3cret:with:colons") == ("ann", "s3cret:with:colons")
    assert parse_auth(None) is None
    for bad in ("nopassword", ":p", "u:"):
        with pytest.raises(UsageError):
            parse_auth(bad)


def test_serve_without_gradio_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "gradio", None)  # `import gradio` now raises ImportError
    assert cmd_serve(argparse.Namespace()) == 1
    assert "pip install 'newsrag[ui]'" in capsys.readouterr().err


def test_serve_warns_when_exposed_without_login(monkeypatch, capsys, tmp_path):
    import newsrag.commands.serve as serve_command

    launched = {}
    monkeypatch.setattr(
        serve_command, "launch", lambda settings, auth=None, block=True: launched.update(host=settings.serve.host, auth=auth)
    )
    args = argparse.Namespace(host="0.0.0.0", port=None, auth=None, store=tmp_path / "store", chroma_url=None, collection=None, config=None)
    assert cmd_serve(args) == 0
    assert launched == {"host": "0.0.0.0", "auth": None}
    assert "warning" in capsys.readouterr().err
    args.auth = "ann:pw"
    assert cmd_serve(args) == 0
    assert launched["auth"] == ("ann", "pw") and "warning" not in capsys.readouterr().err
