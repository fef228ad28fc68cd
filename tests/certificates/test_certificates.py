"""Certificates: number once per person, a code per print, the PDF's embedded CJK font,
the public verification page, and the font-missing path."""

import base64
import io
import logging
import re
import subprocess
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.certificates import fonts, service
from portal.certificates.models import Certificate, CertificatePrint
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.refusal import Refusal
from portal.units.models import UnitType

NAME = "张三丰"


@pytest.fixture
def person(make_unit, make_user, make_professional, make_registered_declaration):
    unit = make_unit("示范县第一中学", type=UnitType.INSTITUTION)
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    officer = make_user(Role.BUREAU_OFFICER)
    p = make_professional(unit=unit, name=NAME, title_series="教师", title_level="中级")
    make_registered_declaration(p, 2023, general=30, professional=64, reviewer=reviewer)
    make_registered_declaration(p, 2024, general=24, professional=60, reviewer=officer)
    return p


def print_pdf(client):
    response = client.post("/certificates/print")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def latest_print():
    return db.session.scalars(
        sa.select(CertificatePrint).order_by(CertificatePrint.id.desc())
    ).first()


def pdf_fonts(data: bytes) -> set[str]:
    """BaseFont names of every font the PDF's pages use (with embedded font files)."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            embedded = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            names.add(f"{font['/BaseFont']}{'' if embedded else ' (not embedded)'}")
    return names


def test_number_assigned_once_and_each_print_gets_a_new_code(client, auth, person):
    auth.login(person.user)
    first = print_pdf(client)
    number = db.session.scalar(sa.select(Certificate.number))
    assert re.fullmatch(r"341822-\d{4}-000001", number)
    code1 = latest_print().code
    print_pdf(client)
    code2 = latest_print().code
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1
    assert db.session.scalar(sa.select(Certificate.number)) == number
    assert code1 != code2 and len(code1) == 10 and set(code1) <= set(service.CODE_ALPHABET)
    disposition = first.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"学时登记证书-{number}.pdf"
    assert first.headers["Cache-Control"] == "no-store"
    assert first.mimetype == "application/pdf"
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("certificate.print") == 2 and actions.count("certificate.issue") == 1
    assert person.id_number not in " ".join(db.session.scalars(sa.select(AuditEvent.detail)))


def test_numbers_count_up_per_person(ctx, make_professional, make_registered_declaration):
    a, b = make_professional(), make_professional()
    first = service.ensure_certificate(a)
    second = service.ensure_certificate(b)
    assert service.ensure_certificate(a) is first
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_pdf_embeds_the_cjk_font_and_holds_the_text(client, auth, person):
    auth.login(person.user)
    data = print_pdf(client).data
    assert data.startswith(b"%PDF")
    names = pdf_fonts(data)
    cjk = [n for n in names if re.search(r"wqy|wenquanyi|uming|ukai|simsun|hei", n, re.I)]
    assert cjk and not any("not embedded" in n for n in cjk), names
    # Every piece of visible text is drawn with that font: nothing fell back to Helvetica.
    drawn_with = set()

    def visitor(text, cm, tm, font_dict, font_size):
        if text.strip():
            drawn_with.add(font_dict.get("/BaseFont") if font_dict else None)

    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text(visitor_text=visitor) for page in reader.pages)
    assert len(drawn_with) == 1 and re.search(
        r"wqy|wenquanyi|uming|ukai|simsun|hei", str(drawn_with), re.I
    )
    number = db.session.scalar(sa.select(Certificate.number))
    code = latest_print().code
    assert NAME in text
    assert number in text
    assert "专业技术人员继续教育学时登记证书" in text
    assert service.display_code(code) in text
    assert person.id_number not in text and person.masked_id_number in text


def test_pdffonts_reports_the_cjk_font_embedded(client, auth, person, tmp_path):
    auth.login(person.user)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(print_pdf(client).data)
    output = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in output.stdout.splitlines()[2:]]
    cjk = [row for row in rows if re.search(r"wqy|wenquanyi|uming|ukai|simsun|hei", row[0], re.I)]
    assert cjk, output.stdout
    # columns: name type [type2] encoding emb sub uni object ID
    assert all(row[-5] == "yes" for row in cjk), output.stdout


def test_every_font_in_the_pdf_is_embedded(client, auth, person, tmp_path):
    """Not even the Helvetica ReportLab starts pages and table cells in (nothing is drawn in
    it, but a PDF checker lists it as not embedded)."""
    auth.login(person.user)
    data = print_pdf(client).data
    assert not any("not embedded" in name for name in pdf_fonts(data)), pdf_fonts(data)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    output = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in output.stdout.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows), output.stdout
    assert "Helvetica" not in output.stdout
    # The swap of ReportLab's base font lasts only while the certificate renders.
    from reportlab import rl_config
    from reportlab.platypus.tables import CellStyle

    assert rl_config.canvas_basefontname == CellStyle.fontname == "Helvetica"


def test_rendering_logs_no_xhtml2pdf_warning(client, auth, person, caplog):
    auth.login(person.user)
    with caplog.at_level(logging.DEBUG, logger="xhtml2pdf"):
        print_pdf(client)
    warnings = [r for r in caplog.records if r.name.startswith("xhtml2pdf")]
    assert [r for r in warnings if r.levelno >= logging.WARNING] == [], [
        r.getMessage()[:120] for r in warnings if r.levelno >= logging.WARNING
    ]
    assert "学时登记证书" in PdfReader(io.BytesIO(print_pdf(client).data)).metadata.title


def test_verify_page_masks_the_person(client, auth, person):
    auth.login(person.user)
    print_pdf(client)
    code, token = latest_print().code, latest_print().token
    auth.logout()
    response = client.get(f"/verify/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "证书真实有效" in page
    assert "张*丰" in page and NAME not in page
    assert person.masked_id_number in page and person.id_number not in page
    assert db.session.scalar(sa.select(Certificate.number)) in page
    assert "示范县第一中学" in page and "94" in page and "84" in page
    assert response.headers["Cache-Control"] == "no-store"
    # Typed in lower case with a dash, through the form
    typed = f"{code[:5].lower()}-{code[5:]}"
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/verify/{code}")
    short = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "证书真实有效" in short and "张*丰" in short and NAME not in short
    assert "示范县第一中学" not in short and "<table" not in short
    # Lookups are not state changes: nothing audited beyond the print and the login/logout
    assert not db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action.like("%verify%")))


def test_revoked_year_is_flagged(client, auth, person):
    auth.login(person.user)
    print_pdf(client)
    token = latest_print().token
    declaration = next(d for d in service.registered_declarations(person) if d.year == 2024)
    declaration.status = DeclarationStatus.REVOKED
    db.session.commit()
    page = client.get(f"/verify/{token}").get_data(as_text=True)
    assert "已撤销" in page and "部分记录已撤销" in page


def test_unknown_code_is_a_chinese_404(client):
    for code in ("ABCDEFGHJK", "not-a-code", "x" * 300):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 404
        assert "未查到该证书" in response.get_data(as_text=True)


def test_verify_form_rejects_malformed_input(client):
    assert client.get("/verify").status_code == 200
    response = client.get("/verify", query_string={"code": "12"})
    assert response.status_code == 422
    assert "查验码应为 10 位" in response.get_data(as_text=True)


def test_staff_cannot_print_and_pages_need_login(client, auth, person, make_user):
    assert client.get("/certificates").status_code == 302
    assert client.post("/certificates/print").status_code == 302
    officer = make_user(Role.BUREAU_OFFICER)
    auth.login(officer)
    assert client.get("/certificates").status_code == 403
    assert client.post("/certificates/print").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(CertificatePrint.id))) == 0


def test_print_is_always_the_own_certificate(client, auth, person, make_professional):
    other = make_professional(name="李四")
    auth.login(other.user)
    # Nothing registered for this person: no certificate, and nothing of the other person's
    response = client.post("/certificates/print")
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
    assert not service.can_print(other.user, person)
    with pytest.raises(Refusal) as refused:
        service.print_certificate(other.user, person)
    assert refused.value.status == 403


def test_mine_page(client, auth, person, make_professional, make_registered_declaration):
    auth.login(person.user)
    page = client.get("/certificates").get_data(as_text=True)
    assert "打印证书（PDF）" in page and "尚未分配" in page and "2023" in page
    print_pdf(client)
    page = client.get("/certificates").get_data(as_text=True)
    assert db.session.scalar(sa.select(Certificate.number)) in page
    auth.logout()
    newcomer = make_professional()
    make_registered_declaration(newcomer, 2025, status=DeclarationStatus.PUBLICISED)
    auth.login(newcomer.user)
    page = client.get("/certificates").get_data(as_text=True)
    assert "打印证书（PDF）" not in page and "公示中" in page


def test_missing_font_gives_a_chinese_page_and_no_print(client, auth, person, monkeypatch, caplog):
    monkeypatch.setattr(fonts, "KNOWN_FONTS", ("/nonexistent/font.ttc",))
    fonts._cache.clear()
    auth.login(person.user)
    response = client.post("/certificates/print")
    assert response.status_code == 503
    assert "缺少打印证书所需的中文字体" in response.get_data(as_text=True)
    assert not response.data.startswith(b"%PDF")
    assert "no usable TrueType CJK font" in caplog.text
    assert db.session.scalar(sa.select(sa.func.count(CertificatePrint.id))) == 0


def test_configured_font_without_chinese_glyphs_is_refused(app, caplog):
    with app.app_context():
        app.config["CERTIFICATE_FONT_PATH"] = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
        with pytest.raises(fonts.FontNotFound):
            fonts.certificate_font()
    assert "CERTIFICATE_FONT_PATH" in caplog.text


def test_qr_and_printed_address_use_public_base_url(app, client, auth, person, monkeypatch):
    app.config["PUBLIC_BASE_URL"] = "https://jxjy.example.gov.cn/"
    urls = []
    real = service.verification_url
    monkeypatch.setattr(
        service, "verification_url", lambda code: urls.append(real(code)) or urls[-1]
    )
    auth.login(person.user)
    data = print_pdf(client).data
    token = latest_print().token
    assert urls == [f"https://jxjy.example.gov.cn/verify/{token}"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "https://jxjy.example.gov.cn/verify" in text


def test_issuing_bureau_follows_the_admin_setting(client, auth, person):
    from portal.settings.models import Setting

    db.session.add(
        Setting(
            jurisdiction_code="", key="BUREAU_NAME", value={"value": "广德市人力资源和社会保障局"}
        )
    )
    db.session.commit()
    auth.login(person.user)
    data = print_pdf(client).data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "广德市人力资源和社会保障局" in text
    assert latest_print().content["bureau"] == "广德市人力资源和社会保障局"


# --- issue 14: a long token in the QR link, the short code limited and showing less --------


def test_qr_link_carries_a_128_bit_token(client, auth, person, monkeypatch):
    urls = []
    real = service.verification_url
    monkeypatch.setattr(
        service, "verification_url", lambda code: urls.append(real(code)) or urls[-1]
    )
    auth.login(person.user)
    print_pdf(client)
    print_pdf(client)
    first, second = db.session.scalars(
        sa.select(CertificatePrint.token).order_by(CertificatePrint.id)
    ).all()
    assert first != second
    for token in (first, second):
        # 26 base32 characters carry 130 bits; 16 random bytes fill 128 of them
        assert re.fullmatch(r"[A-Z2-7]{26}", token)
        assert len(base64.b32decode(token + "======")) * 8 >= 128
    assert urls[-1].endswith(f"/verify/{second}")
    assert latest_print().code not in urls[-1]


def test_short_code_shows_less_than_the_qr_link(client, auth, person):
    auth.login(person.user)
    print_pdf(client)
    printed = latest_print()
    auth.logout()
    full = client.get(f"/verify/{printed.token.lower()}").get_data(as_text=True)
    short = client.get(f"/verify/{printed.code}").get_data(as_text=True)
    number = db.session.scalar(sa.select(Certificate.number))
    for page in (full, short):
        assert "证书真实有效" in page and number in page and "张*丰" in page
        assert NAME not in page and person.id_number not in page
    assert "<table" in full and "示范县第一中学" in full
    assert "<table" not in short and "示范县第一中学" not in short
    assert "扫描证书上的二维码" in short


def test_short_code_lookups_are_limited_per_address(app, client, auth, person):
    app.config["VERIFY_LIMIT_PER_HOUR"] = 3
    auth.login(person.user)
    print_pdf(client)
    printed = latest_print()
    auth.logout()
    other = app.test_client()
    assert client.get(f"/verify/{printed.code}").status_code == 200
    assert client.get("/verify/ABCDEFGHJK").status_code == 404  # a miss counts too
    assert client.get("/verify/ABCDEFGHJM").status_code == 404
    response = client.get(f"/verify/{printed.code}")
    assert response.status_code == 429
    assert "查验得过于频繁" in response.get_data(as_text=True)
    # The refusal is audited with its declared action; the lookups themselves are not.
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("certificate.verify%"))
    ).all()
    assert [(e.action, e.outcome, e.ip) for e in events] == [
        ("certificate.verify_throttle", "refused", "127.0.0.1")
    ]
    from portal.audit.actions import ACTIONS

    assert ACTIONS["certificate.verify_throttle"]
    # Another address is not held back; the QR link (unguessable) never is.
    response = other.get(f"/verify/{printed.code}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 200
    assert client.get(f"/verify/{printed.token}").status_code == 200


def test_old_lookups_stop_counting(app, client, auth, person):
    from datetime import timedelta

    from portal.certificates.models import CertificateLookup
    from portal.models_base import utcnow

    app.config["VERIFY_LIMIT_PER_HOUR"] = 1
    auth.login(person.user)
    print_pdf(client)
    code = latest_print().code
    auth.logout()
    db.session.add(CertificateLookup(ip="127.0.0.1", at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    assert client.get(f"/verify/{code}").status_code == 200
    assert client.get(f"/verify/{code}").status_code == 429


def test_certificate_names_the_latest_recorded_title(ctx, make_professional):
    """The recorded title (series, level, name) wins over the registration form's words."""
    from datetime import date

    from portal.accounts.models import PersonTitle
    from portal.certificates.service import title_text
    from portal.units.models import Authority, TitleLevel, TitleSeries

    person = make_professional(name="钱七", title_series="教师", title_level="中级")
    assert title_text(person) == "教师 中级"
    series = TitleSeries(name="卫生", authority=Authority(name="县卫健委"))
    person.titles.append(
        PersonTitle(series=series, level=TitleLevel.INTERMEDIATE, obtained=date(2018, 7, 1))
    )
    person.titles.append(
        PersonTitle(
            series=series,
            level=TitleLevel.DEPUTY_SENIOR,
            name="副主任医师",
            obtained=date(2023, 7, 1),
        )
    )
    db.session.commit()
    db.session.expire(person)
    assert title_text(person) == "卫生 副高 副主任医师"


def test_the_font_file_is_not_read_again_for_each_certificate(client, auth, person, monkeypatch):
    """The font is registered once a process: a document naming it in an @font-face rule
    would have xhtml2pdf read and hash the whole file (17 MB for wqy-zenhei) each time."""
    import xhtml2pdf.context

    def no_font_reading(name):
        raise AssertionError(f"xhtml2pdf read a font file: {name}")

    monkeypatch.setattr(xhtml2pdf.context, "_file_digest", no_font_reading)
    auth.login(person.user)
    data = print_pdf(client).data
    names = pdf_fonts(data)
    assert any(re.search(r"wqy|wenquanyi|uming|ukai|simsun|hei", n, re.I) for n in names), names
    assert NAME in "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_qr_code_in_the_pdf_is_the_link_of_the_print(client, auth, person):
    """Read back from the PDF: the image, sampled at the centre of each module, is the QR
    code (version, error correction and mask as qrcode chooses them) of the print's link."""
    import qrcode

    auth.login(person.user)
    data = print_pdf(client).data
    (image,) = PdfReader(io.BytesIO(data)).pages[0].images
    picture = image.image.convert("L")
    url = f"http://localhost/verify/{latest_print().token}"  # the test client's address
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    expected = code.get_matrix()
    box = picture.width / len(expected)
    assert picture.width == picture.height and box >= 4  # a few pixels a module at least
    read = [
        [
            picture.getpixel((int((x + 0.5) * box), int((y + 0.5) * box))) < 128
            for x in range(len(row))
        ]
        for y, row in enumerate(expected)
    ]
    assert read == expected


def test_parallel_lookups_never_pass_the_limit(app):
    """Issue 23.13: 40 lookups at once from one address get exactly the limit's 20 answers
    (counting and recording are one step per address), the rest 429."""
    from concurrent.futures import ThreadPoolExecutor

    app.config["VERIFY_LIMIT_PER_HOUR"] = 20

    def look(_):
        return app.test_client().get("/verify/ABCDEFGHJK").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(look, range(40)))
    assert answers.count(404) == 20 and answers.count(429) == 20


def test_a_bulk_print_does_not_make_the_persons_own_print_outdated(
    ctx, person, make_user, make_registered_declaration
):
    """20.15: a later copy with the same years (the unit's bulk print) is not a newer
    certificate; one with another year is."""
    own = service.print_certificate(person.user, person)
    reviewer = make_user(Role.UNIT_REVIEWER, unit=person.unit)
    service.print_for_unit(reviewer, person)
    db.session.commit()
    assert service.verification(own)["later_prints"] == 0
    make_registered_declaration(person, 2025)
    service.print_certificate(person.user, person)
    db.session.commit()
    assert service.verification(own)["later_prints"] == 1
