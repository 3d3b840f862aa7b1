"""Evaluation of newsrag: retrieval and answer quality, speed and scale, with reports.

`newsrag eval retrieval|answers|bench` (see `eval.commands`) drives the product exactly as a
user would (through `index/` and `rag/`) and scores what comes out.
"""
