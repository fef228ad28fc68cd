"""Browser tests: the app served by a real HTTP server in a thread, driven by Debian's chromium.

Fixtures:
- `live_server`: the base URL ("http://127.0.0.1:PORT") of the test `app` (the same database as
  the factories, CSRF enabled as in production), served by werkzeug in a background thread.
- `browser_page`: a Playwright page in headless /usr/bin/chromium; `browser_page.shot("name")`
  saves tests/artifacts/<test>-<name>.png and returns its path; `browser_page.js_errors` lists
  script errors and failed resource loads (4xx/5xx other than /favicon.ico) seen so far;
  `browser_page.settled()` waits until no htmx request, swap or settle is under way (act on a
  swapped page only after it: a tick made while htmx still works on the page can be lost).
- `browser_login(page, username, password)`: fills the login form.

Chromium is a hard requirement: when it is missing the tests fail (CI installs it with apt).
"""

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--lang=zh-CN",  # the browser's own widgets ("选择文件") in Chinese, as users see them
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(app):
    """Serve the test app on 127.0.0.1 with a free port; yield the base URL."""
    app.config["WTF_CSRF_ENABLED"] = True  # as in production
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def _browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser, request):
    context = _browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_response(response):
        # A browser asks for /favicon.ico by itself; any other failed resource is a bug.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.request.method} {response.url}")

    page.on("response", on_response)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def shot(name: str, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{prefix}-{name}.png"
        # caret="initial": the default "hide" leaves style="" on inputs, which htmx's settle
        # step would copy and the CSP would (rightly) report.
        page.screenshot(path=str(path), full_page=full_page, caret="initial")
        return path

    def settled() -> None:
        page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
        )

    page.shot = shot
    page.settled = settled
    page.js_errors = errors
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        shot("failed")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


@pytest.fixture
def browser_login():
    def login(page, base_url: str, username: str, password: str = PASSWORD):
        page.goto(f"{base_url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form button[type=submit]")
        page.wait_for_load_state()

    return login


@pytest.fixture
def demo_world(app):
    """The demo county (every role has a login; the teacher 王晓梅 has a registered 2024 year and
    a printed certificate), plus a draft of this year for the teacher with two claims, one with a
    photo as evidence, one whose subject the person chooses. Returns {role label: username} and
    the facts the tests need."""
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from portal.admin import demo
    from portal.certificates import service as certificates
    from portal.clock import local_today
    from portal.declarations import service as declarations
    from portal.extensions import db

    with app.test_request_context():
        logins = demo.load()
        db.session.commit()
        by_name = {login.name: login.username for login in logins}
        teacher_login = next(login for login in logins if login.name == "王晓梅")
        from portal.accounts.models import User

        teacher = db.session.scalar(db.select(User).filter_by(username=teacher_login.username))
        year = local_today().year
        draft = declarations.open_declaration(teacher, year)
        day = f"{year}-03-01"
        training = declarations.add_claim(
            teacher,
            draft,
            "training",
            {"days": 3, "half_days": 0},
            {
                "title": "县级骨干教师信息技术应用能力提升培训（第二期）",
                "date": day,
                "issuer": "示范县教师进修学校",
                "certificate_no": "JX-2026-0012",
            },
            "professional",
        )
        photo = io.BytesIO()
        Image.new("RGB", (640, 480), (235, 230, 220)).save(photo, "JPEG")
        photo.seek(0)
        declarations.add_evidence(
            teacher,
            training,
            FileStorage(photo, filename="结业证书.jpg", content_type="image/jpeg"),
        )
        paper = declarations.add_claim(
            teacher,
            draft,
            "paper.sci",
            {},
            {
                "title": "初中数学分层作业设计研究",
                "date": day,
                "journal": "数学教育学报",
                "issn": "1004-9894",
            },
            "professional",
        )
        printed = certificates.print_certificate(teacher, teacher.professional)
        db.session.commit()
        return {
            "logins": logins,
            "by_name": by_name,
            "teacher": teacher_login.username,
            "year": year,
            "claims": (training.id, paper.id),
            "code": printed.code,
        }
