"""Evidence files (证明材料): checked by content, stored under a generated name.

Decisions (documented here because reviewers ask):

- The type is decided by the file's first bytes, never by its name or the browser's
  Content-Type: ``%PDF-`` is a PDF, ``FF D8 FF`` a JPEG, ``89 50 4E 47 0D 0A 1A 0A`` a PNG.
  Images are also opened with Pillow (``verify()``) so a truncated or forged header is refused.
  Anything else is refused, with a special message for executables and scripts (``MZ``, ELF,
  ``#!``, HTML/script) that were renamed to look like a document.
- A genuine PDF uploaded with a ``.jpg`` name is accepted as a PDF: the content is what the
  reviewer opens. The stored content type is ``application/pdf`` and the displayed original
  name keeps its Chinese stem but gets the extension of the real content (``扫描件.jpg`` →
  ``扫描件.pdf``), so a download opens in the right program.
- A PDF that can act by itself is refused, not flattened or cleaned. The file is parsed with
  pypdf and its whole object graph walked (every object the cross-reference tables and streams
  list, object streams in any filter, and everything reachable from the trailer); any key or
  name ``/JavaScript``, ``/JS``, ``/Launch``, ``/EmbeddedFile(s)``/``/EF``, ``/AA`` (additional
  actions), ``/XFA`` (XFA forms carry scripts), ``/RichMedia``, ``/ImportData``, ``/SubmitForm``,
  or an ``/OpenAction`` that is an action rather than a plain page destination (LibreOffice and
  others write ``/OpenAction [3 0 R /XYZ ...]`` to choose the first view: that one is harmless
  and accepted) is refused. Names are compared as the parser decodes them (``#xx`` escapes) with
  NUL removed, which a PDF reader takes for whitespace. A PDF that does not parse, holds more
  than ``MAX_PDF_OBJECTS`` objects or is encrypted is refused too: what the portal cannot read,
  it cannot vouch for. Rewriting the file would change what the person submitted and what its
  sha256 proves; a refusal asks for a clean copy instead.
- Empty files are refused; a file above ``EVIDENCE_MAX_FILE_BYTES`` is refused, and so is a
  file that would bring the declaration's evidence above ``EVIDENCE_MAX_DECLARATION_BYTES``
  (both settings; the bureau may change them).
- An image whose header declares more than ``PHOTO_MAX_PIXELS`` pixels is refused before it is
  decoded (issue 23.11): decoding costs memory by pixels, not by file size.
- Photos (JPEG, PNG) come from phone cameras: each is turned upright by its EXIF orientation,
  re-encoded without its metadata (EXIF, GPS location, camera, comments) and scaled down so its
  long side is at most ``PHOTO_LONG_SIDE`` pixels, which keeps a certificate's small print
  legible; a 5 MB photo becomes a few hundred KB. The size limits apply to the stored result, so
  a camera photo up to ``PHOTO_MAX_BYTES`` is accepted as it comes. The sha256 is of the stored
  file.
- HEIC/HEIF (an iPhone's default) and AVIF are refused with a message saying how to get a JPG:
  Pillow cannot read them without an extra codec, and reviewers' computers often cannot open
  them either.
- The stored name is ``uuid4().hex`` plus the content's extension, in the file store's
  evidence area (portal.storage.files: ``UPLOAD_FOLDER`` or the object store). The file is
  written only after the database row has been flushed (so constraints held), atomically (a
  temporary name renamed, or one S3 PUT). When the transaction rolls back, the files written
  during it are removed; files of deleted evidence are removed only after the deleting
  transaction has committed.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models_base import utcnow
from portal.refusal import INVALID, Refusal
from portal.settings import get_setting
from portal.storage import files as storage_files

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
TYPE_LABELS = {PDF: "PDF", JPEG: "JPG", PNG: "PNG"}
# Phones offer the camera and the photo library for image/*; the content decides in check_file.
ACCEPT = "image/*,application/pdf"
PHOTO_LONG_SIDE = 2400  # pixels: A4 at about 200 dpi
PHOTO_QUALITY = 85
PHOTO_MAX_BYTES = 40 * 1024 * 1024  # a camera photo as it comes, before it is scaled down
# Decoding costs width × height × 3–4 bytes whatever the file's size (a 233 KB PNG of 10000 ×
# 8000 took 700 MB): refused from the header before decoding. 50 MP keeps a 48 MP phone photo.
PHOTO_MAX_PIXELS = 50_000_000
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
HEIC_MESSAGE = (
    "这是苹果手机的 HEIC（HEIF）格式照片，系统无法读取。请在 iPhone 的“设置 › 相机 › 格式”中选择"
    "“兼容性最佳”后重新拍照，或将照片转换为 JPG 后再上传。"
)

_EXECUTABLE_MAGIC = (
    (b"MZ", "Windows 可执行程序"),
    (b"\x7fELF", "Linux 可执行程序"),
    (b"#!", "脚本"),
    (b"PK\x03\x04", "压缩包或 Office 文档"),
    (b"Rar!", "压缩包"),
    (b"\xca\xfe\xba\xbe", "可执行程序"),
    (b"\xcf\xfa\xed\xfe", "可执行程序"),
)
_SCRIPT_START = re.compile(rb"^\s*(<\?php|<script|<!doctype|<html|<svg|@echo|\$)", re.I)


ACTIVE_PDF_NAMES = {
    "JavaScript": "脚本",
    "JS": "脚本",
    "Launch": "启动外部程序的动作",
    "EmbeddedFile": "内嵌文件",
    "EmbeddedFiles": "内嵌文件",
    "EF": "内嵌文件",
    "AA": "自动执行的动作",
    "OpenAction": "打开时自动执行的动作",
    "XFA": "XFA 表单（可含脚本）",
    "RichMedia": "多媒体内容",
    "ImportData": "导入数据的动作",
    "SubmitForm": "提交表单的动作",
}
_ACTIVE_VALUES = ACTIVE_PDF_NAMES.keys() - {"OpenAction"}  # as a value (/S /JavaScript)
MAX_PDF_OBJECTS = 200_000  # more than any scan or office export; a bomb of objects stops here
UNREADABLE_PDF = "该 PDF 文件无法解析（已损坏或格式异常），请用“打印为 PDF”或重新扫描后再上传。"
ENCRYPTED_PDF = "该 PDF 设置了密码或加密，核验人员无法打开，请去除密码后再上传。"


def _name(value) -> str:
    """A PDF name as a PDF reader takes it: #xx escapes already decoded by the parser, NUL
    (whitespace to a reader) removed."""
    return str(value).lstrip("/").replace("\x00", "")


class _PdfWalk:
    """Every object of a parsed PDF: all objects its cross-reference tables (and streams) list,
    and everything reachable from the trailer, each indirect object once."""

    def __init__(self, reader) -> None:
        self.reader = reader
        self.seen: set[tuple[int, int]] = set()
        self.count = 0

    def roots(self):
        from pypdf.generic import IndirectObject

        yield self.reader.trailer
        for generation, numbers in self.reader.xref.items():
            for number in numbers:
                yield IndirectObject(number, generation, self.reader)
        for number in self.reader.xref_objStm:
            yield IndirectObject(number, 0, self.reader)

    def problem(self) -> str | None:
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

        pending = list(self.roots())
        while pending:
            item = pending.pop()
            if isinstance(item, IndirectObject):
                key = (item.idnum, item.generation)
                if key in self.seen:
                    continue
                self.seen.add(key)
                self.count += 1
                if self.count > MAX_PDF_OBJECTS:
                    raise UnreadablePdf(UNREADABLE_PDF)
                item = item.get_object()
            if isinstance(item, DictionaryObject):
                for key, value in item.items():
                    name = _name(key)
                    if name in ACTIVE_PDF_NAMES:
                        target = value.get_object() if isinstance(value, IndirectObject) else value
                        if not (name == "OpenAction" and isinstance(target, ArrayObject)):
                            return ACTIVE_PDF_NAMES[name]  # an array is a first view, not an action
                    pending.append(value)
            elif isinstance(item, ArrayObject):
                pending.extend(item)
            elif isinstance(item, NameObject) and _name(item) in _ACTIVE_VALUES:
                return ACTIVE_PDF_NAMES[_name(item)]
        return None


def active_pdf_content(content: bytes) -> str | None:
    """What in a PDF could act on its own (a Chinese word for it), or None. Decided by parsing
    the file with pypdf and walking its whole object graph (object streams in any filter
    included); a file that does not parse, or is encrypted, raises UnreadablePdf."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        encrypted = reader.is_encrypted
        found = None if encrypted else _PdfWalk(reader).problem()
    except Exception as error:  # pypdf raises many kinds on a broken file
        raise UnreadablePdf(UNREADABLE_PDF) from error
    if encrypted:
        raise UnreadablePdf(ENCRYPTED_PDF)
    return found


class UnreadablePdf(Exception):
    """A PDF that does not parse (or is encrypted): refused, its message says why."""


def pdf_problem(content: bytes) -> str | None:
    """The Chinese reason an uploaded PDF is refused, or None."""
    try:
        what = active_pdf_content(content)
    except UnreadablePdf as error:
        return str(error)
    if what:
        return (
            f"该 PDF 含有{what}，出于安全原因不能作为证明材料。"
            "请用“打印为 PDF”或重新扫描生成一份普通的 PDF 后再上传。"
        )
    return None


def _refused_file(message: str) -> Refusal:
    """A refused file: the message is shown beside the upload field."""
    return Refusal(message, INVALID, field="file")


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    display_name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def max_file_bytes() -> int:
    return int(get_setting("EVIDENCE_MAX_FILE_BYTES"))


def max_declaration_bytes() -> int:
    return int(get_setting("EVIDENCE_MAX_DECLARATION_BYTES"))


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} 字节"


def sniff(content: bytes) -> str | None:
    """The content type by magic bytes, or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def is_heif(content: bytes) -> bool:
    """An ISO base media file (HEIC, HEIF, AVIF): ``....ftyp`` and a HEIF brand."""
    return content[4:8] == b"ftyp" and content[8:12] in _HEIF_BRANDS


def normalise_photo(content: bytes, content_type: str) -> bytes:
    """Upright (EXIF orientation), without metadata, long side at most PHOTO_LONG_SIDE."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(content)) as opened:
        image = ImageOps.exif_transpose(opened)
        image.thumbnail((PHOTO_LONG_SIDE, PHOTO_LONG_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if content_type == JPEG:
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            # Only the colour profile is kept; EXIF (with GPS) and comments are not written.
            image.save(
                out,
                "JPEG",
                quality=PHOTO_QUALITY,
                optimize=True,
                icc_profile=opened.info.get("icc_profile"),
            )
        else:
            image.save(out, "PNG", optimize=True)
        return out.getvalue()


def _pixels(content: bytes) -> int | None:
    """Width × height from the image's header (nothing decoded), or None when unreadable."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
    except Exception:  # Pillow raises many kinds of errors on broken files
        return None
    return width * height


def _image_is_whole(content: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
        return True
    except Exception:  # Pillow raises many kinds of errors on broken files
        return False


def sanitise_name(name: str | None, content_type: str) -> str:
    """A display name: no folders, no control characters, the real extension, at most 120 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:100] or "证明材料"
    return stem + EXTENSIONS[content_type]


def check_file(content: bytes, filename: str | None) -> CheckedFile:
    """Decide whether the bytes may be evidence; raise a Refusal with a Chinese reason."""
    if not content:
        raise _refused_file("文件是空的，请重新选择证明材料。")
    limit = max_file_bytes()
    too_big = f"文件超过单个文件大小上限（{human_size(limit)}），请压缩后再上传。"
    content_type = sniff(content)
    if content_type not in (JPEG, PNG) and len(content) > limit:
        raise _refused_file(too_big)
    if content_type is None:
        if is_heif(content):
            raise _refused_file(HEIC_MESSAGE)
        for magic, what in _EXECUTABLE_MAGIC:
            if content.startswith(magic):
                raise _refused_file(f"该文件实际是{what}，不是 PDF、JPG 或 PNG，不能作为证明材料。")
        if _SCRIPT_START.match(content[:200]):
            raise _refused_file("该文件实际是网页或脚本，不是 PDF、JPG 或 PNG，不能作为证明材料。")
        raise _refused_file("只能上传 PDF、JPG 或 PNG 格式的证明材料（按文件内容判断）。")
    if content_type == PDF and (problem := pdf_problem(content)):
        raise _refused_file(problem)
    if content_type in (JPEG, PNG):
        if len(content) > PHOTO_MAX_BYTES:
            raise _refused_file(
                f"照片超过 {human_size(PHOTO_MAX_BYTES)}，请降低相机分辨率或压缩后再上传。"
            )
        pixels = _pixels(content)
        if pixels is not None and pixels > PHOTO_MAX_PIXELS:
            raise _refused_file(
                f"图片像素过多（{pixels / 1e6:.0f} 百万像素，上限 {PHOTO_MAX_PIXELS / 1e6:.0f} 百万），"
                "请缩小尺寸或降低相机分辨率后再上传。"
            )
        if not _image_is_whole(content):
            raise _refused_file("图片文件已损坏或不完整，无法打开，请重新扫描或拍照后上传。")
        try:
            content = normalise_photo(content, content_type)
        except Exception:  # Pillow raises many kinds of errors on odd files
            raise _refused_file("图片无法处理，请重新拍照，或转换为 JPG 后上传。") from None
        if len(content) > limit:
            raise _refused_file(too_big)
    return CheckedFile(
        content=content,
        content_type=content_type,
        display_name=sanitise_name(filename, content_type),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def read_upload(storage) -> bytes:
    """Read at most one byte beyond the larger of the per-file limit and a camera photo's
    (the rest is never held in memory)."""
    if storage is None:
        raise _refused_file("请选择要上传的文件。")
    return storage.stream.read(max(max_file_bytes(), PHOTO_MAX_BYTES) + 1)


def declaration_bytes(declaration_id: int) -> int:
    from portal.declarations.models import Claim, Evidence

    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Evidence.size), 0))
        .join(Claim, Evidence.claim_id == Claim.id)
        .where(Claim.declaration_id == declaration_id)
    )
    return int(total or 0)


def check_declaration_room(declaration_id: int, size: int) -> None:
    limit = max_declaration_bytes()
    used = declaration_bytes(declaration_id)
    if used + size > limit:
        raise _refused_file(
            f"本年度申报的证明材料总大小不能超过 {human_size(limit)}"
            f"（已用 {human_size(used)}），请压缩后再上传。"
        )


def person_bytes(professional_id: int) -> int:
    """All the evidence a person's declarations hold, every year."""
    from portal.declarations.models import Claim, Declaration, Evidence

    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Evidence.size), 0))
        .join(Claim, Evidence.claim_id == Claim.id)
        .join(Declaration, Claim.declaration_id == Declaration.id)
        .where(Declaration.professional_id == professional_id)
    )
    return int(total or 0)


def check_person_room(person, size: int) -> None:
    """Quotas (issue 23.4): an unconfirmed person (a self-registration the unit has not
    confirmed) may upload EVIDENCE_QUOTA_UNCONFIRMED_BYTES in all; every person
    EVIDENCE_QUOTA_PERSON_BYTES over all years."""
    from portal.accounts.models import PersonStatus

    confirmed = person.status is PersonStatus.CONFIRMED
    limit = int(
        get_setting(
            "EVIDENCE_QUOTA_PERSON_BYTES" if confirmed else "EVIDENCE_QUOTA_UNCONFIRMED_BYTES"
        )
    )
    used = person_bytes(person.id)
    if used + size <= limit:
        return
    if not confirmed:
        raise _refused_file(
            f"您的注册尚待单位确认，确认前上传的证明材料合计不能超过 {human_size(limit)}"
            f"（已用 {human_size(used)}）。请等单位确认后再上传其余材料。"
        )
    raise _refused_file(
        f"您的证明材料合计不能超过 {human_size(limit)}（已用 {human_size(used)}），"
        "请压缩后再上传，或联系县人社局。"
    )


def largest_users(limit: int = 20) -> list[tuple]:
    """(person, bytes, files) of the people whose evidence takes the most room, largest first:
    the bureau's view of the quotas."""
    from portal.accounts.models import Professional
    from portal.declarations.models import Claim, Declaration, Evidence

    total = sa.func.sum(Evidence.size).label("bytes")
    rows = db.session.execute(
        sa.select(Declaration.professional_id, total, sa.func.count(Evidence.id))
        .join(Claim, Evidence.claim_id == Claim.id)
        .join(Declaration, Claim.declaration_id == Declaration.id)
        .group_by(Declaration.professional_id)
        .order_by(total.desc())
        .limit(limit)
    ).all()
    people = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Professional).where(Professional.id.in_([r[0] for r in rows]))
        )
    }
    return [(people[pid], int(size), count) for pid, size, count in rows]


def new_stored_name(content_type: str) -> str:
    return uuid.uuid4().hex + EXTENSIONS[content_type]


def _checked(stored_name: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{32}\.(pdf|jpg|png)", stored_name):
        raise ValueError("bad stored name")
    return stored_name


def path_of(stored_name: str) -> str:
    """The file's path in the local store (the tests and the backup of a local instance)."""
    return os.path.join(current_app.config["UPLOAD_FOLDER"], _checked(stored_name))


def send(stored_name: str, **options):
    """The file streamed from the store (FileNotFoundError when it is gone)."""
    return storage_files.store().send(storage_files.EVIDENCE, _checked(stored_name), **options)


def store(claim, checked: CheckedFile, uploader_id: int, *, after_submission: bool = False):
    """The Evidence row of a checked file, flushed (valid before the file exists), then the
    file written; a rollback removes the file again."""
    from portal.declarations.models import Evidence

    item = Evidence(
        claim=claim,
        original_name=checked.display_name,
        stored_name=new_stored_name(checked.content_type),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_at=utcnow(),
        uploaded_by_id=uploader_id,
        after_submission=after_submission,
    )
    db.session.add(item)
    db.session.flush()
    write_file(item.stored_name, checked.content)
    return item


def write_file(stored_name: str, content: bytes) -> None:
    """Write to the store (atomically); remembered for removal on rollback."""
    storage_files.store().put(storage_files.EVIDENCE, _checked(stored_name), content)
    session = db.session()
    session.info.setdefault("evidence_written", []).append((storage_files.store(), stored_name))


def remove_after_commit(stored_name: str) -> None:
    entry = (storage_files.store(), _checked(stored_name))
    db.session().info.setdefault("evidence_removed", []).append(entry)


def _remove(entries: list) -> None:
    for keeper, name in entries:
        try:
            keeper.delete(storage_files.EVIDENCE, name)
        except OSError:  # a locked file on Windows, the object store away: left for cleanup
            logging.getLogger(__name__).warning("could not remove evidence file %s", name)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop("evidence_written", None)
    _remove(session.info.pop("evidence_removed", []))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    _remove(session.info.pop("evidence_written", []))
    session.info.pop("evidence_removed", None)
