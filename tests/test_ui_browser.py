"""The browser chat in headless Chromium: streamed cited answers, sources, uploads, safety.

The page is served exactly as `newsrag serve` serves it, over a real store (the seed articles
and one hostile article) with the extractive backend. Screenshots land in
artifacts/screenshots/; with UPDATE_DOCS_SCREENSHOT=1 the chat screenshot for the README is
written to docs/screenshot-chat.png too.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import REPO, SEED_ARTICLES

pytest.importorskip("gradio")
sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
DOCS_SCREENSHOT = REPO / "docs" / "screenshot-chat.png"
VIEWPORT = {"width": 1440, "height": 960}
EXAMPLE = "What has Iran given Russia?"
CITED_QUESTION = "What drones has Iran provided to Russia?"
ANSWER_TIMEOUT_MS = 60_000
LOCAL_HOSTS = {"127.0.0.1"}
UPLOAD_NAME = "Quillmark Observatory (notes).txt"
UPLOAD_ID = "Quillmark_Observatory_notes.txt"  # the sanitised name is the document id
UPLOAD_TEXT = (
    "Quillmark Observatory opens in Vaskor\n\n"
    "The Quillmark Observatory in Vaskor opened on Monday. Its main telescope, named Brightwing, has a "
    "mirror 7.2 metres across and was built by the Orrin Glassworks over eleven years.\n\n"
    "Astronomers said Brightwing will first study the comet Tessaly."
)


@pytest.fixture(scope="module")
def app(tmp_path_factory, encoder):
    """The chat served over the seed articles and a hostile one."""
    if not SEED_ARTICLES.is_dir():
        pytest.skip("../shared is not beside the repository")
    from ui_fixtures.server import HOSTILE_ARTICLES, make_store, start_app

    settings = make_store(tmp_path_factory.mktemp("ui-browser-store"), encoder, [SEED_ARTICLES, HOSTILE_ARTICLES])
    running = start_app(settings)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def requests_seen() -> list[str]:
    """Every URL any test page requested."""
    return []


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One browser session (its own context, so its own Gradio state) on the chat page."""

    def __init__(self, browser, app, requests_seen: list[str]) -> None:
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: requests_seen.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(app.url)
        self.page.wait_for_selector("#nr-question textarea", timeout=30_000)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def watch_streaming(self) -> None:
        """Record whether a half-written answer is ever shown."""
        self.page.evaluate(
            """() => { window.__sawStreaming = false;
              new MutationObserver(() => { if (document.querySelector('#nr-chat .nr-streaming')) window.__sawStreaming = true; })
                .observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
        )

    def answers(self):
        return self.page.locator("#nr-chat .nr-grounded, #nr-chat .nr-abstained, #nr-chat .nr-error")

    def ask(self, question: str):
        """Type a question, press Enter and wait for its final answer; returns the answer element."""
        before = self.answers().count()
        self.page.fill("#nr-question textarea", question)
        self.page.press("#nr-question textarea", "Enter")
        return self.wait_answer(before)

    def wait_answer(self, before: int):
        self.page.wait_for_function(
            "(n) => document.querySelectorAll('#nr-chat .nr-grounded, #nr-chat .nr-abstained, #nr-chat .nr-error').length > n"
            " && !document.querySelector('#nr-chat .nr-streaming')",
            arg=before,
            timeout=ANSWER_TIMEOUT_MS,
        )
        return self.answers().nth(before)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser, app, requests_seen):
    opened = Session(browser, app, requests_seen)
    yield opened
    opened.close()


def test_example_question_streams_a_cited_answer(session):
    session.watch_streaming()
    session.page.locator("#nr-chat button", has_text=EXAMPLE).first.click()
    answer = session.wait_answer(0)
    assert session.page.evaluate("window.__sawStreaming"), "no draft was shown before the final answer"
    session.screenshot("example-question")
    assert "nr-grounded" in answer.get_attribute("class"), answer.inner_text()
    assert "[1]" in answer.inner_text()
    assert session.page.locator("#nr-chat .nr-question", has_text=EXAMPLE).count() == 1


def test_citation_opens_its_passage_and_article(session):
    answer = session.ask(CITED_QUESTION)
    assert "nr-grounded" in answer.get_attribute("class"), answer.inner_text()
    answer.locator("a.nr-cite").first.click()
    card = session.page.locator("#src-0-1")
    sync_api.expect(card).to_be_in_viewport()
    quote = card.locator(".nr-quote")
    assert len(quote.inner_text().split()) > 5
    assert quote.locator("mark.nr-hl").count() >= 1  # the sentences the answer relies on
    cited = quote.locator("mark.nr-hl").first.inner_text()
    card.locator("details.nr-article summary").click()
    in_place = card.locator(".nr-in-place")
    sync_api.expect(in_place).to_be_visible()
    assert " ".join(cited.split()) in " ".join(in_place.inner_text().split())
    article = card.locator(".nr-article-text").inner_text()
    assert len(article) > len(quote.inner_text())  # the whole article, not just the passage
    session.screenshot("citation-and-article")
    session.page.get_by_text("Copy the answer with its sources").click()
    markdown = session.page.locator("#nr-markdown textarea").input_value()
    assert "[1]" in markdown and "Sources:" in markdown


def test_who_says_what_shows_speakers_and_marks_a_disputed_claim(session):
    answer = session.ask("Has Iran transferred ballistic missiles to Russia?")
    assert "nr-grounded" in answer.get_attribute("class"), answer.inner_text()
    claims = answer.locator(".nr-claims")
    sync_api.expect(claims).to_be_visible()
    assert claims.locator(".nr-said-by").count() >= 1  # the speaker beside the claim
    disputed = claims.locator(".nr-claim-disputed")
    assert disputed.count() >= 1, claims.inner_text()
    assert "disputed by" in disputed.first.inner_text()
    link = disputed.first.locator(".nr-disputed a.nr-cite").first
    target = link.get_attribute("href").lstrip("#")
    link.click()  # the disputing source opens
    sync_api.expect(session.page.locator(f"[id='{target}']")).to_be_in_viewport()
    session.screenshot("who-says-what")


def test_as_of_date_hides_later_articles(session):
    session.page.get_by_text("Filters and settings").click()
    session.page.fill("#nr-as-of input", "2024-01-01")  # before three of the seed articles were published
    answer = session.ask("What has Iran given Russia?")
    for published in answer.page.locator("#nr-sources .nr-turn").last.locator(".nr-meta").all_inner_texts():
        assert "2025" not in published, published


def _timeline_entries(session):
    entries = session.page.locator("#nr-timeline .nr-tl-entry")
    sync_api.expect(entries.first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return entries


def test_timeline_shows_a_story_in_date_order_and_opens_an_article_at_its_sentence(session):
    session.page.get_by_role("tab", name="Timeline").click()
    session.page.fill("#nr-tl-query textarea", "Iranian drones for Russia")
    session.page.click("#nr-tl-go")
    entries = _timeline_entries(session)
    dates = [d for d in (entries.nth(i).get_attribute("data-date") for i in range(entries.count())) if d]
    assert len(dates) >= 2 and dates == sorted(dates), dates
    first = entries.first
    sentence = " ".join(first.locator(".nr-quote").inner_text().split())
    first.locator("details.nr-article summary").click()
    marked = first.locator(".nr-in-place mark.nr-hl")
    sync_api.expect(marked.first).to_be_visible()
    assert " ".join(marked.first.inner_text().split()) == sentence
    session.screenshot("timeline")


def test_one_click_from_an_answer_shows_the_timeline_of_its_topic(session):
    answer = session.ask(CITED_QUESTION)
    assert "nr-grounded" in answer.get_attribute("class"), answer.inner_text()
    session.page.click("#nr-to-timeline")
    _timeline_entries(session)
    assert session.page.locator("#nr-tl-query textarea").input_value() == CITED_QUESTION
    assert CITED_QUESTION in session.page.locator("#nr-timeline .nr-tl-head").inner_text()


def test_docs_screenshot(session):
    """The README's picture: a cited answer with its sources (written only when asked for)."""
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") != "1":
        pytest.skip("set UPDATE_DOCS_SCREENSHOT=1 to refresh docs/screenshot-chat.png")
    answer = session.ask(os.environ.get("DOCS_SCREENSHOT_QUESTION", CITED_QUESTION))
    assert "nr-grounded" in answer.get_attribute("class"), answer.inner_text()  # the picture shows a cited answer
    answer.locator("a.nr-cite").first.click()
    session.page.wait_for_timeout(1200)
    path = session.screenshot("docs-chat")
    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, DOCS_SCREENSHOT)
    assert DOCS_SCREENSHOT.stat().st_size > 20_000  # a real page, not a blank one


def test_outlet_filter_applies_to_the_next_question(session):
    page = session.page
    page.get_by_text("Filters and settings").click()
    page.locator("#nr-outlets input").click()
    page.get_by_role("option", name="UNN").click()
    page.keyboard.press("Escape")
    answer = session.ask("What did the Kremlin say about ballistic missiles from Iran?")
    assert "nr-grounded" in answer.get_attribute("class"), answer.inner_text()
    outlets = [meta.split(" · ")[0] for meta in page.locator("#nr-sources .nr-sources > .nr-turn .nr-meta").all_inner_texts()]
    assert outlets and set(outlets) == {"UNN"}


def test_uploaded_article_is_searchable_at_once_and_deletable(session, app, tmp_path):
    page = session.page
    upload = tmp_path / UPLOAD_NAME
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    page.get_by_role("tab", name="Collection").click()
    page.locator("#nr-files input[type=file]").set_input_files(str(upload))
    page.wait_for_function("() => document.querySelector('#nr-files').innerText.includes('Quillmark')", timeout=30_000)
    page.click("#nr-add")
    page.wait_for_selector("#nr-report .nr-report-ok", timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(page.locator("#nr-documents")).to_contain_text(UPLOAD_ID)
    saved = list((app.settings.store_path / "uploads").glob(f"*/{UPLOAD_ID}"))
    assert len(saved) == 1 and saved[0].read_text(encoding="utf-8") == UPLOAD_TEXT
    session.screenshot("collection-after-upload")

    page.get_by_role("tab", name="Ask").click()
    answer = session.ask("What is the main telescope of the Quillmark Observatory called?")
    assert "nr-grounded" in answer.get_attribute("class"), answer.inner_text()
    assert "Brightwing" in answer.inner_text()
    sync_api.expect(page.locator("#src-0-1")).to_contain_text(UPLOAD_ID)

    page.get_by_role("tab", name="Collection").click()
    page.locator("#nr-delete-choice input").click()
    page.locator("#nr-delete-choice input").fill(UPLOAD_ID)
    page.get_by_role("option", name=UPLOAD_ID).click()
    page.click("#nr-delete")
    sync_api.expect(page.locator("#nr-report")).to_contain_text(f"deleted {UPLOAD_ID}")
    sync_api.expect(page.locator("#nr-documents")).not_to_contain_text(UPLOAD_ID)
    assert not list((app.settings.store_path / "uploads").glob(f"*/{UPLOAD_ID}"))


def test_hostile_article_renders_as_text(session):
    page = session.page
    answer = session.ask("What was the glimmerfox festival budget?")
    assert "nr-grounded" in answer.get_attribute("class"), answer.inner_text()
    card = page.locator("#src-0-1")
    card.locator("details.nr-article summary").click()
    page.wait_for_timeout(300)
    sources = page.locator("#nr-sources").inner_text()
    for literal in ("<script>window.__xss=1", "<img src=x onerror=", "<b onmouseover=", "<iframe src="):
        assert literal in sources, literal
    page.get_by_role("tab", name="Collection").click()
    sync_api.expect(page.locator("#nr-documents")).to_contain_text("<img src=x onerror=")
    page.get_by_role("tab", name="Ask").click()
    session.screenshot("hostile-article")
    injected = page.evaluate(
        """() => ({
          flag: window.__xss === undefined ? null : window.__xss,
          images: document.querySelectorAll('img[src="x"]').length,
          frames: document.querySelectorAll('iframe').length,
          scripts: document.querySelectorAll('#nr-chat script, #nr-sources script, #nr-documents script').length,
          handlers: [...document.querySelectorAll('#nr-chat *, #nr-sources *, #nr-documents *')]
            .filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
          jsLinks: document.querySelectorAll('a[href^="javascript" i], [src^="javascript" i]').length,
        })"""
    )
    assert injected == {"flag": None, "images": 0, "frames": 0, "scripts": 0, "handlers": 0, "jsLinks": 0}
    assert session.dialogs == []


def test_sessions_keep_their_own_conversations(browser, app, requests_seen):
    first, second = Session(browser, app, requests_seen), Session(browser, app, requests_seen)
    try:
        questions = {first: "Which group was preparing to give air defense to Hezbollah?", second: CITED_QUESTION}
        for who, question in questions.items():  # both in flight at once
            who.page.fill("#nr-question textarea", question)
            who.page.press("#nr-question textarea", "Enter")
        for who in questions:
            who.wait_answer(0)
        for who, question in questions.items():
            asked = who.page.locator("#nr-chat .nr-question").all_inner_texts()
            assert asked == [question]
    finally:
        first.close()
        second.close()


def test_no_request_leaves_the_machine(requests_seen):
    assert requests_seen, "the other tests recorded no requests"
    outside = sorted(
        {
            url
            for url in requests_seen
            if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname not in LOCAL_HOSTS
        }
    )
    assert outside == []
    assert any(re.search(r"\.woff2(\?|$)", url) for url in requests_seen)  # fonts come from our own server
