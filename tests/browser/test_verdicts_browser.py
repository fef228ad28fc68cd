"""Issue 21 in chromium, on the demo county as `flask demo` leaves it (no setting changed):
the bureau officer reads the average, the cramming, the 调入前 years and, ticking the claims of
the applied speciality, issues a cross-major verification; each printed sheet is rendered and
its text read; the city officer finds a senior holder's year in its yearly queue beside the
verifications it confirms, and takes the second step."""

import re
import subprocess

import pytest
import sqlalchemy as sa

from portal.accounts.models import Professional
from portal.extensions import db
from portal.verification.models import Verification

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "Demo@2025"


@pytest.fixture
def demo(app):
    from portal.admin import demo as demo_data

    with app.test_request_context():
        demo_data.load()
        db.session.commit()


def _issued(name):
    return db.session.scalar(
        sa.select(Verification)
        .join(Professional, Verification.professional_id == Professional.id)
        .where(Professional.name == name, Verification.superseded_by_id.is_(None))
    )


def _sheet_text(page, live_server, verification, tmp_path, render=False):
    """The sheet PDF as the officer downloads it: its text (and, if asked, page 1 as PNG)."""
    response = page.request.get(f"{live_server}/verification/{verification.id}/sheet.pdf")
    if response.status == 503:
        pytest.skip("no CJK font on this machine")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    pdf = tmp_path / f"{verification.number}.pdf"
    pdf.write_bytes(response.body())
    if render:
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / "sheet")], check=True)  # fmt: skip
        assert list(tmp_path.glob("sheet*.png"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    return re.sub(r"\s+", "", text)


def test_the_officer_reads_the_verdicts_of_the_seeds(
    app, ctx, demo, live_server, browser_page, browser_login, tmp_path
):
    page = browser_page
    browser_login(page, live_server, "bureau", DEMO_PASSWORD)
    page.goto(f"{live_server}/verification/")
    listing = page.inner_text("main")
    for name in ("田野", "彭丽华", "唐建华", "冯丽", "王晓梅"):
        assert name in listing

    # The average: 2023 short, the cycle passes; the sheet prints the seed's sentence.
    average = _issued("田野")
    page.goto(f"{live_server}/verification/{average.id}")
    sheet = page.locator(".verification-sheet")
    assert "未达标" in sheet.inner_text() and "未通过" not in sheet.inner_text()
    text = _sheet_text(page, live_server, average, tmp_path, render=True)
    assert "验证结果：通过" in text and "年度继续教育学时平均达到规定学时即可" in text
    assert "按默认" in text

    # Cramming: a two-year cycle done in 2025 alone.
    crammed = _issued("彭丽华")
    page.goto(f"{live_server}/verification/{crammed.id}")
    assert "属于在一个年度内突击完成" in page.inner_text("main")
    text = _sheet_text(page, live_server, crammed, tmp_path)
    assert "验证结果：未通过" in text and "属于在一个年度内突击完成" in text

    # Transferred in 2023: 2021 and 2022 read 调入前, not 无登记.
    moved = _issued("冯丽")
    page.goto(f"{live_server}/verification/{moved.id}")
    rows = page.locator(".verification-sheet tbody tr")
    assert "调入前" in rows.nth(0).inner_text() and "调入前" in rows.nth(1).inner_text()
    assert "无登记" not in page.inner_text("main")
    assert "调入前" in _sheet_text(page, live_server, moved, tmp_path)

    # Cross-major: the officer ticks the claims of the applied speciality, computes, issues.
    person = db.session.scalar(sa.select(Professional).filter_by(name="唐建华"))
    page.goto(f"{live_server}/verification/people/{person.id}/new")
    page.check("#cross_major")
    page.click("text=计算")
    page.wait_for_url(re.compile(r".*cross_major=y"))
    page.wait_for_selector("fieldset.speciality-claims")
    page.settled()
    boxes = page.locator("fieldset.speciality-claims tr:has-text('会计专业') input[type=checkbox]")
    assert (
        boxes.count() == 6 and page.locator("fieldset.speciality-claims input:checked").count() == 0
    )
    for i in range(boxes.count() - 2):  # all but 2025's: 84 × 4 = 336 < 400
        boxes.nth(i).check()
    assert page.locator("fieldset.speciality-claims input:checked").count() == 4
    page.click("text=计算")
    page.wait_for_selector(".verification-sheet:has-text('336 / 400')")
    page.settled()
    assert "不足" in page.inner_text(".verification-sheet")
    for i in range(boxes.count()):
        page.locator("fieldset.speciality-claims tr:has-text('会计专业') input[type=checkbox]").nth(
            i
        ).check()
    page.click("text=计算")
    page.wait_for_selector(".verification-sheet:has-text('420 / 400')")
    page.shot("cross-major")
    page.click("button:has-text('出具验证单')")
    page.wait_for_url(re.compile(r".*/verification/\d+$"))
    db.session.expire_all()
    cross = _issued("唐建华")
    assert cross.cross_major and cross.ok and len(cross.content["speciality"]) == 6
    text = _sheet_text(page, live_server, cross, tmp_path)
    assert (
        "所申报专业的专业科目学习：2021年度" in text and "会计专业（财务管理）继续教育培训" in text
    )
    assert "安全生产管理培训" not in text
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login**")

    # The city: its queue (home) has the senior holder's year beside the verifications to
    # confirm; the verification page lists them too.
    browser_login(page, live_server, "city", DEMO_PASSWORD)
    page.goto(f"{live_server}/verification/")
    yearly = page.locator("section.city-yearly")
    assert "阎春生" in yearly.inner_text() and "王晓梅" in page.inner_text("main")
    page.goto(f"{live_server}/")
    queue = page.locator("#city-queue")
    assert "阎春生" in queue.inner_text() and "年度学时核验" in queue.inner_text()
    page.shot("city-queue")
    queue.locator("a:has-text('核验')").first.click()
    page.wait_for_url(re.compile(r".*/review/\d+$"))
    main = page.inner_text("main")
    assert "阎春生" in main and "待市人社局核验" in main and "县人社局" not in main
    page.shot("city-step")
    assert page.js_errors == []
