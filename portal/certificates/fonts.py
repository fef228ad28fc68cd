"""The CJK font the certificate PDF is drawn with.

xhtml2pdf draws with ReportLab, which embeds TrueType fonts only: a font with PostScript (CFF)
outlines such as Noto CJK fails, and ReportLab's built-in ``STSong-Light`` is not embedded at all.
The font comes from the setting CERTIFICATE_FONT_PATH, or else from the first known TrueType CJK
font on this machine (Song/Ming faces first, then Hei). A .ttc collection holds several faces; the
Simplified Chinese one (name with CN/SC/GB) is taken, else the first.

The font is registered once a process, with ReportLab under a name of our own (with the chosen
subfont index) and with xhtml2pdf as a family its documents name in CSS (``font-family:
certfont_…``), as an @font-face rule would register it. Not by an @font-face rule in the
document: xhtml2pdf reads and hashes the whole font file (17 MB for wqy-zenhei.ttc) for each
document that has one, some 40 ms of a certificate's 90.
"""

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile
from xhtml2pdf import default as xhtml2pdf_default

log = logging.getLogger(__name__)

# Checked in this order: Song/Ming style first (what an official certificate uses), then Hei.
KNOWN_FONTS = (
    r"C:\Windows\Fonts\simsun.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    r"C:\Windows\Fonts\simhei.ttf",
    r"C:\Windows\Fonts\msyh.ttc",
)

# Characters every certificate draws: a font without them would print empty boxes.
PROBE = "专业技术人员继续教育学时登记证书"

_SIMPLIFIED_MARKERS = (b"CN", b"SC", b"GB")


class FontNotFound(Exception):
    """No usable TrueType CJK font: the certificate cannot be printed."""


@dataclass(frozen=True)
class CertificateFont:
    path: Path
    subfont_index: int
    family: str  # our ReportLab/CSS family name, e.g. "certfont_1a2b3c4d"
    face_name: str  # the font's own PostScript name, e.g. "WenQuanYiMicroHei"

    @property
    def reportlab_name(self) -> str:
        """The regular face as registered with ReportLab (xhtml2pdf's "<family>_00")."""
        return f"{self.family}_00"


_lock = threading.Lock()
_cache: dict[str, CertificateFont] = {}


def certificate_font() -> CertificateFont:
    """The font for this app's certificates; raises FontNotFound (and logs why) when none fits."""
    configured = current_app.config.get("CERTIFICATE_FONT_PATH")
    candidates = [configured] if configured else list(KNOWN_FONTS)
    return find_font(candidates, configured=bool(configured))


def find_font(candidates, *, configured: bool = False) -> CertificateFont:
    key = "|".join(str(c) for c in candidates)
    with _lock:
        if key in _cache and _cache[key].path.is_file():
            return _cache[key]
        problems = []
        for candidate in candidates:
            path = Path(candidate)
            if not path.is_file():
                problems.append(f"{path}: not found")
                continue
            try:
                font = _register(path)
            except Exception as error:  # TTFError, OSError, struct errors of a broken file
                problems.append(f"{path}: {error}")
                continue
            _cache[key] = font
            return font
    where = "CERTIFICATE_FONT_PATH" if configured else "font discovery"
    log.error(
        "Certificate PDF unavailable: no usable TrueType CJK font (%s). Tried: %s. "
        "Install fonts-wqy-microhei or fonts-arphic-uming, or set CERTIFICATE_FONT_PATH "
        "to a .ttf/.ttc with TrueType outlines (e.g. C:\\Windows\\Fonts\\simsun.ttc).",
        where,
        "; ".join(problems) or "nothing",
    )
    raise FontNotFound("; ".join(problems))


def _register(path: Path) -> CertificateFont:
    index = _pick_subfont(path)
    digest = hashlib.sha1(f"{path.resolve()}#{index}".encode(), usedforsecurity=False).hexdigest()[
        :8
    ]
    family = f"certfont_{digest}"
    # xhtml2pdf registers an @font-face family as "<family>_<bold><italic>" and keeps a font
    # that is already registered under that name: ours, with the right subfont index.
    registered = set(pdfmetrics.getRegisteredFontNames())
    if f"{family}_00" not in registered:  # CertificateFont.reportlab_name
        ttf = TTFont(f"{family}_00", str(path), subfontIndex=index)
        missing = [c for c in PROBE if ord(c) not in ttf.face.charToGlyph]
        if missing:
            raise ValueError(f"no Chinese glyphs ({''.join(missing[:4])}…)")
        pdfmetrics.registerFont(ttf)
    # What xhtml2pdf's @font-face does for a regular face: the family's regular, bold and
    # italic all draw with it (no fake bold), and CSS may name the family.
    pdfmetrics.registerFontFamily(family, normal=f"{family}_00")
    xhtml2pdf_default.DEFAULT_FONT[family] = family
    face = pdfmetrics.getFont(f"{family}_00").face.name
    if isinstance(face, bytes):
        face = face.decode("ascii", "replace")
    return CertificateFont(path=path, subfont_index=index, family=family, face_name=face)


def _pick_subfont(path: Path) -> int:
    """The Simplified Chinese face of a collection (uming.ttc holds TW, HK and CN), else 0."""
    if path.suffix.lower() != ".ttc":
        return 0
    first = TTFontFile(str(path), subfontIndex=0, validate=0)
    for index in range(getattr(first, "numSubfonts", 1)):
        face = first if index == 0 else TTFontFile(str(path), subfontIndex=index, validate=0)
        name = face.name if isinstance(face.name, bytes) else str(face.name).encode()
        if b"Mono" in name:
            continue
        if any(marker in name for marker in _SIMPLIFIED_MARKERS):
            return index
    return 0
