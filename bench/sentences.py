"""Sentence splitting: the hand-made abbreviation regex against NLTK Punkt, on real news text.

    .venv/bin/python bench/sentences.py [--articles 300] [--show 15]

Splits the cleaned text of the seed articles and of RealTime QA dev articles with both and
prints how many boundaries each places that the other does not, with examples of each to judge
by eye. The regex splitter is the one newsrag used until Punkt replaced it (commit in README);
it is kept here, inline, only to be measured against.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from pathlib import Path

from newsrag.index.clean import clean_text
from newsrag.index.sentences import split_sentences

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt gen lt col sgt capt cmdr adm gov sen rep pres supt insp jan feb mar apr jun jul aug sep sept
    oct nov dec inc ltd co corp bros dept est vs etc approx no vol fig al u.s u.k u.n e.u a.m p.m d.c i.e e.g""".split()
)
BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|\n\s*\n|\n")


def regex_boundaries(text: str) -> set[int]:
    """End offsets of sentences by the old rule: a period ends one unless an abbreviation precedes it."""
    ends = set()
    for match in BOUNDARY.finditer(text):
        if match.group(0) == ".":
            before = re.search(r"(?:^|[^A-Za-z.])([A-Za-z][A-Za-z.]*)$", text[max(0, match.start() - 12) : match.start()])
            word = before.group(1).lower().rstrip(".") if before else ""
            following = text[match.end() :].lstrip()[:1]
            if (word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())) and not (
                following.isupper() and word in {"a.m", "p.m", "etc"}
            ):
                continue
        ends.add(len(text[: match.end()].rstrip()))
    return ends


def texts(articles: int) -> list[str]:
    """Cleaned article texts: the five seed articles and a sample of RealTime QA dev."""
    out = [clean_text(p.read_text(encoding="utf-8")).text for p in sorted((SHARED / "corpus" / "seed-articles").glob("*.txt"))]
    with gzip.open(SHARED / "corpus" / "realtimeqa" / "dev_corpus.jsonl.gz", "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    random.Random(0).shuffle(records)
    out += [clean_text(r.get("text") or "").text for r in records[:articles] if r.get("text")]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--show", type=int, default=15)
    args = parser.parse_args()
    only_regex, only_punkt, both = [], [], 0
    for text in texts(args.articles):
        old = {e for e in regex_boundaries(text) if e < len(text.rstrip())}
        new = {s.end for s in split_sentences(text) if s.end < len(text.rstrip())}
        both += len(old & new)
        only_regex += [(text, e) for e in sorted(old - new)]
        only_punkt += [(text, e) for e in sorted(new - old)]
    print(f"boundaries both place: {both}; only the regex: {len(only_regex)}; only Punkt: {len(only_punkt)}")
    for name, found in (("only the regex", only_regex), ("only Punkt", only_punkt)):
        print(f"\n{name} (a random {args.show}):")
        for text, end in random.Random(1).sample(found, min(args.show, len(found))):
            print("   ", repr(text[max(0, end - 50) : end]), "|", repr(text[end : end + 40]))


if __name__ == "__main__":
    main()
