"""Safe HTML for answers, sources, articles and the collection list.

Article text, titles, outlets, file names and answers are all untrusted: every piece of text
goes through `esc`, which HTML-escapes it and also turns Markdown, template and LaTeX
characters into entities, so the chat's Markdown renderer sees plain text too. The only tags
are our own (`div`, `span`, `mark`, `a`, `details`, ...), with fixed classes; the only links
are `#src-...` anchors and http(s) URLs taken from an article's `url` metadata.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

# Characters written as entities: HTML's own, and those Markdown, KaTeX or templates act on.
_ENTITIES = {ord(ch): f"&#{ord(ch)};" for ch in "&<>\"'`*_{}[]()#+-!|~$\\="}
# Citation markers in an answer: [1] or [1, 2].
CITATION_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
ABSTAIN_BADGE = "Not in the articles"
SOURCES_PLACEHOLDER = (
    '<div class="nr-empty"><div class="nr-empty-title">Sources</div>'
    "Ask a question: every passage the answer cites appears here, with the sentences it relies on "
    'highlighted. Click a <span class="nr-cite-sample">[1]</span> in the answer to jump to it.</div>'
)
MAX_LISTED_DOCUMENTS = 2000
_PARAGRAPH_BREAK = re.compile(r"[ \t]*\n\s*")


def esc(text: Any) -> str:
    """Text as inert HTML: escaped, with Markdown/LaTeX/template characters as entities."""
    return str(text).translate(_ENTITIES)


def esc_lines(text: str) -> str:
    """`esc` with line breaks kept as <br> (for places without `white-space: pre-line`)."""
    return "<br>".join(esc(line) for line in str(text).split("\n"))


def safe_http_url(url: str) -> str:
    """The URL if it is a plain http(s) address, else "" (no javascript:, data:, spaces or quotes)."""
    url = (url or "").strip()
    if not url or len(url) > 2000 or any(ch.isspace() or ord(ch) < 32 or ch in "\"'<>\\`" for ch in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return url


def source_anchor(turn: int, n: int) -> str:
    """The element id of source `n` of conversation turn `turn`."""
    return f"src-{int(turn)}-{int(n)}"


# ----- answers -------------------------------------------------------------------------------
def link_citations(text: str, known: Iterable[int], turn: int) -> str:
    """Escaped answer text whose [n] markers link to their source cards (unknown numbers stay text)."""
    known = set(known)
    out: list[str] = []
    last = 0
    for match in CITATION_MARKER.finditer(text):
        out.append(esc_lines(text[last : match.start()]))
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        if all(n in known for n in numbers):
            links = "".join(
                f'<a class="nr-cite" href="#{source_anchor(turn, n)}" title="Show source {n}">&#91;{n}&#93;</a>' for n in numbers
            )
            out.append(f'<span class="nr-cites">{links}</span>')
        else:  # a number with no source: leave the marker as text rather than link to nothing
            out.append(esc(match.group(0)))
        last = match.end()
    out.append(esc_lines(text[last:]))
    return "".join(out)


def answer_html(answer: Mapping[str, Any], turn: int) -> str:
    """A verified answer (its `to_json()`) for the chat: grounded and abstained look different."""
    citations = answer.get("citations") or []
    text = str(answer.get("answer", ""))
    if answer.get("abstained"):
        badge = f'<span class="nr-badge nr-badge-abstain">{esc(ABSTAIN_BADGE)}</span>'
        body = esc_lines(text)
        kind = "nr-abstained"
    else:
        count = len({c.get("doc_id") for c in citations})
        label = f"Grounded in {count} article{'s' if count != 1 else ''}"
        badge = f'<span class="nr-badge nr-badge-ok">{esc(label)}</span>'
        body = link_citations(text, (int(c["n"]) for c in citations), turn)
        kind = "nr-grounded"
    notes = "".join(f'<div class="nr-note">{esc(note)}</div>' for note in answer.get("notes") or [])
    return f'<div class="nr-answer {kind}">{badge}<div class="nr-text">{body}</div>{claims_html(answer, turn)}{notes}</div>'


def claims_html(answer: Mapping[str, Any], turn: int) -> str:
    """Who says what: each claim with its speaker, disputed ones marked with the sources that dispute them.

    Shown only when some claim has a speaker or a dispute (a plain answer needs no second reading).
    """
    claims = [c for c in answer.get("claims") or [] if not answer.get("abstained")]
    if not any(c.get("said_by") or c.get("disputed_by") for c in claims):
        return ""
    items = []
    for claim in claims:
        who = f'<span class="nr-said-by">{esc(claim["said_by"])}:</span> ' if claim.get("said_by") else ""
        numbers = "".join(f"[{int(n)}]" for n in claim.get("citations") or [])
        text = link_citations(f"{claim.get('text', '')} {numbers}".strip(), (int(n) for n in claim.get("citations") or []), turn)
        disputed = ""
        if claim.get("disputed_by"):
            against = "".join(f"[{int(n)}]" for n in claim["disputed_by"])
            disputed = (
                f' <span class="nr-disputed">disputed by {link_citations(against, (int(n) for n in claim["disputed_by"]), turn)}</span>'
            )
        items.append(f'<li class="nr-claim{" nr-claim-disputed" if disputed else ""}">{who}{text}{disputed}</li>')
    return f'<details class="nr-claims" open><summary>Who says what</summary><ul>{"".join(items)}</ul></details>'


def streaming_html(draft: str, status: str = "") -> str:
    """The answer while it is being written: the status line and the draft so far."""
    status_html = f'<div class="nr-status">{esc(status)}…</div>' if status else ""
    draft_html = f'<div class="nr-text">{esc_lines(draft)}<span class="nr-caret"></span></div>' if draft else ""
    return f'<div class="nr-answer nr-streaming">{status_html}{draft_html}</div>'


def error_html(message: str) -> str:
    """A problem shown in the chat instead of an answer."""
    return f'<div class="nr-answer nr-error"><span class="nr-badge nr-badge-error">Problem</span><div class="nr-text">{esc_lines(message)}</div></div>'


def user_html(question: str) -> str:
    """The user's question as chat text."""
    return f'<div class="nr-question">{esc_lines(question)}</div>'


# ----- highlighting ---------------------------------------------------------------------------
def find_spans(text: str, needles: Sequence[str]) -> list[tuple[int, int]]:
    """Where each needle occurs in `text` (whitespace-tolerant), sorted and merged."""
    spans: list[tuple[int, int]] = []
    for needle in needles:
        words = str(needle).split()
        if not words:
            continue
        match = re.search(r"\s+".join(map(re.escape, words)), text)
        if match:
            spans.append(match.span())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked(text: str, spans: Sequence[tuple[int, int]], css_class: str = "nr-hl") -> str:
    """Escaped `text` with each (start, end) span wrapped in <mark>."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(esc(text[last:start]))
        out.append(f'<mark class="{css_class}">{esc(text[start:end])}</mark>')
        last = end
    out.append(esc(text[last:]))
    return "".join(out)


def article_html(article: str, passage: str, start: int, end: int, highlights: Sequence[str], anchor: str = "") -> str:
    """The whole cleaned article with the cited passage in place and its cited sentences marked."""
    if article[start:end] != passage:  # offsets from another version: look for the text itself
        found = find_spans(article, [passage])
        start, end = found[0] if found else (0, 0)
    if end <= start:
        return f'<div class="nr-article-text">{esc(article)}</div>'
    inner = marked(article[start:end], find_spans(article[start:end], highlights))
    anchor_attr = f' id="{esc(anchor)}"' if anchor else ""
    return (
        f'<div class="nr-article-text">{esc(article[:start])}'
        f'<span class="nr-in-place"{anchor_attr}>{inner}</span>{esc(article[end:])}</div>'
    )


# ----- sources --------------------------------------------------------------------------------
def source_card_html(citation: Mapping[str, Any], turn: int, article: str | None) -> str:
    """One cited passage: title, outlet, date, the passage with highlights, the article behind it."""
    n = int(citation["n"])
    anchor = source_anchor(turn, n)
    title = str(citation.get("title") or citation.get("doc_id") or "Untitled")
    meta = [esc(x) for x in (citation.get("source"), citation.get("published")) if x]
    url = safe_http_url(str(citation.get("url") or ""))
    if url:
        meta.append(
            f'<a class="nr-link" href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer nofollow">original ↗</a>'
        )
    meta.append(f'<span class="nr-docid">{esc(citation.get("doc_id", ""))}</span>')
    if citation.get("instructions"):
        meta.append(
            '<span class="nr-flag" title="This passage contains text addressed to an AI assistant; it was not used as evidence">'
            "⚠ contains instructions aimed at AI assistants</span>"
        )
    passage = str(citation.get("text", ""))
    highlights = [str(h) for h in citation.get("highlights") or []]
    compact = _PARAGRAPH_BREAK.sub("\n", passage.strip())  # a quote reads better without blank lines
    quote = marked(compact, find_spans(compact, highlights))
    whole = ""
    if article:
        body = article_html(article, passage, int(citation.get("start", 0)), int(citation.get("end", 0)), highlights, anchor + "-in-place")
        whole = f'<details class="nr-article"><summary>Read the whole article, passage in place</summary>{body}</details>'
    return (
        f'<article class="nr-source" id="{anchor}">'
        f'<div class="nr-source-head"><span class="nr-num">{n}</span>'
        f'<div><div class="nr-title">{esc(title)}</div><div class="nr-meta">{" · ".join(meta)}</div></div></div>'
        f'<blockquote class="nr-quote">{quote}</blockquote>{whole}</article>'
    )


def turn_sources_html(answer: Mapping[str, Any], turn: int, articles: Mapping[str, str]) -> str:
    """The sources of one answer, under the question they answered."""
    citations = answer.get("citations") or []
    header = f'<div class="nr-turn-q">Q{turn + 1}. {esc(answer.get("question", ""))}</div>'
    if not citations:
        what = "The articles do not answer this question." if answer.get("abstained") else "No sources cited."
        return f'<section class="nr-turn">{header}<div class="nr-none">{esc(what)}</div></section>'
    cards = "".join(source_card_html(c, turn, articles.get(str(c.get("doc_id")))) for c in citations)
    return f'<section class="nr-turn">{header}{cards}</section>'


def sources_panel_html(turn_sections: Sequence[str]) -> str:
    """The sources panel: the latest answer's sources first, earlier ones folded below."""
    if not turn_sections:
        return SOURCES_PLACEHOLDER
    latest = turn_sections[-1]
    earlier = turn_sections[:-1]
    folded = ""
    if earlier:
        count = len(earlier)
        folded = (
            f'<details class="nr-earlier"><summary>Sources of {count} earlier answer{"s" if count != 1 else ""}</summary>'
            + "".join(reversed(earlier))
            + "</details>"
        )
    return f'<div class="nr-sources">{latest}{folded}</div>'


# ----- collection -----------------------------------------------------------------------------
def documents_html(documents: Sequence[Any], updated: str = "") -> str:
    """The collection as a table: id, title, outlet, date, chunks (incomplete ones flagged), and
    above it the archive's size and when it last changed (`updated`: ISO 8601, UTC)."""
    if not documents:
        return '<div class="nr-empty">The collection is empty: upload articles to start.</div>'
    total_chunks = sum(int(d.chunks) for d in documents)
    rows = []
    for d in documents[:MAX_LISTED_DOCUMENTS]:
        flag = "" if d.complete else ' <span class="nr-badge nr-badge-error">incomplete</span>'
        rows.append(
            f'<tr><td class="nr-docid">{esc(d.doc_id)}</td><td>{esc(d.title)}</td><td>{esc(d.source)}</td>'
            f'<td>{esc(d.published)}</td><td class="nr-right">{int(d.chunks)}{flag}</td></tr>'
        )
    more = ""
    if len(documents) > MAX_LISTED_DOCUMENTS:
        more = f'<div class="nr-note">Showing {MAX_LISTED_DOCUMENTS:,} of {len(documents):,} documents.</div>'
    return (
        f'<div class="nr-collection"><div class="nr-summary">{len(documents):,} documents · {total_chunks:,} chunks{_updated(updated)}</div>'
        '<table class="nr-table"><thead><tr><th>Document</th><th>Title</th><th>Outlet</th><th>Date</th>'
        f'<th class="nr-right">Chunks</th></tr></thead><tbody>{"".join(rows)}</tbody></table>{more}</div>'
    )


def _updated(updated: str) -> str:
    """ " · last updated 2026-12-02 07:59 UTC" from an ISO time; nothing when unknown."""
    if not updated:
        return ""
    return f' · <span class="nr-updated">last updated {esc(updated[:16].replace("T", " "))} UTC</span>'


def status_html(kind: str, headline: str, lines: Sequence[str] = ()) -> str:
    """A short report (upload, delete) with its detail lines: kind is ok, warn or error."""
    kind = kind if kind in ("ok", "warn", "error") else "warn"
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    details = f"<ul>{items}</ul>" if items else ""
    return f'<div class="nr-report nr-report-{kind}"><div class="nr-report-head">{esc(headline)}</div>{details}</div>'


# ----- timeline -------------------------------------------------------------------------------
TIMELINE_PLACEHOLDER = (
    '<div class="nr-empty"><div class="nr-empty-title">Timeline</div>'
    "Name a story: the articles that match appear in date order, each with the sentence that matches "
    "best. Open one to read the article with that sentence highlighted.</div>"
)


def timeline_html(timeline: Mapping[str, Any], articles: Mapping[str, str]) -> str:
    """A timeline (the JSON of `newsrag timeline --json`): headings by day, week or month, one card per article."""
    entries = timeline.get("entries") or []
    if not entries:
        return f'<div class="nr-none">No articles match “{esc(timeline.get("query", ""))}” as of {esc(timeline.get("as_of", ""))}.</div>'
    parts = [
        f'<div class="nr-tl-head">{len(entries)} articles on “{esc(timeline.get("query", ""))}”, as of {esc(timeline.get("as_of", ""))}</div>'
    ]
    group = None
    for entry in entries:
        if entry.get("group") != group:
            if group is not None:
                parts.append("</section>")
            group = entry.get("group")
            parts.append(f'<section class="nr-tl-group"><h4 class="nr-tl-label">{esc(group)}</h4>')
        parts.append(timeline_entry_html(entry, articles.get(str(entry.get("doc_id")))))
    parts.append("</section>")
    return f'<div class="nr-timeline">{"".join(parts)}</div>'


def timeline_entry_html(entry: Mapping[str, Any], article: str | None) -> str:
    """One article on a timeline: date, outlet, title, its best sentence, the article with the sentence marked."""
    meta = [esc(x) for x in (entry.get("date") or "undated", entry.get("source")) if x]
    url = safe_http_url(str(entry.get("url") or ""))
    if url:
        meta.append(
            f'<a class="nr-link" href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer nofollow">original ↗</a>'
        )
    sentence = str(entry.get("sentence", ""))
    whole = ""
    if article:
        body = article_html(article, str(entry.get("passage", "")), int(entry.get("start", 0)), int(entry.get("end", 0)), [sentence])
        whole = f'<details class="nr-article"><summary>Read the whole article, sentence highlighted</summary>{body}</details>'
    return (
        f'<article class="nr-tl-entry" data-date="{esc(entry.get("date", ""))}">'
        f'<div class="nr-title">{esc(entry.get("title") or entry.get("doc_id") or "Untitled")}</div>'
        f'<div class="nr-meta">{" · ".join(meta)}</div>'
        f'<blockquote class="nr-quote">{esc(sentence)}</blockquote>{whole}</article>'
    )
