"""The desk's console as a person uses it, in Debian's Chromium driven by Playwright: sign in,
open the article held for its altered disclaimer, see what changed, approve it with a reason,
find it published and the record naming the reviewer; a compliance officer refused the verdict;
an expired session sent back to sign-in. Screenshots of the queue and of the held article go to
build/ so a person can look without running anything.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from clearance.local.cognito import Person
from clearance.local.stack import LocalStack
from tests.conftest import CHROMIUM, CHROMIUM_QUIET, PROJECT
from tests.e2e.conftest import (
    ALTERED,
    decisions,
    deliver,
    eventually,
    kill,
    menafn_article,
    request,
    signed_token,
    token_claims,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
from playwright.sync_api import Browser, Page, expect  # noqa: E402

BUILD = PROJECT / "build"
TOKEN_KEY = "clearance.desk.idToken"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_QUIET))
        yield launched
        launched.close()


@pytest.fixture
def held(stack: LocalStack) -> dict[str, Any]:
    """A fresh stack holding the demo's altered-disclaimer article, and a second one."""
    stack.reset()
    body = ALTERED.read_bytes()
    headline = body.split(b"\n", 1)[0]
    deliver(stack, body, "console-altered")
    deliver(stack, body.replace(headline, headline + b" (second)", 1), "console-second")
    assert stack.desk is not None
    reviewer = stack.desk.member("reviewers")
    token = _sign_in_token(stack, reviewer.username, reviewer.password)

    def both() -> list[dict[str, Any]] | None:
        answer = request(f"{stack.base_url}/desk/v1/review", None, {"Authorization": token}, "GET")
        items = answer.json["held"] if answer.status == 200 else []
        return items if len(items) == 2 else None

    items = eventually(both, "both articles held")
    return {"first": items[0], "second": items[1], "headline": headline.decode()}


def _sign_in_token(stack: LocalStack, username: str, password: str) -> str:
    from clearance.local.cognito import sign_in  # noqa: PLC0415

    assert stack.desk is not None
    return sign_in(stack.endpoint_url, stack.desk.client_id, username, password)


def _page(browser: Browser, problems: list[str]) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page


def _signed_in(browser: Browser, stack: LocalStack, person: Person, problems: list[str]) -> Page:
    """A tab at the console, `person` signed in with the keyboard alone, their queue shown."""
    page = _page(browser, problems)
    page.goto(stack.console_url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").focus()
    page.keyboard.type(person.username)
    page.keyboard.press("Tab")
    page.keyboard.type(person.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Held for review")).to_be_visible()
    return page


def test_a_reviewer_approves_the_altered_disclaimer_and_the_record_names_them(
    stack: LocalStack, browser: Browser, held: dict[str, Any]
) -> None:
    assert stack.desk is not None
    reviewer = stack.desk.member("reviewers")
    problems: list[str] = []
    # Given the reviewer signs in with the keyboard alone
    page = _signed_in(browser, stack, reviewer, problems)
    # Then the queue shows both held versions, oldest first, with their findings in words
    expect(page.get_by_text(f"Signed in as {reviewer.username} ({reviewer.email})")).to_be_visible()
    queue = page.get_by_role("table", name="Versions held for a person, oldest first")
    expect(queue.get_by_role("row")).to_have_count(3)
    expect(queue).to_contain_text("differs from the registered text")
    BUILD.mkdir(exist_ok=True)
    page.screenshot(path=str(BUILD / "console-queue.png"), full_page=True)
    # When the reviewer opens the altered-disclaimer article
    page.get_by_role("link", name=held["headline"], exact=True).click()
    expect(page.get_by_role("heading", name=held["headline"], exact=True)).to_be_visible()
    # Then the diff against the registered disclaimer shows what was removed
    expect(page.get_by_text("Changed against the registered text:")).to_be_visible()
    removed = page.locator("del")
    expect(removed.first).to_be_visible()
    assert "do not" in " ".join(removed.all_inner_texts())
    # and the copy an approval would publish, rendered with the registered disclaimer
    frame = page.frame_locator('iframe[title="The copy that would be published"]')
    expect(frame.locator("body")).to_contain_text("We do not accept any responsibility")
    page.screenshot(path=str(BUILD / "console-held.png"), full_page=True)
    # When the reviewer approves without a reason, nothing is sent and the page says why
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text("Give a reason for the decision.")
    # Then, with a reason typed and Approve pressed from the keyboard
    page.get_by_label("Reason").focus()
    page.keyboard.type("Wording agreed with MENAFN's desk")
    page.get_by_role("button", name="Approve").focus()
    page.keyboard.press("Enter")
    named = f"{reviewer.username} <{reviewer.email}>"
    expect(page.get_by_role("status")).to_contain_text(f"Approved by {named}")
    expect(page.get_by_role("status")).to_contain_text("is now published")
    # And the audit names that reviewer on the article's record
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Verified: "))).to_be_visible()
    page.goto(f"{stack.console_url}#record/{held['first']['article']}")
    expect(page.get_by_role("heading", name=re.compile("^Record of"))).to_be_visible()
    expect(page.get_by_text(f"Reviewed by {named}: approve")).to_be_visible()
    # And the service agrees: the version is published, the verdict on record is theirs
    token = _sign_in_token(stack, reviewer.username, reviewer.password)
    record = request(
        f"{stack.base_url}/desk/v1/audit/articles/{held['first']['article']}",
        None,
        {"Authorization": token},
        "GET",
    ).json
    reviews = [d["review"] for d in record["decisions"] if d.get("review")]
    assert [(r["reviewer"], r["verdict"]) for r in reviews] == [(named, "approve")]
    assert problems == []


def test_a_compliance_officer_is_refused_the_verdict_by_the_service(
    stack: LocalStack, browser: Browser, held: dict[str, Any]
) -> None:
    assert stack.desk is not None
    officer = stack.desk.member("compliance")
    problems: list[str] = []
    page = _signed_in(browser, stack, officer, problems)
    page.get_by_role("link", name=held["headline"], exact=True).click()
    page.get_by_label("Reason").fill("I would approve this")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Only a member of the reviewers group may decide."
    )
    token = _sign_in_token(stack, officer.username, officer.password)
    still = request(f"{stack.base_url}/desk/v1/review", None, {"Authorization": token}, "GET")
    assert held["first"]["article"] in {item["article"] for item in still.json["held"]}
    assert problems == []


def test_an_expired_session_goes_back_to_sign_in(
    stack: LocalStack, browser: Browser, held: dict[str, Any]
) -> None:
    assert stack.desk is not None
    reviewer = stack.desk.member("reviewers")
    claims = token_claims(_sign_in_token(stack, reviewer.username, reviewer.password))
    past = int(time.time()) - 60
    expired = signed_token({**claims, "exp": past})
    # Given a tab whose session holds that token before any of the page's scripts run
    page = _page(browser, [])
    page.add_init_script(f"sessionStorage.setItem({json.dumps(TOKEN_KEY)}, {json.dumps(expired)})")
    # When the console is opened at the queue
    page.goto(f"{stack.console_url}#queue")
    # Then it is back at sign-in, says why, and has dropped the token
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Your session has ended; sign in again.")
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None


def test_a_kill_is_listed_with_its_article_and_the_copies_it_took_down(
    stack: LocalStack, browser: Browser
) -> None:
    # Given a published MENAFN article that MENAFN then killed
    stack.reset()
    assert deliver(stack, menafn_article("console-kill"), "console-kill").status == 202
    record = eventually(
        lambda: next((r for r in decisions(stack) if r["outcome"] == "cleared"), None),
        "the article published",
    )
    article = record["article"]["id"]
    assert kill(stack, "menafn", article, "legal").status == 202
    assert stack.desk is not None
    officer = stack.desk.member("compliance")
    problems: list[str] = []
    # When the compliance officer opens the kills
    page = _signed_in(browser, stack, officer, problems)
    page.get_by_role("link", name="Kills").click()
    # Then the kill's row names the article, links to its record, and counts the three copies
    table = page.get_by_role("table", name="Kills received, and whether every copy went in time")
    row = table.get_by_role("row").nth(1)
    expect(row.get_by_role("cell").nth(0)).to_have_text("menafn")
    expect(row.get_by_role("cell").nth(5)).to_have_text("3")
    row.get_by_role("link", name=article).click()
    expect(page.get_by_role("heading", name=re.compile("^Record of"))).to_be_visible()
    assert problems == []


def test_the_log_is_verified_again_only_when_the_audits_dates_change(
    stack: LocalStack, browser: Browser, held: dict[str, Any]
) -> None:
    assert stack.desk is not None
    problems: list[str] = []
    page = _signed_in(browser, stack, stack.desk.member("compliance"), problems)
    checked: list[str] = []
    page.on(
        "request",
        lambda asked: checked.append(asked.url) if "/audit/verification" in asked.url else None,
    )
    # Given the audit opened, its banner verifying the whole log once
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_text(re.compile(r"^Verified: "))).to_be_visible()
    assert len(checked) == 1
    # When only the provider is filtered, the decisions are read again but not the chain
    page.get_by_label("Provider").fill("menafn")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status").filter(has_text="Showing")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Verified: "))).to_be_visible()
    assert len(checked) == 1
    # When the dates change, the banner answers for the new period
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text(re.compile(r"^Verified: "))).to_be_visible()
    assert len(checked) == 2
    assert "from=2026-01-01" in checked[-1]
    assert problems == []
