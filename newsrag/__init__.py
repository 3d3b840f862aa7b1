"""newsrag: grounded question answering over a collection of news articles.

This package holds what every room of the product shares: the settings model, the
offline guard and the command line. The work itself lives in the sibling packages
`index` (articles in), `rag` (answers out), `ui` (browser chat) and `eval` (scores).
"""

__version__ = "0.1.0"
