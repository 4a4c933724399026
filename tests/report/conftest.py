"""A real browser for the report tests: Playwright driving Debian's Chromium.

``.ci/run`` installs ``chromium`` with apt-get when it runs as root. Where no Chromium can be
found, or Playwright is missing, the browser tests skip with the reason printed (``-rs``).
The page may load only itself: every request is recorded, and a test fails on any whose URL
is not the report file, ``data:`` or ``blob:``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium (or one named by ``BERTOLOGY_CHROMIUM``), if installed."""
    for candidate in (
        os.environ.get("BERTOLOGY_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@dataclass
class Opened:
    """A report opened in the browser, with what it logged and requested."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self, own: str) -> list[str]:
        return [u for u in self.requests if u != own and not u.startswith(("data:", "blob:"))]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    exe = chromium_path()
    if exe is None:
        pytest.skip("no Chromium (apt-get install chromium, or set BERTOLOGY_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def open_report(browser):
    """``open_report(path) -> Opened``: load a report file and wait for its scripts to settle."""
    contexts = []

    def _open(path: str | Path, width: int = 1280, height: int = 900) -> Opened:
        ctx = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(ctx)
        page = ctx.new_page()
        opened = Opened(page=page)
        page.on(
            "console",
            lambda m: opened.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: opened.page_errors.append(str(e)))
        page.on("request", lambda r: opened.requests.append(r.url))
        page.goto(Path(path).resolve().as_uri())
        page.wait_for_load_state("load")
        # charts load asynchronously (the inline plotly bundle is decompressed first)
        page.wait_for_function("() => !window.bertology || window.bertology.ready === true")
        return opened

    yield _open
    for ctx in contexts:
        ctx.close()


def screenshot_not_blank(png: bytes) -> float:
    """The standard deviation of the screenshot's pixels: about 0 for a blank page."""
    import io

    import matplotlib.image as mpimg
    import numpy as np

    img = mpimg.imread(io.BytesIO(png), format="png")
    return float(np.asarray(img)[..., :3].std())


@pytest.fixture
def screenshot_std():
    """:func:`screenshot_not_blank` as a fixture (test modules cannot import this conftest
    by name under ``--import-mode=importlib``)."""
    return screenshot_not_blank
