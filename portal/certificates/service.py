"""Certificates: the number (once per person) and printed copies with verification codes.

Certificate number (证书编号), seed 002 四(二)(三): assigned once per person at the first print and
never changed by reprint, renewal (续办) or reissue (补办). Format::

    <county code>-<year of first issue>-<sequence>      e.g. 341822-2025-000017

county code: the 6-digit administrative division code of the person's county (GB/T 2260; the
install's own county keeps setting CERTIFICATE_COUNTY_CODE, default 341822); year: local (+08:00) year of the first print; sequence: 6 digits, counting
from 000001 within that county and year. The column is unique; a collision of two first prints
at the same moment is retried with the next sequence.

Verification code (查验码): 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
drawn with `secrets` — 31**10 ≈ 8·10^14 codes, so guessing one is hopeless. Shown grouped as
ABCDE-FGHJK; typed input is normalised (case, spaces, dashes). Lookups by this short code are
limited per address (VERIFY_LIMIT_PER_HOUR; a refused lookup is audited) and show less: that the
certificate is genuine, its number and the masked person, never the hours year by year.

Verification token: 128 random bits in base32 (26 characters), in the QR code's link only. The
link shows the full record, as printed; it cannot be guessed, so it is not limited.
"""

import base64
import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.accounts.models import Professional, Role, User, mask_id_number, mask_name
from portal.audit.service import record
from portal.certificates.models import Certificate, CertificateLookup, CertificatePrint
from portal.clock import LOCAL_TZ
from portal.declarations.models import Declaration, DeclarationSource, DeclarationStatus
from portal.extensions import db
from portal.jurisdictions import public, scope
from portal.jurisdictions import service as jurisdictions
from portal.models_base import utcnow
from portal.refusal import CONFLICT, TOO_MANY, Refusal, forbidden
from portal.settings import get_setting, has_own_setting
from portal.storage import service as storage

DEFAULT_COUNTY_CODE = "341822"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
TOKEN_BYTES = 16  # 128 bits
_TOKEN_RE = re.compile(r"^[A-Z2-7]{26}$")
# Declarations on their way to registration: the certificate page explains the wait.
IN_PROGRESS = (
    DeclarationStatus.SUBMITTED,
    DeclarationStatus.NEEDS_EVIDENCE,
    DeclarationStatus.PROFESSIONAL_CHECKED,
    DeclarationStatus.APPROVED,
    DeclarationStatus.PUBLICISED,
)


def bureau_name(county: str | None = None) -> str:
    """The issuing bureau of the county (by default the one acted for): its saved setting,
    else, in an instance of several counties, the division's bureau name, else the city's or
    the instance's setting, else config BUREAU_NAME."""
    county = county or scope.home_county()
    if not jurisdictions.is_single_county() and not has_own_setting("BUREAU_NAME", county):
        node = jurisdictions.get(county)
        if node is not None and node.bureau_name:
            return node.bureau_name
    return get_setting("BUREAU_NAME", county)


def county_code(county: str | None = None) -> str:
    """The county code in certificate and verification numbers (and in the exchange files):
    the record's county's GB/T 2260 code, each county numbering its own series; the install's
    own county keeps config CERTIFICATE_COUNTY_CODE."""
    county = county or scope.home_county()
    if county == jurisdictions.default_county():
        return current_app.config.get("CERTIFICATE_COUNTY_CODE") or DEFAULT_COUNTY_CODE
    return county


def can_print(user: User, professional: Professional) -> bool:
    """Only the person themself prints their certificate."""
    return (
        user.is_authenticated
        and user.role is Role.PROFESSIONAL
        and professional.user_id is not None
        and professional.user_id == user.id
    )


def registered_declarations(professional: Professional) -> list[Declaration]:
    return list(
        db.session.scalars(
            sa.select(Declaration)
            .where(
                Declaration.professional_id == professional.id,
                Declaration.status == DeclarationStatus.REGISTERED,
            )
            .order_by(Declaration.year)
        )
    )


def pending_declarations(professional: Professional) -> list[Declaration]:
    return list(
        db.session.scalars(
            sa.select(Declaration)
            .where(
                Declaration.professional_id == professional.id,
                Declaration.status.in_(IN_PROGRESS),
            )
            .order_by(Declaration.year)
        )
    )


def certificate_of(professional: Professional) -> Certificate | None:
    return db.session.scalar(
        sa.select(Certificate).where(Certificate.professional_id == professional.id)
    )


def next_numbers(now: datetime, count: int = 1, county: str | None = None) -> list[str]:
    """The next `count` unused numbers of the county (default: the one acted for) and year of
    `now`, in order."""
    prefix = f"{county_code(county)}-{now.astimezone(LOCAL_TZ).year}-"
    last = db.session.scalar(
        sa.select(Certificate.number)
        .where(Certificate.number.like(prefix + "%"))
        .execution_options(all_jurisdictions=True)  # the series is the county's, seen or not
        .order_by(Certificate.number.desc())
        .limit(1)
    )
    first = int(last.removeprefix(prefix)) + 1 if last else 1
    return [prefix + f"{sequence:06d}" for sequence in range(first, first + count)]


def _next_number(now: datetime, county: str) -> str:
    return next_numbers(now, county=county)[0]


def ensure_certificate(professional: Professional, user: User | None = None) -> Certificate:
    """The person's certificate, created with its number on first need; never renumbered."""
    certificate = certificate_of(professional)
    if certificate is not None:
        return certificate
    for _attempt in range(5):
        now = utcnow()
        certificate = Certificate(
            professional=professional,
            number=_next_number(now, professional.jurisdiction_code),
            issued_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
                db.session.flush()
        except IntegrityError:
            # Another first print took this number (or this person) at the same moment.
            existing = certificate_of(professional)
            if existing is not None:
                return existing
            continue
        record(
            "certificate.issue",
            certificate,
            user=user,
            detail=f"证书编号 {certificate.number}（{professional.name}）",
        )
        return certificate
    raise Refusal("证书编号分配冲突，请稍后重试。", CONFLICT)


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        exists = db.session.scalar(
            sa.select(CertificatePrint.id).where(CertificatePrint.code == code)
        )
        if exists is None:
            return code


def new_token() -> str:
    """128 random bits, base32 without padding: 26 characters A-Z and 2-7."""
    return base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode().rstrip("=")


def normalise_code(text: str) -> str | None:
    """'abcde-fghjk ' → 'ABCDEFGHJK'; None when it cannot be a code at all."""
    code = re.sub(r"[\s\-]", "", text or "").upper()
    return code if _CODE_RE.match(code) else None


def display_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}" if len(code) == CODE_LENGTH else code


def reviewer_label(declaration: Declaration) -> str:
    """Who reviewed: the unit for a unit reviewer, the bureau for a bureau officer."""
    reviewer = declaration.reviewer
    if reviewer is None:
        return ""
    if reviewer.role is Role.UNIT_REVIEWER and reviewer.unit is not None:
        return reviewer.unit.name
    return bureau_name()


def _local_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).date().isoformat()
    return value.isoformat()


PAPER_LABEL = "据纸质证书登记"


def year_rows(declarations: list[Declaration]) -> list[dict]:
    """One row a registered year. A paper year says what it is (据纸质证书登记, with the
    booklet's registering body and date), never reviewed and publicised; the bureau's reason
    for entering a year the portal could have reviewed goes with it."""
    return [_year_row(d) for d in declarations]


def _year_row(d: Declaration) -> dict:
    row = {
        "year": d.year,
        "general": d.general_hours or 0,
        "professional": d.professional_hours or 0,
        "total": d.total_hours or 0,
        "compliant": bool(d.compliant),
        "reviewer": reviewer_label(d),
        "reviewed_on": _local_date(d.reviewed_at),
        "registered_on": _local_date(d.registered_on or d.registered_at),
    }
    if d.source is DeclarationSource.PAPER:
        registrar = f"（{d.paper_registrar}）" if d.paper_registrar else ""
        row |= {
            "paper": True,
            "reviewer": PAPER_LABEL + registrar,
            "reviewed_on": "—",
            "registered_on": _local_date(d.paper_registered_on) or row["registered_on"],
            "paper_reason": d.paper_reason or "",
        }
    return row


def title_text(professional: Professional) -> str:
    """The latest recorded title (series, level, name); the registration form's words where no
    title is recorded."""
    if professional.titles:
        title = professional.titles[0]
        parts = [title.series.name, title.level.label, title.name]
    else:
        parts = [professional.title_series, professional.title_level, professional.title_name]
    return " ".join(p for p in parts if p)


def snapshot(professional: Professional, declarations: list[Declaration]) -> dict:
    """What this print shows, kept for verification. No full ID number is stored."""
    return {
        "name": professional.name,
        "id_masked": mask_id_number(professional.id_number),
        "unit": professional.unit.name if professional.unit else "自由职业",
        "title": title_text(professional),
        "bureau": bureau_name(),
        "years": year_rows(declarations),
    }


def verification_url(code: str, county: str | None = None) -> str:
    """Absolute /verify/<code> (the QR link: given the print's token) on the public pages of
    the county (by default the one acted for: the person printing, the bulk print's county):
    PUBLIC_BASE_URL when set (the address printed on paper), the county's prefix or host in an
    instance of several counties."""
    return public.url("certificates.verify", county or scope.home_county(), code=code)


def print_certificate(user: User, professional: Professional) -> CertificatePrint:
    """A new printed copy with its own code and snapshot; audited. Render with pdf_context()."""
    if not can_print(user, professional):
        raise forbidden("只有本人可以打印自己的学时登记证书。")
    declarations = registered_declarations(professional)
    if not declarations:
        raise Refusal("您还没有已登记的年度学时，暂不能打印证书。", CONFLICT)
    return _new_print(user, professional, declarations)


def can_bulk_print(user: User, unit_id: int) -> bool:
    """A unit prints its own people's certificates; the bureau any unit's."""
    if not user.is_authenticated or not user.active:
        return False
    if user.role is Role.BUREAU_OFFICER:
        return True
    return user.role is Role.UNIT_REVIEWER and user.unit_id is not None and user.unit_id == unit_id


def bulk_print_people(user: User, unit_id: int, year: int) -> list[Professional]:
    """The unit's people with the year registered, in name order (the bulk print's list)."""
    if not can_bulk_print(user, unit_id):
        raise forbidden("只能批量打印本单位人员的学时登记证书。")
    return list(
        db.session.scalars(
            sa.select(Professional)
            .join(Declaration, Declaration.professional_id == Professional.id)
            .where(
                Professional.unit_id == unit_id,
                Declaration.year == year,
                Declaration.status == DeclarationStatus.REGISTERED,
            )
            .order_by(Professional.name, Professional.id)
        )
    )


def print_for_unit(
    user: User, professional: Professional, job_id: int | None = None
) -> CertificatePrint:
    """One copy of a bulk print: as a single print would be (same number, a new code), marked
    with its job (withdrawn if the job does not finish)."""
    if professional.unit_id is None or not can_bulk_print(user, professional.unit_id):
        raise forbidden("只能批量打印本单位人员的学时登记证书。")
    declarations = registered_declarations(professional)
    if not declarations:
        raise Refusal(f"{professional.name}没有已登记的年度学时。", CONFLICT)
    return _new_print(user, professional, declarations, job_id)


def _new_print(
    user: User,
    professional: Professional,
    declarations: list[Declaration],
    job_id: int | None = None,
) -> CertificatePrint:
    certificate = ensure_certificate(professional, user)
    printed = CertificatePrint(
        certificate=certificate,
        job_id=job_id,
        code=new_code(),
        token=new_token(),
        printed_at=utcnow(),
        content=snapshot(professional, declarations),
    )
    db.session.add(printed)
    db.session.flush()
    years = "、".join(str(row["year"]) for row in printed.content["years"])
    record(
        "certificate.print",
        printed,
        user=user,
        detail=f"证书编号 {certificate.number}，登记年度 {years}",  # never the code
    )
    return printed


def withdraw_job_prints(job_id: int) -> int:
    """Delete the copies a bulk print job recorded but never delivered (it failed or its
    consumer died): their codes were never on paper, and later-print notices must not count
    them. Returns how many; the caller audits."""
    prints = db.session.scalars(
        sa.select(CertificatePrint).where(CertificatePrint.job_id == job_id)
    ).all()
    for printed in prints:
        db.session.delete(printed)
    db.session.flush()
    return len(prints)


def pdf_context(printed: CertificatePrint) -> dict:
    content = printed.content
    return {
        "number": printed.certificate.number,
        "code": display_code(printed.code),
        "printed_on": _local_date(printed.printed_at),
        **content,
    }


def find_print(code: str) -> CertificatePrint | None:
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return db.session.scalar(
        sa.select(CertificatePrint)
        .options(joinedload(CertificatePrint.certificate))
        .where(CertificatePrint.code == normalised)
    )


def lookup(text: str, ip: str) -> tuple[CertificatePrint | None, bool]:
    """(the print, whether the full record may be shown) for what follows /verify/.

    The QR link's token shows everything. A short code is counted against its address's limit
    first, found or not (guessing is what the limit stops), and shows less."""
    token = (text or "").upper()
    if _TOKEN_RE.match(token):
        found = db.session.scalar(
            sa.select(CertificatePrint)
            .options(joinedload(CertificatePrint.certificate))
            .where(CertificatePrint.token == token)
        )
        return found, True
    now = utcnow()
    limit = int(current_app.config.get("VERIFY_LIMIT_PER_HOUR", 20))
    # Recorded first, then counted with itself, one lookup of an address at a time (issue
    # 23.13: 40 parallel lookups got 21 answers for 20): PostgreSQL by an advisory lock on the
    # address, SQLite by the write lock the insert takes. A refused lookup is rolled back.
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(ip.encode()).digest()[:8], "big", signed=True)
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    with storage.unless_unwritable() as write:
        db.session.execute(
            sa.delete(CertificateLookup).where(CertificateLookup.at < now - timedelta(days=1))
        )
        db.session.add(CertificateLookup(ip=ip, at=now))
    recent = db.session.scalar(
        sa.select(sa.func.count(CertificateLookup.id)).where(
            CertificateLookup.ip == ip, CertificateLookup.at >= now - timedelta(hours=1)
        )
    ) + (1 if write.failed else 0)
    if recent > limit or (write.failed and _unrecorded_lookups(ip, now) + 1 > limit):
        raise Refusal(
            "您查验得过于频繁，请一小时后再试；扫描证书上的二维码查验不受此限制。",
            TOO_MANY,
            action="certificate.verify_throttle",
        )
    if write.failed:
        # Disk full or read-only: the check still answers, counted in this process meanwhile.
        _remember_unrecorded(ip, now)
    return find_print(text), False


def _unrecorded(now: datetime) -> dict:
    """Lookups this process could not store (per address, the last hour's times)."""
    kept = current_app.extensions.setdefault("unrecorded_verify_lookups", {})
    for ip in list(kept):
        kept[ip] = [at for at in kept[ip] if at >= now - timedelta(hours=1)]
        if not kept[ip]:
            del kept[ip]
    return kept


def _unrecorded_lookups(ip: str, now: datetime) -> int:
    return len(_unrecorded(now).get(ip, ()))


def _remember_unrecorded(ip: str, now: datetime) -> None:
    _unrecorded(now).setdefault(ip, []).append(now)


def verification(printed: CertificatePrint, full: bool = True) -> dict:
    """What the public page shows: the snapshot, masked, and which years no longer stand.
    Not `full` (a short code typed in): genuine or not, the number and the masked person."""
    content = printed.content
    certificate = printed.certificate
    current = dict(
        db.session.execute(
            sa.select(Declaration.year, Declaration.status).where(
                Declaration.professional_id == certificate.professional_id
            )
        ).all()
    )
    years = []
    for row in content.get("years", []):
        status = current.get(row["year"])
        years.append({**row, "revoked": status is not DeclarationStatus.REGISTERED})
    # Later copies with other years or hours: this one is outdated. A copy with the same content
    # (the unit's bulk print, a reprint) is not (20.15).
    later = sum(
        later_content.get("years") != content.get("years")
        for later_content in db.session.scalars(
            sa.select(CertificatePrint.content).where(
                CertificatePrint.certificate_id == certificate.id,
                CertificatePrint.id > printed.id,
            )
        )
    )
    if not full:
        return {
            "full": False,
            "number": certificate.number,
            "code": display_code(printed.code),
            "printed_at": printed.printed_at,
            "name": mask_name(content.get("name", "")),
            "id_masked": content.get("id_masked", ""),
            "bureau": content.get("bureau", ""),
            "years": [],
            "any_revoked": any(row["revoked"] for row in years),
            "later_prints": later or 0,
        }
    return {
        "full": True,
        "number": certificate.number,
        "code": display_code(printed.code),
        "printed_at": printed.printed_at,
        "name": mask_name(content.get("name", "")),
        "id_masked": content.get("id_masked", ""),
        "unit": content.get("unit", ""),
        "title": content.get("title", ""),
        "bureau": content.get("bureau", ""),
        "years": years,
        "any_revoked": any(row["revoked"] for row in years),
        "later_prints": later or 0,
    }


def certificate_pdf(printed: CertificatePrint, font=None) -> bytes:
    """The PDF of a printed copy; raises fonts.FontNotFound when no CJK font is usable."""
    from portal.certificates.fonts import certificate_font
    from portal.certificates.pdf import render_certificate_pdf

    font = font or certificate_font()
    return render_certificate_pdf(pdf_context(printed), font, verification_url(printed.token))
