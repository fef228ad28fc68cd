"""Evidence from a phone's camera: several files at once, photos turned upright, stripped of
their metadata (GPS location) and scaled down; HEIC refused with a message saying what to do."""

import io
import os

import pytest
import sqlalchemy as sa
from PIL import Image

from portal.declarations import evidence as files
from portal.declarations.models import Evidence
from portal.extensions import db
from tests.declarations.conftest import PDF_BYTES, YEAR, png_bytes

CLAIMS = ({"kind": "training", "facts": {"days": 3}, "subject": "professional"},)
GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture
def draft(person, make_declaration):
    return make_declaration(person, claims=CLAIMS)


def camera_photo(size=(4000, 3000), orientation=6) -> bytes:
    """A landscape-encoded phone photo (textured, so it does not compress to nothing) that the
    camera marks 'rotate 90°' and tags with the place it was taken."""
    image = Image.effect_noise((size[0] // 10, size[1] // 10), 40).convert("RGB").resize(size)
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Apple"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 52.0, 0.0), 3: "E", 4: (117.0, 17.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def post(client, claim, *named_contents):
    return client.post(
        f"/declarations/{YEAR}/claims/{claim.id}/evidence",
        data={"file": [(io.BytesIO(content), name) for name, content in named_contents]},
        content_type="multipart/form-data",
    )


def stored(app):
    with app.app_context():
        return db.session.scalars(sa.select(Evidence).order_by(Evidence.id)).all()


def stored_image(app, item) -> Image.Image:
    path = os.path.join(app.config["UPLOAD_FOLDER"], item.stored_name)
    image = Image.open(path)
    image.load()
    return image


def test_camera_photo_is_upright_without_location_and_scaled_down(logged_in, app, draft):
    raw = camera_photo()
    assert len(raw) > 1_000_000
    response = post(logged_in, draft.claims[0], ("IMG_0001.JPG", raw))
    assert response.status_code == 303
    [item] = stored(app)
    image = stored_image(app, item)
    # Turned upright: the 4000x3000 landscape encoding marked "rotate 90°" is a portrait.
    assert image.size == (files.PHOTO_LONG_SIDE * 3 // 4, files.PHOTO_LONG_SIDE)
    exif = image.getexif()
    assert ORIENTATION not in exif and GPS_IFD not in exif and 0x010F not in exif
    assert "exif" not in image.info
    assert item.size < len(raw) // 3 and item.content_type == "image/jpeg"
    assert item.original_name == "IMG_0001.jpg"


def test_photo_above_the_file_limit_fits_once_scaled_down(logged_in, app, draft):
    app.config["EVIDENCE_MAX_FILE_BYTES"] = 800_000
    raw = camera_photo(orientation=1)
    assert len(raw) > 800_000
    assert post(logged_in, draft.claims[0], ("照片.jpg", raw)).status_code == 303
    [item] = stored(app)
    assert item.size <= 800_000


def test_png_metadata_is_dropped(logged_in, app, draft):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "拍摄于合肥市某小区")
    buffer = io.BytesIO()
    Image.new("RGB", (50, 40), (1, 2, 3)).save(buffer, "PNG", pnginfo=info)
    assert post(logged_in, draft.claims[0], ("截图.png", buffer.getvalue())).status_code == 303
    [item] = stored(app)
    image = stored_image(app, item)
    assert "Comment" not in image.info and image.size == (50, 40)


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"heix"])
def test_heic_is_refused_with_what_to_do(logged_in, app, draft, brand):
    heic = b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    response = post(logged_in, draft.claims[0], ("IMG_0002.HEIC", heic))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "HEIC" in text and "兼容性最佳" in text and "JPG" in text
    assert 'aria-invalid="true"' in text  # the error is tied to the file field
    assert stored(app) == []


def test_several_files_at_once(logged_in, app, draft):
    response = post(
        logged_in, draft.claims[0], ("结业证书.pdf", PDF_BYTES), ("现场照片.png", png_bytes())
    )
    assert response.status_code == 303
    assert [e.original_name for e in stored(app)] == ["结业证书.pdf", "现场照片.png"]


def test_one_bad_file_of_several_stores_none_and_names_it(logged_in, app, draft):
    response = post(
        logged_in, draft.claims[0], ("结业证书.pdf", PDF_BYTES), ("说明.txt", b"just some text")
    )
    assert response.status_code == 422
    assert "“说明”：只能上传 PDF、JPG 或 PNG" in response.get_data(as_text=True)
    assert stored(app) == []
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []


def test_no_file_chosen(logged_in, app, draft):
    response = post(logged_in, draft.claims[0], ("", b""))
    assert response.status_code == 422
    assert "请选择要上传的文件" in response.get_data(as_text=True)


def test_upload_field_offers_the_camera_and_several_files(logged_in, draft):
    page = logged_in.get(f"/declarations/{YEAR}").get_data(as_text=True)
    claim = draft.claims[0].id
    assert (
        f'<input type="file" id="file-{claim}" name="file" accept="image/*,application/pdf" multiple'
        in page
    )
    assert f'id="camera-{claim}" name="file" accept="image/*" capture="environment"' in page


def test_an_image_of_too_many_pixels_is_refused_before_decoding(logged_in, app, draft, monkeypatch):
    """Issue 23.11: a 10000 × 8000 PNG of a few hundred KB would cost a worker 700 MB."""
    from PIL import ImageFile

    from tests.hostile import huge_png

    content = huge_png(10000, 8000)
    assert len(content) < 300_000

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    response = post(logged_in, draft.claims[0], ("巨图.png", content))
    assert response.status_code == 422 and "像素过多" in response.text
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []
