"""newsrag: grounded question answering over a collection of news articles.

One installed package. Its core is `settings`, `messages` and `offline` (they import nothing of
ours); the work lives in the subpackages `newsrag.index` (articles in, the `index/` folder),
`newsrag.rag` (answers out, `rag/`), `newsrag.ui` (browser chat, `ui/`) and `newsrag.eval`
(scores, `eval/`); `components` builds the parts from the settings, and `cli` with `commands`
is the command line on top, which nothing imports. tests/test_layering.py keeps it so.
"""

__version__ = "0.1.0"
