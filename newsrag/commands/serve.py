"""`newsrag serve`: the browser chat on a local port.

Gradio is an optional dependency (`newsrag[ui]`), imported only here and only when serving.
Listening beyond this machine without a login is allowed but warned about: the page can
upload and delete articles.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

import newsrag.offline  # noqa: F401  (GRADIO_ANALYTICS_ENABLED=False before gradio is imported)
from newsrag.settings import Settings

INSTALL_HINT = "the browser chat needs Gradio: pip install 'newsrag[ui]'"
QUEUE_MAX_SIZE = 64  # waiting events beyond this are refused with "queue full"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """("user", "password") from "USER:PASS"; None when no login is configured."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        from newsrag.commands.common import UsageError

        raise UsageError("--auth must be USER:PASS (both non-empty)")
    return user, password


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    host = host.strip().strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, auth: tuple[str, str] | None) -> str | None:
    """The warning printed when the server listens beyond this machine without a login."""
    if is_loopback(host) or auth:
        return None
    return (
        f"newsrag serve: warning: listening on {host} without a login; anyone who can reach this port can "
        "read, upload and delete articles (use --auth USER:PASS)"
    )


def launch(settings: Settings, auth: tuple[str, str] | None = None, block: bool = True, quiet: bool = False) -> Any:
    """Build the page and serve it; returns the running `gr.Blocks` (when `block` is false)."""
    from newsrag.components import open_pipeline
    from newsrag.ui.actions import Actions
    from newsrag.ui.app import CHAT_CONCURRENCY, build_app, launch_options

    demo = build_app(settings, Actions(settings, open_pipeline(settings)))
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_MAX_SIZE)
    demo.launch(
        server_name=settings.serve.host,
        server_port=settings.serve.port,
        auth=auth,
        share=False,
        prevent_thread_lock=not block,
        quiet=quiet,
        footer_links=["api"],
        run_history=False,
        enable_monitoring=False,
        mcp_server=False,
        ssr_mode=False,
        pwa=False,
        max_file_size=settings.ingest.max_file_bytes,
        **launch_options(),
    )
    return demo


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the browser chat until interrupted."""
    try:
        import gradio  # noqa: F401
    except ImportError:
        print(f"newsrag serve: {INSTALL_HINT}", file=sys.stderr)
        return 1
    from newsrag.commands.common import settings_from

    settings = settings_from(args)
    auth = parse_auth(settings.serve.auth)
    warning = exposure_warning(settings.serve.host, auth)
    if warning:
        print(warning, file=sys.stderr)
    launch(settings, auth=auth, block=True)
    return 0
