"""The thin path of issue 2, clicked through in chromium like its users would:
self-registration → confirmation by the unit → declaration with evidence → review →
publicity → registration → certificate PDF → public verification.

Only the accounts the demo/admin would have created (a unit with its reviewer, a bureau officer)
come from factories; every step of the journey goes through the real pages."""

import re
import subprocess
from datetime import date, timedelta

import pytest

from portal import pagecache
from portal.accounts.idnumbers import make_id_number
from portal.accounts.models import Role, mask_id_number, mask_name
from portal.board import service as board_service
from portal.clock import local_today
from portal.declarations import service as declarations_service
from portal.rules.calendar import is_workday
from portal.units.models import UnitType
from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NAME = "王晓明"
PHONE = "13912345678"
UNIT = "广德市第一人民医院"


def tiny_pdf(text: str) -> bytes:
    """A small but complete one-page PDF (valid xref) whose content differs per `text`."""
    stream = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def workdays_before(day: date, n: int, step: int = -1) -> date:
    while n:
        day += timedelta(days=step)
        if is_workday(day):
            n -= 1
    return day


def workdays_after(day: date, n: int) -> date:
    return workdays_before(day, n, step=1)


def fill_start(officer, start: date) -> tuple[date, date]:
    """Type the batch's start date; read the period (S, E) the page computes for it."""
    officer.fill("#start", start.isoformat())
    officer.wait_for_function(
        "s => document.querySelector('#period').innerText.includes(s)", arg=start.isoformat()
    )
    period_text = officer.inner_text("#period")
    found = re.findall(r"\d{4}-\d{2}-\d{2}", period_text)
    assert len(found) == 2, period_text
    return date.fromisoformat(found[0]), date.fromisoformat(found[1])


# htmx logs an aborted request with console.error. The live preview of the claim form uses
# hx-sync="this:replace", which aborts the preview still in flight when the next keystroke or
# change arrives: by design, nothing fails (the newer preview is shown). Only these two lines,
# only on the claim form, are tolerated; any other console error fails the test.
HTMX_ABORT = re.compile(
    r"^\[professional\] error: htmx:(afterRequest|sendAbort), \[object HTMLDivElement\] "
    r"@ \S+/declarations/\d{4}/claims/new\?kind=\w+$"
)


class Problems:
    """Console errors and CSP violations of every page of the journey."""

    def __init__(self):
        self.console: list[str] = []
        self.other: list[str] = []

    def watch(self, page, label: str, own_errors: bool = True) -> None:
        def on_console(message):
            if message.type == "error" or "Content Security Policy" in message.text:
                self.console.append(f"[{label}] {message.type}: {message.text} @ {page.url}")

        page.on("console", on_console)
        if own_errors:  # browser_page already records these in page.js_errors
            page.on("pageerror", lambda error: self.other.append(f"[{label}] {error}"))

            def on_response(response):
                if response.status >= 400 and not response.url.endswith("/favicon.ico"):
                    self.other.append(
                        f"[{label}] {response.status} {response.request.method} {response.url}"
                    )

            page.on("response", on_response)


def shooter(page, prefix: str):
    """page.shot() that leaves the page as it was.

    The harness's shot() uses Playwright's default caret="hide", which leaves an empty
    style="" attribute on every input, select and textarea; htmx's settle step then copies
    style="" onto the swapped-in elements with setAttribute, which the CSP (style-src 'self')
    reports as an inline-style violation that no user would ever cause."""

    def shot(name: str, full_page: bool = True):
        path = ARTIFACTS / f"{prefix}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page, caret="initial")
        return path

    return shot


@pytest.fixture
def open_page(_browser, request):
    """Another browser (a new context: its own cookies) with the same settings and shot()."""
    prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    contexts = []

    def open_(problems: Problems, label: str):
        context = _browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page, label)

        page.shot = shooter(page, prefix)
        return page

    yield open_
    for context in contexts:
        context.close()


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("main")


def nav(page, label: str) -> None:
    """Click a main navigation link (hx-boost: no full navigation) and wait for its page."""
    link = page.locator("nav.nav a", has_text=label)
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    page.wait_for_function(
        "label => document.querySelector('nav.nav a[aria-current=page]')"
        " && document.querySelector('nav.nav a[aria-current=page]').innerText.includes(label)",
        arg=label,
    )


def add_claim(page, year: int, kind_label: str, values: dict, selects: dict, hours: int) -> None:
    page.click("text=添加申报条目")
    page.wait_for_url(re.compile(rf"/declarations/{year}/claims/new$"))
    page.click(f"a.kind-link:has-text('{kind_label}')")
    page.wait_for_url(re.compile(rf"/declarations/{year}/claims/new\?kind="))
    for name, value in selects.items():
        page.select_option(f"form.claim-form #{name}", value)
    for name, value in values.items():
        page.fill(f"form.claim-form #{name}", value)
    page.wait_for_function(
        "h => document.querySelector('#claim-preview .preview-hours') &&"
        " document.querySelector('#claim-preview .preview-hours').innerText.includes(h + ' 学时')",
        arg=str(hours),
    )


def test_thin_path_from_registration_to_certificate(
    live_server, browser_page, open_page, make_unit, make_user, monkeypatch, tmp_path, request
):
    base = live_server
    problems = Problems()
    unit = make_unit(name=UNIT, type=UnitType.INSTITUTION)
    make_user(Role.UNIT_REVIEWER, username="reviewer1", name="李审核", unit=unit)
    make_user(Role.BUREAU_OFFICER, username="officer1", name="张科员")
    id_number = make_id_number(date(1986, 5, 17), 123)
    masked_id = mask_id_number(id_number)
    year = declarations_service.current_year()

    # 1. Self-registration ----------------------------------------------------------------
    me = browser_page
    prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    me.shot = shooter(me, prefix)
    problems.watch(me, "professional", own_errors=False)
    me.goto(f"{base}/")
    me.shot("thin-01-home")
    me.click("a:has-text('专业技术人员注册')")
    me.wait_for_url(f"{base}/register")
    me.fill("#id_number", id_number)
    me.fill("#name", NAME)
    me.fill("#phone", PHONE)
    me.select_option("#unit", label=UNIT)
    me.fill("#works_since", "2016-07-01")
    me.select_option("#title_series", "卫生")
    me.select_option("#title_level", "中级")
    me.fill("#title_name", "主治医师")
    me.fill("#password", PASSWORD)
    me.fill("#confirm", PASSWORD)
    me.shot("thin-02-register-filled")
    me.click("form button[type=submit]:has-text('注册')")
    # One answer whether or not the number was known: log in with the password just set.
    me.wait_for_url(f"{base}/login")
    flash = me.inner_text(".flashes")
    assert "注册申请已提交" in flash and f"需经“{UNIT}”确认" in flash, flash
    me.fill("input[name=username]", id_number)
    me.fill("input[name=password]", PASSWORD)
    me.click("form button[type=submit]")
    me.wait_for_url(f"{base}/declarations/")  # the home page sends a professional here
    assert NAME in me.inner_text("header.site-header")  # logged in
    assert "尚待所在单位确认" in me.inner_text("main")
    me.shot("thin-03-registered-pending-confirmation")

    # 2. The unit reviewer confirms the person ----------------------------------------------
    reviewer = open_page(problems, "reviewer")
    login(reviewer, base, "reviewer1")
    nav(reviewer, "人员确认")
    row = reviewer.locator("tr", has_text=NAME)
    assert row.count() == 1
    assert id_number in row.inner_text()  # the reviewer sees the full number, to check it
    reviewer.shot("thin-05-people-to-confirm")
    row.locator("button:has-text('确认')").first.click()
    reviewer.wait_for_load_state()
    assert f"已确认{NAME}" in reviewer.inner_text(".flashes")
    assert reviewer.locator("tr", has_text=NAME).count() == 0
    reviewer.shot("thin-06-person-confirmed")

    # 3. The professional declares this year -----------------------------------------------
    me.reload()
    assert "尚待所在单位确认" not in me.inner_text("main")
    open_button = me.locator(f"button:has-text('填写{year}年度申报')")
    assert open_button.count() == 1, f"the page does not offer {year} as a year to declare"
    me.shot("thin-07-declarations-index")
    open_button.click()
    me.wait_for_url(f"{base}/declarations/{year}")
    assert "0 / 60 学时" in me.inner_text("#totals")
    assert "0 / 90 学时" in me.inner_text("#totals")

    add_claim(
        me,
        year,
        "培训、研修或进修",
        {
            "days": "10",
            "title": "全县卫生系统业务骨干培训班",
            "date": f"{year}-03-16",
            "issuer": "广德市卫生健康委员会",
            "certificate_no": f"WJ-{year}-0042",
        },
        {"subject": "professional"},
        hours=60,
    )
    me.shot("thin-08-training-preview")
    me.click("form.claim-form button[type=submit]")
    me.wait_for_url(re.compile(rf"/declarations/{year}(#claim-\d+)?$"))
    assert "60学时" in me.inner_text(".flashes")

    add_claim(
        me,
        year,
        "网络课件学习",
        {
            "hours": "30",
            "title": "专业技术人员公需科目：数字经济与创新驱动",
            "date": f"{year}-05-20",
            "issuer": "安徽省专业技术人员继续教育在线",
        },
        {"subject": "general"},
        hours=30,
    )
    me.shot("thin-09-courseware-preview")
    me.click("form.claim-form button[type=submit]")
    me.wait_for_url(re.compile(rf"/declarations/{year}(#claim-\d+)?$"))
    assert me.locator("article.claim").count() == 2
    totals = me.inner_text("#totals")
    assert "60 / 60 学时" in totals and "90 / 90 学时" in totals, totals
    assert me.inner_text("#totals .general-figure .big-number") == "30"
    assert "已达标" in totals
    me.shot("thin-10-two-claims")

    # evidence: a different small PDF for each claim
    for index, claim in enumerate(["培训、研修或进修", "网络课件学习"], start=1):
        proof = tmp_path / f"证明{index}.pdf"
        proof.write_bytes(tiny_pdf(f"proof {index}"))
        card = me.locator("article.claim", has_text=claim)
        card.locator("input[type=file][multiple]").set_input_files(str(proof))
        card.locator("form.upload-form button").click()
        me.wait_for_function(
            "n => document.querySelectorAll('.no-evidence').length === n", arg=2 - index
        )
        assert "已上传证明材料" in me.inner_text(".flashes")
        assert proof.name in me.locator("article.claim", has_text=claim).inner_text()
    totals = me.inner_text("#totals")
    assert "60 / 60 学时" in totals and "90 / 90 学时" in totals, totals
    me.shot("thin-11-evidence-attached")

    me.click("text=提交申报…")
    me.wait_for_url(f"{base}/declarations/{year}/submit")
    main = me.inner_text("main")
    assert "申报提交后不予修改、撤销" in main
    assert "暂时不能提交" not in main
    me.shot("thin-12-submit-confirmation")
    me.click("button:has-text('确认提交')")
    me.wait_for_url(f"{base}/declarations/{year}")
    assert "待核验" in me.inner_text("h1")
    assert me.locator("form.upload-form").count() == 0
    assert me.locator("text=添加申报条目").count() == 0
    assert me.locator("text=提交申报…").count() == 0
    assert me.locator("article.claim button.danger, article.claim .danger-link").count() == 0
    assert me.locator("article.claim a:has-text('修改')").count() == 0
    assert me.locator("form.subject-form").count() == 0
    me.shot("thin-13-submitted-read-only")

    # 4. The unit reviewer reviews item by item and approves -------------------------------
    nav(reviewer, "申报核验")
    queued = reviewer.locator("#queue tr", has_text=NAME)
    assert queued.count() == 1
    assert masked_id in queued.inner_text()
    reviewer.shot("thin-14-review-queue")
    queued.locator("a:has-text('核验')").click()
    reviewer.wait_for_url(re.compile(r"/review/\d+$"))
    claim_ids = reviewer.locator("article.claim").evaluate_all("els => els.map(e => e.id)")
    assert len(claim_ids) == 2
    reviewer.shot("thin-15-review-declaration")
    for claim_id in claim_ids:
        card = reviewer.locator(f"article#{claim_id}")
        card.locator("input[type=radio][value=accepted]").check()
        card.locator("button:has-text('保存认定')").click()
        reviewer.locator(f"article#{claim_id} .saved").wait_for()
        assert "认定" in reviewer.locator(f"article#{claim_id} .page-head .badge").inner_text()
    summary = reviewer.inner_text("#accepted-summary")
    assert "达到年度要求" in summary and "项未认定" not in summary, summary
    assert [reviewer.inner_text(f"#accepted-summary .big-number >> nth={i}") for i in range(3)] == [
        "30",
        "60",
        "90",
    ]
    reviewer.shot("thin-16-claims-accepted")
    reviewer.click("button:has-text('核验通过')")
    reviewer.wait_for_load_state()
    assert "已核验通过" in reviewer.inner_text(".flashes")
    assert "核验通过" in reviewer.inner_text(".page-head .badge")
    reviewer.shot("thin-17-approved")

    # 5. The bureau officer opens a publicity batch ---------------------------------------
    officer = open_page(problems, "officer")
    login(officer, base, "officer1")
    nav(officer, "公示管理")
    candidate = officer.locator("tr", has_text=NAME)
    assert candidate.count() == 1
    assert candidate.locator("input[type=checkbox]").is_checked()
    # A backdated period is refused: nobody could have objected during it.
    fill_start(officer, workdays_before(local_today(), 20))
    officer.click("button:has-text('发起公示')")
    officer.wait_for_selector(".has-error #start")
    assert "公示开始日期不能早于今天" in officer.inner_text("main")
    refusal = f"[officer] 422 POST {base}/board/batches"
    assert problems.other.count(refusal) == 1, problems.other
    problems.other.remove(refusal)  # the expected answer to a refused form
    problems.console = [line for line in problems.console if "status of 422" not in line]
    officer.shot("thin-18-past-start-refused")
    start, end = fill_start(officer, workdays_after(local_today(), 1))
    officer.shot("thin-18b-batch-form")
    officer.click("button:has-text('发起公示')")
    officer.wait_for_url(re.compile(r"/board/batches/\d+$"))
    assert f"{start.isoformat()} 至 {end.isoformat()}" in officer.inner_text(".flashes")
    assert NAME in officer.inner_text("main")
    officer.shot("thin-19-batch-opened")

    public = open_page(problems, "public")
    public.goto(f"{base}/board")
    assert public.locator("section.board-batch tr", has_text=NAME).count() == 0  # not yet

    # The bureau's clock moves on (the live server runs in this process): the period starts.
    monkeypatch.setattr(board_service, "local_today", lambda: start)
    later = pagecache._clock() + 61  # and a minute passes: the kept page has expired
    monkeypatch.setattr(pagecache, "_clock", lambda: later)
    public.reload()
    row = public.locator("section.board-batch tr", has_text=NAME)
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells[:6] == [NAME, UNIT, str(year), "30", "60", "90"], cells
    content = public.content()
    assert id_number not in content
    assert masked_id not in content
    assert id_number[:6] + "*" not in content  # no other masking of it either
    public.shot("thin-20-public-board")

    # 6. The period is over: the officer's button registers the record ---------------------
    monkeypatch.setattr(board_service, "local_today", lambda: end + timedelta(days=1))
    officer.click("a:has-text('公示管理')")
    officer.wait_for_url(f"{base}/board/batches")
    batch_row = officer.locator("section.card tr", has_text=f"{start.isoformat()} 至")
    assert "期满待办结" in batch_row.inner_text()
    officer.shot("thin-21-batch-due")
    officer.click("button:has-text('立即办结到期公示')")
    officer.wait_for_url(f"{base}/board/batches")
    assert "登记 1 份" in officer.inner_text(".flashes")
    assert "已办结" in batch_row.inner_text()
    officer.shot("thin-22-publicity-closed")
    public.reload()
    assert "已登记" in public.locator("section.board-batch tr", has_text=NAME).inner_text()

    # 7. The certificate: print, download, check, verify -----------------------------------
    nav(me, "我的证书")
    registered = me.locator("tr", has_text=str(year)).first
    assert registered.locator("td").all_inner_texts()[:5] == [str(year), "30", "60", "90", "达标"]
    me.shot("thin-23-my-certificate")
    with me.expect_download() as download_info:
        me.click("button:has-text('打印证书')")
    download = download_info.value
    pdf_path = tmp_path / "certificate.pdf"
    download.save_as(str(pdf_path))
    assert download.suggested_filename.endswith(".pdf")
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert NAME in flat, text
    assert f"{year}306090达标" in flat, text  # year, general, professional, total, compliant
    assert id_number not in flat
    fonts = subprocess.run(
        ["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True
    ).stdout
    embedded = [line.split() for line in fonts.splitlines()[2:]]
    assert any("TrueType" in row and row[-5] == "yes" for row in embedded), fonts  # the CJK font
    picture = ARTIFACTS / f"{prefix}-thin-26-certificate-pdf"  # pdftoppm adds .png
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf_path), str(picture)], check=True
    )
    code = re.search(r"查验码：\s*([0-9A-Z]{5}-[0-9A-Z]{5})", text)
    verify_base = re.search(r"(https?://\S+/verify)\b", text)
    assert code and verify_base, text
    verify_url = f"{verify_base.group(1)}/{code.group(1)}"
    assert verify_url.startswith(f"{base}/verify/")
    me.reload()
    assert code.group(1) in me.inner_text("main")  # the print is listed
    me.shot("thin-24-printed")

    # The typed short code confirms the certificate; the QR link (here: the owner's own link
    # to it) shows the year-by-year record.
    public.goto(verify_url)
    main = public.inner_text("main")
    assert "证书真实有效" in main, main
    assert mask_name(NAME) in main and "扫描证书上的二维码" in main
    assert public.locator("tbody tr").count() == 0
    full_link = me.locator("a", has_text="查验页面").first.get_attribute("href")
    public.goto(base + full_link)
    main = public.inner_text("main")
    assert "证书真实有效" in main, main
    assert mask_name(NAME) in main
    assert NAME not in public.content()
    assert id_number not in public.content()
    assert masked_id in main
    verified = public.locator("tbody tr", has_text=str(year)).locator("td").all_inner_texts()
    assert verified[:5] == [str(year), "30", "60", "90", "达标"], verified
    public.shot("thin-25-verified")

    # No script errors, failed loads or CSP violations anywhere on the way ------------------
    assert not me.js_errors, me.js_errors
    assert not problems.other, problems.other
    console = [line for line in problems.console if not HTMX_ABORT.match(line)]
    assert not console, "\n".join(console)
