"""Excel in and out, the one place for both (issue 23.1, 23.8).

In: every uploaded workbook (qualified lists, courseware records, the people roster) is checked
as a zip before anything parses it — how many entries, how large each is when inflated and all
together, how far each inflates, and the shared-strings table's size and entry count (a 43 KB
file can hold a million shared strings, which openpyxl builds in memory before the first row).
Python's zipfile never yields more than an entry's declared size (and checks its CRC), so the
declared sizes bound what a parser can be made to read. A web request then peeks at the header
rows only (`peek_rows`); reading every row happens in the job (or the command line), in a child
process with a time and a memory limit (`read_rows`; IMPORT_PARSE_SECONDS, IMPORT_PARSE_MEMORY_MB).

Out: every workbook the portal writes passes its cells through `safe_cell`, so a name or unit
name starting with = + - @ (or a tab or carriage return) is written as text, never run as a
formula (a HYPERLINK could send the row's ID number away).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import zipfile
from collections.abc import Iterable
from urllib.parse import quote

from flask import Response, current_app, has_app_context
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.refusal import INVALID, Refusal

MAX_ENTRIES = 500
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # one part inflated (a 20,000-row sheet is about 8 MB)
MAX_TOTAL_BYTES = 160 * 1024 * 1024  # all parts inflated
MAX_RATIO = 100  # inflated / compressed, for parts above RATIO_FROM_BYTES (office files: 5–20)
RATIO_FROM_BYTES = 1024 * 1024
SHARED_STRINGS_MAX_BYTES = 16 * 1024 * 1024
SHARED_STRINGS_MAX_ENTRIES = 250_000
UNREADABLE = "无法读取该文件：请上传 Excel（.xlsx）文件，并使用下载的模板格式。"
BOMB = "该 Excel 文件的压缩内容异常（{what}），可能是恶意构造的文件，已拒绝。请用 Excel 或 WPS 另存为后再上传。"
TOO_COSTLY = (
    "文件过大或过于复杂，解析超出了时间（{seconds} 秒）或内存（{megabytes} MB）限制，"
    "请分成几个较小的文件导入。"
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _refused(message: str) -> Refusal:
    return Refusal(message, INVALID, field="file")


def check_xlsx(content: bytes) -> None:
    """Refuse (with a Chinese message by the file field) a workbook whose zip could exhaust
    the memory or time of whoever parses it; a file that is not a zip is unreadable."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refused(UNREADABLE) from None
    if len(entries) > MAX_ENTRIES:
        raise _refused(BOMB.format(what=f"含 {len(entries)} 个部件"))
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.file_size > MAX_ENTRY_BYTES or total > MAX_TOTAL_BYTES:
            raise _refused(BOMB.format(what="解压后过大"))
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise _refused(BOMB.format(what=f"压缩比 {ratio:.0f}:1"))
        if entry.filename.lower().endswith("sharedstrings.xml"):
            _check_shared_strings(archive, entry)


def _check_shared_strings(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    if entry.file_size > SHARED_STRINGS_MAX_BYTES:
        raise _refused(BOMB.format(what="共享字符串表过大"))
    count, tail = 0, b""
    try:
        with archive.open(entry) as part:
            while chunk := part.read(1024 * 1024):
                text = tail + chunk
                count += text.count(b"<si>") + text.count(b"<si ")
                tail = text[-3:]
                if count > SHARED_STRINGS_MAX_ENTRIES:
                    raise _refused(BOMB.format(what="共享字符串过多"))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
        raise _refused(UNREADABLE) from None


def _open(content: bytes):
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception:  # openpyxl raises many kinds on a file that is not a workbook
        raise _refused(UNREADABLE) from None


def _rows(content: bytes, limit: int) -> list[list]:
    """The first sheet's rows (values), at most `limit` of them."""
    book = _open(content)
    try:
        rows = []
        for row in book.worksheets[0].iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) >= limit:
                break
        return rows
    except (Refusal, MemoryError):
        raise
    except Exception:  # a broken sheet
        raise _refused(UNREADABLE) from None
    finally:
        book.close()  # a read-only workbook holds its file until closed


def peek_rows(content: bytes, limit: int = 25) -> list[list]:
    """The first rows of a checked workbook, in this process (a web request's header peek)."""
    check_xlsx(content)
    return _rows(content, limit)


def dimension(content: bytes) -> int:
    """The rows a checked workbook says it has (for a progress bar); 0 when it does not say."""
    check_xlsx(content)
    book = _open(content)
    try:
        return int(book.worksheets[0].max_row or 0)
    finally:
        book.close()


def _limits() -> tuple[int, int]:
    config = current_app.config if has_app_context() else {}
    return int(config.get("IMPORT_PARSE_SECONDS", 120)), int(
        config.get("IMPORT_PARSE_MEMORY_MB", 512)
    )


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _child(connection, content: bytes, limit: int, memory: int | None) -> None:
    """In the forked child: the rows, or why not, sent back; the address space capped."""
    try:
        if memory is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        connection.send(("rows", _rows(content, limit)))
    except Refusal as refusal:
        connection.send(("refused", refusal.message))
    except MemoryError:
        connection.send(("costly", None))
    finally:
        connection.close()


def read_rows(content: bytes, limit: int) -> list[list]:
    """Every row (at most `limit`) of a checked workbook, read in a child process that may use
    IMPORT_PARSE_SECONDS and IMPORT_PARSE_MEMORY_MB more than this one; beyond either the child
    is stopped and the file refused. Where processes cannot be forked (Windows) the rows are
    read here, bounded by the zip check alone."""
    check_xlsx(content)
    seconds, megabytes = _limits()
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return _rows(content, limit)
    base = _address_space()
    memory = None if base is None else base + megabytes * 1024 * 1024
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sending, content, limit, memory), daemon=True)
    child.start()
    sending.close()
    try:
        if not receiving.poll(seconds):
            raise _refused(TOO_COSTLY.format(seconds=seconds, megabytes=megabytes))
        kind, value = receiving.recv()
    except (EOFError, OSError):  # the child died (out of memory in C code, killed)
        raise _refused(TOO_COSTLY.format(seconds=seconds, megabytes=megabytes)) from None
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()
    if kind == "refused":
        raise _refused(value)
    if kind == "costly":
        raise _refused(TOO_COSTLY.format(seconds=seconds, megabytes=megabytes))
    return value


# --- writing ----------------------------------------------------------------------------------


def safe_cell(value):
    """A text cell that a spreadsheet would run as a formula is written as text (prefix ')."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(value) for value in values]


def formula_like(text: str | None) -> bool:
    """Text a spreadsheet would take for a formula (the people import refuses such names)."""
    return bool(text) and text.strip().startswith(FORMULA_START[:4])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet(title: str, header, rows) -> bytes:
    """A one-sheet workbook for the staff pages' small exports: a bold header row, then the rows
    (every cell through `safe_cell`)."""
    book = Workbook()
    table = book.active
    table.title = title[:31]  # Excel's limit
    table.append(safe_row(header))
    for cell in table[1]:
        cell.font = Font(bold=True)
    for row in rows:
        table.append(safe_row(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_download(content: bytes, name: str) -> Response:
    """The file as an attachment named in Chinese (with an ASCII fallback)."""
    response = Response(content, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(name, safe='')}"
    )
    return response
