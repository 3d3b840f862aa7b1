"""Helpers and data for the browser-chat tests (tests/test_ui_browser.py, tests/test_ui_api.py)."""
