"""Headless Chromium (Debian's package) driven by Playwright, for looking at the Airflow UI.

Playwright's Python package drives the browser over the DevTools protocol with the
driver its wheel ships; it never downloads a browser here: `executable_path` points at
Debian's `/usr/bin/chromium` (`make e2e` installs it). Playwright rather than
Chromium's own `--screenshot` flag because the UI is a single-page app that renders
after login and after its API calls: the test must wait for a form field to appear
and read the page, which a one-shot screenshot cannot do.

The flags are the ones this machine needs: its network is closed, so background
networking, component updates and sync are off (otherwise Chromium keeps trying
hosts it cannot reach), and as root the sandbox must be off.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.e2e.harness.deployment import REPO_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

__all__ = [
    "ARTEFACTS",
    "CHROMIUM",
    "CHROMIUM_FLAGS",
    "airflow_page",
    "chromium",
    "open_add_connection",
    "open_form_section",
    "screenshot",
]

#: Debian's Chromium; `CONN_E2E_CHROMIUM` overrides it.
CHROMIUM = os.environ.get("CONN_E2E_CHROMIUM", "/usr/bin/chromium")
#: Where screenshots go (git-ignored build artefacts).
ARTEFACTS = REPO_ROOT / "build" / "e2e"
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


@contextmanager
def chromium(*, timeout: float = 60.0) -> Iterator["Browser"]:
    """A headless Chromium, closed afterwards. `timeout` (seconds) bounds its launch.

    Raises `FileNotFoundError` naming the install command when Chromium is missing.
    """
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only e2e tests need it)

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(
            f"{CHROMIUM} not found: `make e2e` installs it (apt-get install -y chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=list(CHROMIUM_FLAGS),
            timeout=timeout * 1000,
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def airflow_page(
    browser: "Browser",
    base_url: str,
    *,
    username: str,
    password: str,
    timeout: float = 60.0,
) -> Iterator["Page"]:
    """A page logged in to the Airflow UI at `base_url` through the simple auth manager's form.

    The UI is a single-page app that sends a visitor without a session to
    `/auth/login?next=...` from JavaScript, after the first page load; so the page goes
    to the login form straight away, fills it in, and waits until the UI has taken it
    back to its root. `timeout` (seconds) is the default for every wait on the page.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(timeout * 1000)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/auth/login?next={quote(base_url + '/', safe='')}")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/auth/" not in url)
        page.wait_for_load_state("networkidle")
        yield page
    finally:
        context.close()


def open_add_connection(page: "Page", base_url: str, hook_name: str) -> "Locator":
    """Open the UI's "Add Connection" dialog and choose the type shown as `hook_name`.

    Returns the dialog with its "Standard Fields" section open: its text then holds the
    standard fields' labels as the provider declares them (relabelled, hidden ones
    absent). `hook_name` is the type's display name (`hook_meta`'s `hook_name`, e.g.
    "SMTP"). Open the provider's `conn-fields` with `open_form_section(dialog, "Extra
    Fields")`.
    """
    page.goto(f"{base_url}/connections", wait_until="networkidle")
    page.get_by_role("button", name="Add Connection").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").first.click()
    page.keyboard.type(hook_name)
    page.get_by_role("option", name=hook_name, exact=True).click()
    dialog.get_by_text("Standard Fields").wait_for()
    page.wait_for_load_state("networkidle")
    return dialog


def open_form_section(dialog: "Locator", section: str) -> None:
    """Open one section of the connection form ("Standard Fields", "Extra Fields", ...).

    The form shows one section at a time: opening one closes the others.
    """
    dialog.get_by_role("button", name=section, exact=True).click()
    dialog.page.wait_for_load_state("networkidle")


def screenshot(page: "Page", name: str, *, folder: Path = ARTEFACTS) -> Path:
    """Save a full-page PNG of `page` as `<folder>/<name>.png`; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
