"""Rendering the certificate (学时登记证书) to PDF with xhtml2pdf.

Each render gets its own temporary directory, the only place the document may read: it holds
the page background (a double border drawn with ReportLab, once a process) and the QR code.
Nothing is fetched over the network. The font is not read by the document either: it is
registered once a process (fonts.py), and the template names its family.
"""

import functools
import io
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import qrcode
from flask import render_template
from PIL import Image
from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from reportlab.platypus.tables import CellStyle
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from portal.certificates.fonts import CertificateFont

BORDER_COLOUR = HexColor("#8c1d17")


QR_BOX = 8  # pixels a module: 37 modules (version 4 with its border) are 296 pixels


def qr_png(url: str) -> bytes:
    """The QR code of `url` as a greyscale PNG, QR_BOX pixels a module, black on white.

    Greyscale, not qrcode's 1-bit image: ReportLab writes a 1-bit image into the PDF as RGB,
    three times the bytes to compress; grey is drawn the same. Enlarged from one pixel a module
    rather than drawn a square at a time (the same pixels, a third of the time)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()  # with the border, True where a module is dark
    size = len(matrix)
    image = Image.new("L", (size, size))
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    out = io.BytesIO()
    image.resize((size * QR_BOX, size * QR_BOX), Image.Resampling.NEAREST).save(out, format="PNG")
    return out.getvalue()


@functools.lru_cache(maxsize=4)
def _background(font_name: str) -> bytes:
    """A4 page with a thick outer and a thin inner border, like a printed certificate form.
    Drawn once a process (per font) and copied into each render's directory.

    Its initial font is the certificate's own (a TrueType font, so ReportLab sets none): the
    default Helvetica would be listed in the certificate as a font that is not embedded."""
    out = io.BytesIO()
    width, height = A4
    page = canvas.Canvas(out, pagesize=A4, initialFontName=font_name)
    page.setStrokeColor(BORDER_COLOUR)
    page.setLineWidth(3)
    page.rect(28, 28, width - 56, height - 56)
    page.setLineWidth(0.8)
    page.rect(36, 36, width - 72, height - 72)
    # Corner ornaments: small squares at the inner corners.
    page.setFillColor(BORDER_COLOUR)
    for x, y in ((36, 36), (width - 36, 36), (36, height - 36), (width - 36, height - 36)):
        page.rect(x - 4, y - 4, 8, 8, stroke=0, fill=1)
    page.showPage()
    page.save()
    return out.getvalue()


_settings_lock = threading.Lock()


@contextmanager
def _reportlab_settings(font_name: str):
    """ReportLab starts every page, and every table cell, in its base font Helvetica: a font
    the PDF then lists without embedding it, though nothing is written in it. xhtml2pdf offers
    no way to choose another, so while one certificate renders the base font is the
    certificate's own TrueType font (for which ReportLab writes no such font switch).

    Its streams are compressed only, not also written as ASCII85 text (a fifth larger, and
    encoded by ReportLab and decoded again by pypdf, which merges the background, in pure
    Python: some 4 ms a certificate)."""
    with _settings_lock:
        saved = rl_config.canvas_basefontname, CellStyle.fontname, rl_config.useA85
        rl_config.canvas_basefontname = CellStyle.fontname = font_name
        rl_config.useA85 = 0
        try:
            yield
        finally:
            rl_config.canvas_basefontname, CellStyle.fontname, rl_config.useA85 = saved


def render_certificate_pdf(context: dict, font: CertificateFont, verify_url: str) -> bytes:
    """The PDF bytes of one printed certificate; `context` is what the template shows."""
    return render_pdf("certificates/pdf.html", context, font, verify_url)


def render_pdf(template: str, context: dict, font: CertificateFont, verify_url: str) -> bytes:
    """A bordered A4 document with a QR code to `verify_url` (the certificate, the verification
    sheet): `template` gets font, background, qr and verify_url beside `context`."""
    with (
        _reportlab_settings(font.reportlab_name),
        tempfile.TemporaryDirectory(prefix="certificate-") as workdir,
    ):
        work = Path(workdir)
        (work / "background.pdf").write_bytes(_background(font.reportlab_name))
        (work / "qr.png").write_bytes(qr_png(verify_url))
        html = render_template(
            template,
            font=font,
            background=(work / "background.pdf").as_uri(),
            qr=(work / "qr.png").as_uri(),
            verify_url=verify_url,
            **context,
        )
        policy = ResourceAccessPolicy.server(
            work, allow_remote=False, max_local_bytes=1024 * 1024, max_total_bytes=4 * 1024 * 1024
        )
        out = io.BytesIO()
        result = pisa.CreatePDF(
            html, dest=out, path=str(work), encoding="utf-8", resource_policy=policy
        )
        if result.err:
            raise RuntimeError(
                f"xhtml2pdf reported {result.err} error(s): the PDF would be incomplete"
            )
        return out.getvalue()
