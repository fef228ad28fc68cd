"""Evidence files: checked by content, limited in size, stored under generated names, downloaded
only by the owner, that person's reviewers and bureau officers."""

import hashlib
import io
import os
import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.declarations import evidence as files
from portal.declarations import service
from portal.declarations.models import Evidence
from portal.extensions import db
from portal.units.models import UnitType
from tests import hostile
from tests.conftest import PASSWORD
from tests.declarations.conftest import PDF_BYTES, YEAR, jpeg_bytes, png_bytes

CLAIMS = ({"kind": "training", "facts": {"days": 3}, "subject": "professional"},)


@pytest.fixture
def draft(person, make_declaration):
    return make_declaration(person, claims=CLAIMS)


def upload(client, claim, content, name):
    return client.post(
        f"/declarations/{YEAR}/claims/{claim.id}/evidence",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def stored(app):
    with app.app_context():
        return db.session.scalars(sa.select(Evidence)).all()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "结业证书.pdf", "Windows 可执行程序"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "photo.jpg", "Linux 可执行程序"),
        (b"#!/bin/sh\nrm -rf /\n", "证书.png", "脚本"),
        (b"<html><script>alert(1)</script></html>", "证书.pdf", "网页或脚本"),
        (b"just some text", "说明.pdf", "只能上传 PDF、JPG 或 PNG"),
        (b"", "空.pdf", "文件是空的"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "坏图.png", "图片文件已损坏"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "坏图.jpg", "图片文件已损坏"),
    ],
    ids=["exe", "elf", "script", "html", "text", "empty", "broken-png", "broken-jpeg"],
)
def test_refused_files(logged_in, app, draft, content, name, message):
    response = upload(logged_in, draft.claims[0], content, name)
    assert response.status_code == 422
    assert message in response.text
    assert stored(app) == []
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []


def test_oversized_file(logged_in, app, draft):
    app.config["EVIDENCE_MAX_FILE_BYTES"] = 1000
    response = upload(logged_in, draft.claims[0], PDF_BYTES + b"x" * 1000, "大文件.pdf")
    assert response.status_code == 422 and "单个文件大小上限" in response.text
    assert stored(app) == []


def test_per_declaration_limit(logged_in, app, draft):
    app.config["EVIDENCE_MAX_DECLARATION_BYTES"] = 3000
    assert upload(logged_in, draft.claims[0], PDF_BYTES + b"a" * 1900, "一.pdf").status_code == 303
    response = upload(logged_in, draft.claims[0], PDF_BYTES + b"b" * 1900, "二.pdf")
    assert response.status_code == 422 and "总大小不能超过" in response.text
    assert [e.original_name for e in stored(app)] == ["一.pdf"]


def test_pdf_with_a_jpg_name_is_stored_as_pdf(logged_in, app, draft):
    response = upload(logged_in, draft.claims[0], PDF_BYTES, "扫描件.jpg")
    assert response.status_code == 303
    [item] = stored(app)
    assert item.content_type == "application/pdf"
    assert item.original_name == "扫描件.pdf"
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", item.stored_name)
    path = os.path.join(app.config["UPLOAD_FOLDER"], item.stored_name)
    with open(path, "rb") as handle:
        assert handle.read() == PDF_BYTES
    assert item.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()


def test_png_and_jpeg_accepted_and_names_sanitised(logged_in, app, draft):
    assert (
        upload(logged_in, draft.claims[0], png_bytes(), "../../etc/证书\x07照片.png").status_code
        == 303
    )
    assert upload(logged_in, draft.claims[0], jpeg_bytes(), "现场.JPEG").status_code == 303
    names = sorted((e.original_name, e.content_type) for e in stored(app))
    assert names == [("现场.jpg", "image/jpeg"), ("证书照片.png", "image/png")]
    page = logged_in.get(f"/declarations/{YEAR}")
    assert 'class="thumb"' in page.text and "证书照片.png" in page.text


def test_delete_evidence_removes_the_file_after_commit(logged_in, app, draft):
    upload(logged_in, draft.claims[0], PDF_BYTES, "证书.pdf")
    [item] = stored(app)
    path = os.path.join(app.config["UPLOAD_FOLDER"], item.stored_name)
    assert os.path.exists(path)
    response = logged_in.post(
        f"/declarations/{YEAR}/evidence/{item.id}/delete", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and 'id="declaration-body"' in response.text
    assert stored(app) == [] and not os.path.exists(path)


def test_rollback_removes_a_written_file(app, person, make_declaration):
    declaration = make_declaration(person, claims=CLAIMS)

    class Upload:
        filename = "证书.pdf"
        stream = io.BytesIO(PDF_BYTES)

    item = service.add_evidence(person.user, declaration.claims[0], Upload())
    path = files.path_of(item.stored_name)
    assert os.path.exists(path)
    db.session.rollback()
    assert not os.path.exists(path)


def test_sniff_and_sanitise_units():
    assert files.sniff(b"%PDF-1.7") == files.PDF
    assert files.sniff(b"\xff\xd8\xff\xdb") == files.JPEG
    assert files.sniff(b"GIF89a") is None
    assert files.sanitise_name("C:\\Users\\王\\申报材料.PDF", files.PDF) == "申报材料.pdf"
    assert files.sanitise_name("", files.PNG) == "证明材料.png"
    assert files.sanitise_name('a<b>:"c".jpg', files.JPEG) == "a_b___c_.jpg"


# --- downloads ---------------------------------------------------------------------------


@pytest.fixture
def evidence_of(app, make_unit, make_professional, make_declaration):
    """A person of a state-owned institution with one PNG and one PDF file."""
    from tests.declarations.conftest import add_file

    unit = make_unit(type=UnitType.INSTITUTION)
    owner = make_professional(unit=unit)
    declaration = make_declaration(owner, claims=CLAIMS, status=service.DeclarationStatus.SUBMITTED)
    png = add_file(declaration.claims[0], png_bytes(), "证书照片.png", "image/png")
    pdf = add_file(declaration.claims[0], PDF_BYTES, "结业证书.pdf", "application/pdf")
    db.session.commit()
    return {"owner": owner, "unit": unit, "png": png.id, "pdf": pdf.id}


def login(client, user):
    client.post("/logout")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 303


def test_owner_downloads_as_attachment(client, evidence_of):
    login(client, evidence_of["owner"].user)
    response = client.get(f"/declarations/evidence/{evidence_of['pdf']}")
    assert response.status_code == 200
    assert response.data == PDF_BYTES
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''%E7%BB%93%E4%B8%9A%E8%AF%81%E4%B9%A6.pdf" in disposition
    # Old clients that ignore filename* get a meaningful name, not ".pdf".
    assert f"filename=evidence-{evidence_of['pdf']}.pdf;" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.mimetype == "application/pdf"


def test_ascii_names_are_kept_and_the_preview_is_inline(client, evidence_of):
    from portal.declarations.models import Evidence

    db.session.get(Evidence, evidence_of["pdf"]).original_name = "scan 2025.pdf"
    db.session.commit()
    login(client, evidence_of["owner"].user)
    disposition = client.get(f"/declarations/evidence/{evidence_of['pdf']}").headers[
        "Content-Disposition"
    ]
    assert disposition == 'attachment; filename="scan 2025.pdf"'
    preview = client.get(f"/declarations/evidence/{evidence_of['png']}/preview")
    assert preview.headers["Content-Disposition"] == (
        f"inline; filename=evidence-{evidence_of['png']}.png; "
        "filename*=UTF-8''%E8%AF%81%E4%B9%A6%E7%85%A7%E7%89%87.png"
    )


def test_image_preview_inline_and_pdf_has_none(client, evidence_of):
    login(client, evidence_of["owner"].user)
    response = client.get(f"/declarations/evidence/{evidence_of['png']}/preview")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert client.get(f"/declarations/evidence/{evidence_of['pdf']}/preview").status_code == 404


@pytest.mark.parametrize("who", ["own unit reviewer", "bureau officer"])
def test_reviewers_and_bureau_may_download(client, make_user, evidence_of, who):
    if who == "own unit reviewer":
        user = make_user(Role.UNIT_REVIEWER, unit=evidence_of["unit"])
    else:
        user = make_user(Role.BUREAU_OFFICER)
    login(client, user)
    assert client.get(f"/declarations/evidence/{evidence_of['pdf']}").status_code == 200
    assert client.get(f"/declarations/evidence/{evidence_of['png']}/preview").status_code == 200


@pytest.mark.parametrize("who", ["other professional", "other unit reviewer", "provider", "anon"])
def test_others_get_404(client, make_user, make_unit, make_professional, evidence_of, who):
    if who == "other professional":
        login(client, make_professional().user)
    elif who == "other unit reviewer":
        login(client, make_user(Role.UNIT_REVIEWER, unit=make_unit()))
    elif who == "provider":
        login(client, make_user(Role.AUDITOR))
    for url in (
        f"/declarations/evidence/{evidence_of['pdf']}",
        f"/declarations/evidence/{evidence_of['png']}/preview",
    ):
        response = client.get(url)
        if who == "anon":
            assert response.status_code in (302, 401)
        else:
            assert response.status_code == 404
    if who != "anon":
        assert client.get("/declarations/evidence/999999").status_code == 404


def test_a_file_linked_by_split_claims_goes_with_its_last_row(app, person, make_declaration):
    """Migration 0006 splits a claim of N lectures into N claims whose evidence rows link one
    stored file: deleting a row or a claim keeps the file while another row names it."""
    from tests.declarations.conftest import add_file

    lecture = {"kind": "lecture", "subject": "professional"}
    declaration = make_declaration(person, claims=[lecture, lecture, lecture])
    first, second, third = declaration.claims
    item = add_file(first)
    for claim in (second, third):
        db.session.add(
            Evidence(
                claim=claim,
                original_name=item.original_name,
                stored_name=item.stored_name,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
            )
        )
    db.session.commit()
    path = files.path_of(item.stored_name)
    assert service.duplicate_flags(declaration) == {}  # a link is not a re-uploaded file
    service.delete_claim(person.user, first)
    db.session.commit()
    assert os.path.exists(path)
    service.delete_evidence(person.user, second.evidence[0])
    db.session.commit()
    assert os.path.exists(path)
    service.delete_evidence(person.user, third.evidence[0])
    db.session.commit()
    assert not os.path.exists(path)


# --- issue 14: active PDF content refused; drafts' files are the owner's alone ---------------


JS = b"<</S/JavaScript/JS(app.alert\\(1\\))>>"


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (hostile.plain_pdf(b"/OpenAction 4 0 R", o4=JS), "脚本"),
        (
            hostile.plain_pdf(
                b"/Names<</JavaScript 4 0 R>>",
                o4=b"<</Names[(a) 5 0 R]>>",
                o5=b"<</JS 6 0 R>>",
                o6=hostile.stream(b"app.alert(1)"),
            ),
            "脚本",
        ),
        (hostile.plain_pdf(b"/Names<</J#61vaScript 4 0 R>>", o4=b"<<>>"), "脚本"),  # escaped name
        (hostile.plain_pdf(b"/OpenAction<</S/URI/URI(http://x)>>"), "打开时自动执行"),
        (
            hostile.plain_pdf(
                b"/Outlines 4 0 R", o4=b"<</First 5 0 R>>", o5=b"<</A<</S/Launch/F(cmd.exe)>>>>"
            ),
            "启动外部程序",
        ),
        (hostile.plain_pdf(o4=hostile.stream(b"MZ", b"/Type/EmbeddedFile")), "内嵌文件"),
        (hostile.plain_pdf(b"/Names<</EmbeddedFiles 4 0 R>>", o4=b"<</Names[]>>"), "内嵌文件"),
        (
            hostile.raw_pdf(
                {
                    1: b"<</Type/Catalog/Pages 2 0 R>>",
                    2: hostile.PAGE_OBJECTS[2],
                    3: b"<</Type/Page/Parent 2 0 R/AA<</O 4 0 R>>>>",
                    4: b"<</S/GoTo/D[3 0 R /Fit]>>",
                }
            ),
            "自动执行的动作",
        ),
        (
            hostile.pdf_with_object_stream(
                {
                    1: b"<</Type/Catalog/Pages 2 0 R/OpenAction<</S/JavaScript>>>>",
                    **hostile.PAGE_OBJECTS,
                }
            ),
            "打开时自动执行",
        ),
        # issue 23.2: the four variants the byte scan let through
        (hostile.pdf_nul_separated(), "脚本"),
        (hostile.pdf_hex_object_stream(), "脚本"),
        (hostile.pdf_beyond_inflate_budget(), "脚本"),
        (hostile.pdf_xfa_script(), "XFA"),
    ],
    ids=[
        "openaction-js",
        "names-javascript",
        "escaped",
        "openaction-dict",
        "launch",
        "embeddedfile",
        "embeddedfiles",
        "aa",
        "compressed",
        "nul-separated-names",
        "hex-object-stream",
        "beyond-inflate-budget",
        "xfa-script",
    ],
)
def test_pdf_that_can_act_is_refused(logged_in, app, draft, content, what):
    response = upload(logged_in, draft.claims[0], content, "结业证书.pdf")
    assert response.status_code == 422
    assert "出于安全原因不能作为证明材料" in response.text and what in response.text
    assert stored(app) == []
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\n1 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\n%%EOF",  # no xref, no trailer
        b"%PDF-1.4\n%just a header\n",
        hostile.plain_pdf()[:-40],  # cut short
    ],
    ids=["fragment", "header-only", "truncated"],
)
def test_a_pdf_that_does_not_parse_is_refused(logged_in, app, draft, content):
    response = upload(logged_in, draft.claims[0], content, "结业证书.pdf")
    assert response.status_code == 422
    assert "无法解析" in response.text
    assert stored(app) == []


def test_an_encrypted_pdf_is_refused(logged_in, app, draft):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    response = upload(logged_in, draft.claims[0], out.getvalue(), "结业证书.pdf")
    assert response.status_code == 422 and "加密" in response.text
    assert stored(app) == []


@pytest.mark.parametrize(
    "content",
    [
        PDF_BYTES,
        # LibreOffice's first view: a page destination, not an action
        hostile.plain_pdf(b"/OpenAction[3 0 R /XYZ null null 0]"),
        hostile.plain_pdf(b"/OpenAction 4 0 R", o4=b"[3 0 R /Fit]"),
        # a subset font whose name starts with AA, and a /JSON-like longer name
        hostile.plain_pdf(o4=b"<</Type/Font/BaseFont/AAAAAA+SimSun/JSX 1>>"),
    ],
    ids=["plain", "openaction-destination", "openaction-destination-ref", "look-alike-names"],
)
def test_plain_pdf_is_accepted(logged_in, app, draft, content):
    response = upload(logged_in, draft.claims[0], content, "结业证书.pdf")
    assert response.status_code in (200, 303), response.text
    assert len(stored(app)) == 1


def test_a_real_generated_pdf_is_accepted(logged_in, app, draft):
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Certificate of training")
    page.save()
    response = upload(logged_in, draft.claims[0], buffer.getvalue(), "scan.pdf")
    assert response.status_code in (200, 303), response.text
    assert len(stored(app)) == 1


@pytest.mark.parametrize("who", ["own unit reviewer", "bureau officer"])
def test_reviewers_cannot_download_a_drafts_files(client, make_user, evidence_of, who):
    from portal.declarations.models import Evidence

    item = db.session.get(Evidence, evidence_of["pdf"])
    item.claim.declaration.status = service.DeclarationStatus.DRAFT
    db.session.commit()
    if who == "own unit reviewer":
        user = make_user(Role.UNIT_REVIEWER, unit=evidence_of["unit"])
    else:
        user = make_user(Role.BUREAU_OFFICER)
    login(client, user)
    assert client.get(f"/declarations/evidence/{evidence_of['pdf']}").status_code == 404
    assert client.get(f"/declarations/evidence/{evidence_of['png']}/preview").status_code == 404
    login(client, evidence_of["owner"].user)  # the owner still sees their own draft's files
    assert client.get(f"/declarations/evidence/{evidence_of['pdf']}").status_code == 200
