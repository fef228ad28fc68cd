"""Issue 15: axe-core (WCAG 2.0/2.1 A and AA rules) over every page of every role, with zero
serious or critical violations; unique ids and a title that says what the page is, everywhere;
staff pages that do not scroll sideways at 768 px; a keyboard walk through the declaration page.

"Every page": a crawl from the home page of each demo login, following every link the person
can see (logout, downloads and PDFs left out), plus the states a link cannot reach: failed forms.
axe-core comes from tests/browser/node_modules (`make axe`: npm ci, pinned by package-lock.json);
it is injected by Playwright (an init script, outside the page's CSP) and never served.
"""

import re
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.phone import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.presentation]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SYSTEM_NAME = "专业技术人员继续教育学时登记管理系统"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SKIP = re.compile(
    r"/logout|/evidence/|\.csv|\.pdf|\.xlsx|\.json|/result|/programme|/print|/static/|/favicon"
)
PER_PATTERN = 3  # pages of one shape (ids and page numbers aside) that are enough to judge it
MAX_PAGES = 60

_AUDIT = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: 'tag', values: tags },
                                           resultTypes: ['violations'] });
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  return {
    violations: result.violations.map(v => ({ id: v.id, impact: v.impact,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })),
    duplicates: ids.filter((id, i) => ids.indexOf(id) !== i),
    title: document.title,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  };
}"""


@pytest.fixture
def axe_page(_browser, browser_page):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make axe` (npm ci --prefix tests/browser)")
    browser_page.context.add_init_script(path=str(AXE))
    return browser_page


def _pattern(url: str) -> str:
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path) + ("?" if parts.query else "")


def _audit(page, url: str, problems: list[str], staff: bool) -> list[str]:
    found = page.evaluate(_AUDIT, TAGS)
    for v in found["violations"]:
        if v["impact"] in ("serious", "critical"):
            problems.append(f"{url}: axe {v['impact']} {v['id']} {v['nodes']}")
    if found["duplicates"]:
        problems.append(f"{url}: duplicate ids {sorted(set(found['duplicates']))}")
    if not found["title"].endswith(" - " + SYSTEM_NAME) and urlsplit(url).path != "/":
        problems.append(f"{url}: the title does not say what the page is: {found['title']!r}")
    if found["overflow"] > 0:
        problems.append(f"{url}: scrolls sideways by {found['overflow']} px")
    return found["links"]


def _crawl(page, base: str, start: list[str], staff: bool) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    seen_patterns: Counter = Counter()
    queue, visited = list(start), set()
    while queue and len(visited) < MAX_PAGES:
        url = urljoin(base + "/", queue.pop(0))
        if url in visited or not url.startswith(base) or SKIP.search(url):
            continue
        if seen_patterns[_pattern(url)] >= PER_PATTERN:
            continue
        visited.add(url)
        seen_patterns[_pattern(url)] += 1
        response = page.goto(url)
        if response is None or response.status >= 400:
            problems.append(f"{url}: HTTP {response.status if response else '?'}")
            continue
        page.wait_for_load_state()
        for href in _audit(page, url, problems, staff):
            if not href.startswith("#"):
                queue.append(urljoin(url, href).split("#")[0])
    return sorted(visited), problems


ROLES = {
    "anonymous": None,
    "professional": "王晓梅",
    "professional-pending": "杨帆",
    "unit-reviewer": "unit-yy",
    "bureau-officer": "bureau",
    "provider": "provider",
    "admin": "admin",
    "auditor": "auditor",
    "authority-officer": "authority-edu",
}


@pytest.mark.parametrize("role", list(ROLES))
def test_axe_over_every_page_of_the_role(live_server, axe_page, browser_login, demo_world, role):
    from portal.admin.demo import DEMO_PASSWORD

    page = axe_page
    who = ROLES[role]
    staff = role not in ("anonymous", "professional", "professional-pending")
    # Professionals and the public on a phone; staff at 768 px, the smallest they must support.
    page.set_viewport_size(PHONE if not staff else {"width": 768, "height": 900})
    start = [
        "/",
        "/login",
        "/register",
        "/verify",
        f"/verify/{demo_world['code']}",
        "/board?archived=y",
    ]
    if who:
        username = demo_world["by_name"].get(who, who)
        browser_login(page, live_server, username, DEMO_PASSWORD)
        start = ["/", "/board?archived=y"]
    visited, problems = _crawl(page, live_server, start, staff)
    assert len(visited) >= 3, visited
    assert not problems, "\n".join(problems)
    print(f"{role}: {len(visited)} pages", *visited, sep="\n  ")


def test_axe_over_failed_forms(live_server, axe_page, browser_login, demo_world):
    """The states a link does not reach: forms sent back with their errors."""
    from portal.admin.demo import DEMO_PASSWORD

    page, problems = axe_page, []
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/login")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    _audit(page, "/login (failed)", problems, False)
    page.goto(f"{live_server}/register")
    page.fill("input[name=id_number]", "123")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    _audit(page, "/register (failed)", problems, False)

    browser_login(page, live_server, demo_world["teacher"], DEMO_PASSWORD)
    year, (training, _) = demo_world["year"], demo_world["claims"]
    page.goto(f"{live_server}/declarations/{year}/claims/{training}")
    page.fill("input[name=days]", "")
    page.click("form.claim-form button[type=submit]")
    page.wait_for_load_state()
    _audit(page, "claim form (failed)", problems, False)
    page.goto(f"{live_server}/declarations/{year}")
    page.set_input_files(
        f"#file-{training}",
        files=[
            {
                "name": "IMG_0003.HEIC",
                "mimeType": "image/heic",
                "buffer": b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64,
            }
        ],
    )
    page.click(f"#claim-{training} .upload-form button[type=submit]")
    page.wait_for_load_state()
    assert "HEIC" in page.locator(f"#file-{training}-error").inner_text()
    _audit(page, "upload (failed)", problems, False)
    assert not problems, "\n".join(problems)
