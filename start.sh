#!/usr/bin/env bash
# One command from a fresh machine to the browser chat: install newsrag with the embedded
# model, ingest the articles given (default: ./articles), and open the chat on 127.0.0.1:7860.
#   ./start.sh [ARTICLES_DIR] [--port N]
set -euo pipefail
cd "$(dirname "$0")"
articles="${1:-articles}"
shift || true
scripts/install.sh ui,llm,local-model
if [ -e "$articles" ]; then
    .venv/bin/newsrag ingest "$articles" || echo "some files were skipped (see above); serving the rest" >&2
else
    echo "no articles at $articles: upload them in the Collection tab" >&2
fi
exec .venv/bin/newsrag serve "$@"
