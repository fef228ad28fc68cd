"""Hostile files made by the tests themselves (issue 23): PDFs written object by object with a
real cross-reference table, Excel bombs, huge-pixel images."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

PAGE_OBJECTS = {
    2: b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
    3: b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
}


def raw_pdf(objects: dict[int, bytes], *, root: int = 1, version: bytes = b"1.4") -> bytes:
    """A PDF whose objects are the given bodies (object 1 the catalog unless `root` says
    otherwise), with a correct xref table and trailer, so any parser reads it."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    size = max(objects) + 1
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        if number in offsets:
            out += b"%010d 00000 n \n" % offsets[number]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<</Size %d/Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    return bytes(out)


def plain_pdf(catalog_extra: bytes = b"", **more: bytes) -> bytes:
    """A one-page PDF; `catalog_extra` is added to the catalog, `more` adds objects (o4=...)."""
    objects = {1: b"<</Type/Catalog/Pages 2 0 R" + catalog_extra + b">>", **PAGE_OBJECTS}
    for key, body in more.items():
        objects[int(key[1:])] = body
    return raw_pdf(objects)


def stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<<" + dictionary + b"/Length %d>>stream\n" % len(data) + data + b"\nendstream"


def pdf_with_object_stream(
    inside: dict[int, bytes], *, hex_encoded: bool = False, before: bytes | None = None
) -> bytes:
    """A PDF 1.5 whose catalog (object 1) and the `inside` objects live in an object stream
    (object 10), found through a cross-reference stream. `hex_encoded` encodes the object
    stream with ASCIIHexDecode (then Flate); `before` is a stream object (11) written first."""
    numbers = sorted(inside)
    bodies = [inside[n] for n in numbers]
    header, offset = [], 0
    for number, body in zip(numbers, bodies, strict=True):
        header.append(b"%d %d" % (number, offset))
        offset += len(body) + 1
    first = b" ".join(header) + b"\n"
    data = first + b"\n".join(bodies) + b"\n"
    packed = zlib.compress(data)
    filters = b"/FlateDecode"
    if hex_encoded:
        packed = packed.hex().encode() + b">"
        filters = b"[/ASCIIHexDecode/FlateDecode]"
    objstm = stream(
        packed, b"/Type/ObjStm/N %d/First %d/Filter%s" % (len(numbers), len(first), filters)
    )
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    if before is not None:
        offsets[11] = len(out)
        out += b"11 0 obj\n" + before + b"\nendobj\n"
    offsets[10] = len(out)
    out += b"10 0 obj\n" + objstm + b"\nendobj\n"
    size = max([*numbers, 12]) + 1
    xref_number = size - 1
    offsets[xref_number] = len(out)
    rows = bytearray()
    for number in range(size):
        if number in offsets:
            rows += struct.pack(">BIH", 1, offsets[number], 0)
        elif number in inside:
            rows += struct.pack(">BIH", 2, 10, numbers.index(number))
        else:
            rows += struct.pack(">BIH", 0, 0, 65535)
    out += (
        b"%d 0 obj\n" % xref_number
        + stream(bytes(rows), b"/Type/XRef/Size %d/W[1 4 2]/Root 1 0 R" % size)
        + b"\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


# --- the four variants issue 23.2 found accepted ----------------------------------------------

JS_ACTION = b"<</S/JavaScript/JS(app.alert\\(1\\))>>"


def pdf_nul_separated() -> bytes:
    """Names separated by NUL (whitespace to a PDF reader, not to a regular expression)."""
    return plain_pdf(
        b"/Names<</JavaScript\x00 4 0 R>>",
        o4=b"<</Names[(a) 5 0 R]>>",
        o5=b"<</S/JavaScript\x00/JS\x00(app.alert\\(1\\))>>",
    )


def pdf_hex_object_stream() -> bytes:
    return pdf_with_object_stream(
        {1: b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>", **PAGE_OBJECTS, 4: JS_ACTION},
        hex_encoded=True,
    )


def pdf_beyond_inflate_budget(megabytes: int = 65) -> bytes:
    """A stream inflating to more than 64 MB first; the script in an object stream after it."""
    squeezer = zlib.compressobj(9)
    packed = b"".join(squeezer.compress(bytes(1024 * 1024)) for _ in range(megabytes))
    packed += squeezer.flush()
    big = stream(packed, b"/Filter/FlateDecode")
    return pdf_with_object_stream(
        {1: b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>", **PAGE_OBJECTS, 4: JS_ACTION},
        before=big,
    )


def pdf_xfa_script() -> bytes:
    xfa = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform><event activity="docReady"><script contentType="application/x-javascript">app.alert(1)</script></event></subform></template></xdp:xdp>'
    return plain_pdf(b"/AcroForm<</Fields[]/XFA 4 0 R>>", o4=stream(xfa))


# --- Excel ------------------------------------------------------------------------------------


def xlsx_bomb(entries: int = 1_000_000, header: tuple = ("姓名", "身份证号码")) -> bytes:
    """A small .xlsx whose shared-strings table has `entries` entries (the sheet itself holds
    only a header row)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        cells = "".join(
            f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
            for i, h in enumerate(header)
        )
        book.writestr(
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData><row r="1">{cells}</row></sheetData></worksheet>',
        )
        with book.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                b'count="%d" uniqueCount="%d">' % (entries, entries)
            )
            chunk = b"<si><t>a</t></si>" * 10000
            for _ in range(entries // 10000):
                strings.write(chunk)
            strings.write(b"<si><t>a</t></si>" * (entries % 10000) + b"</sst>")
    return out.getvalue()


# --- images -----------------------------------------------------------------------------------


def huge_png(width: int = 10000, height: int = 8000) -> bytes:
    """A valid PNG of width × height white grey pixels that compresses to a few hundred KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    squeezer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width  # filter 0, grey 8 bit
    packed = b"".join(squeezer.compress(row) for _ in range(height)) + squeezer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", packed) + chunk(b"IEND", b"")
    )
