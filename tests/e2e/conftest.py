"""
The site in a real browser: Debian's Chromium driven by Playwright, against a live server.

Run with ``make e2e`` (``make test`` leaves these out: every test under this folder is marked
``e2e``, and the default options deselect that mark).
"""

import importlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from ..factories import AnswerFactory, CategoryFactory, ColumnFactory, ExpertFactory

# Playwright's sync API runs an event loop in the test's thread; Django refuses ORM calls
# from a thread with a running loop unless told it is safe, which it is here (one thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

E2E_DIR = Path(__file__).resolve().parent
ROOT = E2E_DIR.parent.parent
SCREENSHOTS = E2E_DIR / "screenshots"
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
SERIOUS = ("critical", "serious")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


# -- browser and server ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.exit(f"{CHROMIUM} is missing: `make e2e` installs Debian's chromium.", returncode=3)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(django_db_setup, live_server):
    # The test database must exist before the live server looks at the connections, so that
    # an in-memory SQLite database is shared with the server's thread.
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP}


@pytest.fixture(scope="session")
def _roles_migration_state(django_db_setup, django_db_blocker):
    """The models as the roles migration saw them, to run it again after each flush."""
    with django_db_blocker.unblock():
        return MigrationLoader(connection).project_state(("qa", "0002_roles")).apps


@pytest.fixture(autouse=True)
def _e2e_database(transactional_db, _roles_migration_state):
    """
    The live server sees only committed rows, so each test runs on a real database that is
    flushed afterwards; the flush also empties the Editors and Experts groups the roles
    migration made, so they are made again here, by that same migration code.
    """
    roles = importlib.import_module("qa.migrations.0002_roles")
    roles.create_groups(_roles_migration_state, schema_editor=None)


# -- what the browser complains about --------------------------------------------------------


@dataclass
class BrowserErrors:
    """
    Console errors, uncaught exceptions and CSP violations from every watched context; and the
    confirmations pages ask, answered OK unless a test sets ``accept_dialogs`` to False.
    """

    seen: list = field(default_factory=list)
    allowed: list = field(default_factory=list)

    # The questions pages asked with window.confirm, and the answer given to the next ones.
    dialogs: list = field(default_factory=list)
    accept_dialogs: bool = True

    def watch(self, context):
        context.on("dialog", self._dialog)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.seen.append(f"pageerror: {error.error}"))
        return context

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        if self.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    def _console(self, message):
        if message.type == "error":
            self.seen.append(f"console.error at {message.location.get('url')}: {message.text}")

    def allow(self, pattern):
        """Expect messages like this one (a deliberate 404, say): they do not fail the test."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self):
        return [m for m in self.seen if not any(p.search(m) for p in self.allowed)]


@pytest.fixture
def browser_errors():
    return BrowserErrors()


@pytest.fixture(autouse=True)
def _fail_on_browser_errors(request, browser_errors):
    if "context" in request.fixturenames:
        browser_errors.watch(request.getfixturevalue("context"))
    yield
    unexpected = browser_errors.unexpected()
    if unexpected:
        pytest.fail("The browser reported errors:\n" + "\n".join(unexpected), pytrace=False)


# -- signing in through the admin's login form -----------------------------------------------


def log_in(page, username, password="pw"):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


@pytest.fixture
def staff_page(new_context, browser_errors):
    """``staff_page(user)``: a page in its own browser context, signed in as ``user``."""

    def open_as(user, password="pw"):
        context = browser_errors.watch(new_context())
        return log_in(context.new_page(), user.username, password)

    return open_as


@pytest.fixture
def published_column(db):
    """A column shaped like the source piece: two approved answers, in the editor's order."""
    category = CategoryFactory(name="Job Interviews", slug="job-interviews")
    column = ColumnFactory(
        published=True,
        is_featured=True,
        category=category,
        question__category=category,
        question__body="I had a great interview last week. Should I follow up on Facebook?",
        question__signature="D",
        title="Should I Follow Up With An Interviewer Over Facebook?",
        slug="follow-up-over-facebook",
        dek="After an interview, it's very important to reach out to the employer.",
    )
    first = ExpertFactory(name="Debra Wheatman", company="Careers Done Write", slug="debra")
    second = ExpertFactory(name="Heather Huhman", company="Come Recommended", slug="heather")
    AnswerFactory(
        column=column,
        expert=first,
        position=1,
        headline="Send A Thank-You Note ASAP",
        body="Send a **thank-you note** by email the same day.\n\n- be brief\n- be specific",
    )
    AnswerFactory(
        column=column,
        expert=second,
        position=2,
        headline="Keep Facebook Personal",
        body="Use [LinkedIn](https://www.linkedin.com/) instead.",
    )
    return column


@pytest.fixture
def editor_page(staff_page, editor):
    return staff_page(editor)


@pytest.fixture
def expert_page(staff_page, expert_a):
    """Expert A (``expert_a``, username alice), signed in."""
    return staff_page(expert_a)


# -- axe-core --------------------------------------------------------------------------------


@dataclass
class AxeReport:
    url: str
    by_impact: dict

    def count(self, *impacts):
        return sum(len(self.by_impact.get(impact, [])) for impact in impacts)

    def serious(self):
        return [v for impact in SERIOUS for v in self.by_impact.get(impact, [])]

    def describe(self, violations):
        return "\n".join(
            f"  [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements, e.g. "
            f"{v['nodes'][0]['target'] if v['nodes'] else '-'})"
            for v in violations
        )


AXE_REPORTS = []


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_SCRIPT.exists():
        pytest.exit(f"{AXE_SCRIPT} is missing: `make e2e` runs npm ci.", returncode=3)
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source):
    """
    ``axe(page)`` runs axe-core on the page as it is and returns an AxeReport, violations
    grouped by impact. The script goes in through the DevTools protocol, which the page's CSP
    does not govern, so the page is checked with its real policy in force.
    """

    def run(page, label=None):
        page.evaluate(axe_source + "\n;undefined")
        violations = page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact || "minor", help: v.help,
                    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html})),
                }));
            }"""
        )
        by_impact = {}
        for violation in violations:
            by_impact.setdefault(violation["impact"], []).append(violation)
        report = AxeReport(url=label or page.url, by_impact=by_impact)
        AXE_REPORTS.append(report)
        return report

    return run


# -- screenshots -----------------------------------------------------------------------------


SCREENSHOT_FILES = []


@pytest.fixture
def screenshot():
    """``screenshot(page, name)``: full-page PNGs at 1280 and 375 px wide, then back to 1280."""

    def take(page, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        paths = []
        for label, viewport in (("1280", DESKTOP), ("375", PHONE)):
            page.set_viewport_size(viewport)
            path = SCREENSHOTS / f"{name}-{label}.png"
            page.screenshot(path=path, full_page=True)
            paths.append(path)
        page.set_viewport_size(DESKTOP)
        SCREENSHOT_FILES.extend(paths)
        return paths

    return take


def pytest_terminal_summary(terminalreporter):
    if AXE_REPORTS:
        terminalreporter.section("axe-core violations by page (impact: count)")
        for report in AXE_REPORTS:
            counts = {
                impact: report.count(impact)
                for impact in ("critical", "serious", "moderate", "minor")
            }
            terminalreporter.write_line(f"{report.url}: {json.dumps(counts)}")
            listed = [v for i in ("moderate", "minor") for v in report.by_impact.get(i, [])]
            if listed:
                terminalreporter.write_line(report.describe(listed))
    if SCREENSHOT_FILES:
        terminalreporter.section("screenshots")
        terminalreporter.write_line(
            f"{len(SCREENSHOT_FILES)} PNGs in {SCREENSHOTS.relative_to(ROOT)}/"
        )
