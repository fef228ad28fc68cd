"""Issue 20.13: officers read Chinese. Every staff page of the demo reachable by its links is
scanned for shell commands, file paths, the README, and words in Latin letters that are not on
a short list of what an officer does read (PDF, Excel, ...)."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest

from portal.admin import demo
from portal.extensions import db

FORBIDDEN = ("flask ", "instance/", "README", "chinesecalendar", "--app")
# Latin words an officer reads: file formats, the QR code, units of size, UTC+08:00, the
# objection number's YY- prefix.
ALLOWED = {"PDF", "Excel", "QR", "JPG", "PNG", "HEIC", "MB", "KB", "GB", "JSON", "CSV", "XLSX",
           "ISBN", "ISSN", "HTTPS", "UTC", "YY"}  # fmt: skip
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_@./:#-])[A-Za-z]{2,}(?![A-Za-z0-9_@])")
SKIP = ("/logout", "/static/", ".pdf", ".xlsx", ".csv", ".json", "/download", "/export")
PER_PATTERN = 2  # pages of one shape (e.g. /people/<id>) visited


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.links, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("title", "placeholder", "aria-label"):
            if attrs.get(name):
                self.text.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _crawl(client, data_words):
    seen, shapes, problems = set(), {}, []
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, follow_redirects=True)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        page = _Page()
        page.feed(response.text)
        text = " ".join(page.text)
        for word in FORBIDDEN:
            if word in text:
                problems.append((path, word))
        for word in set(LATIN_WORD.findall(text)) - ALLOWED - data_words:
            problems.append((path, word))
        for href in page.links:
            url = urlparse(urljoin("http://localhost" + path, href))
            if url.netloc != "localhost" or any(s in url.path for s in SKIP):
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            shape = _shape(url.path)
            if target not in seen and shapes.get(shape, 0) < PER_PATTERN:
                shapes[shape] = shapes.get(shape, 0) + 1
                queue.append(target)
    return seen, problems


@pytest.fixture
def county(app, ctx):
    with app.test_request_context():
        logins = demo.load()
        db.session.commit()
    from portal.accounts.models import Role, User

    staff = {}
    for user in db.session.scalars(db.select(User)):
        if user.role is not Role.PROFESSIONAL and user.role not in staff:
            staff[user.role] = user.username
    # Latin words that are data, not wording: user names, demo names in Latin letters.
    words = set()
    for login in logins:
        words |= set(LATIN_WORD.findall(login.username))
    for user in db.session.scalars(db.select(User)):
        words |= set(LATIN_WORD.findall(user.username))
    return staff, words


def test_no_shell_commands_paths_or_developer_words_on_officer_pages(app, county):
    staff, data_words = county
    found = {}
    for role, username in staff.items():
        client = app.test_client()
        client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD})
        pages, problems = _crawl(client, data_words)
        assert len(pages) > 3, (role, pages)
        if problems:
            found[role.value] = sorted(set(problems))
    assert found == {}, found
