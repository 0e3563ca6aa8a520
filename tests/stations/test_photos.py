"""Station photos are stored only as re-encoded copies: resized, without EXIF, and only if they are sound images."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from portal.models import AuditEntry
from stations import services
from stations.models import StationPhoto
from tests.factories import StationFactory, make_staff
from tests.stations.admin_forms import add_inline_row, change_form_data

pytestmark = pytest.mark.django_db


def jpeg_with_exif(size=(3000, 2000), orientation=None):
    """A real camera-like JPEG: maker, model, a GPS position and optionally an orientation tag."""
    image = Image.new("RGB", size, (30, 90, 160))
    # Something that is not flat, so the encoder has real work and a wrong crop would show.
    for x in range(0, size[0], 50):
        for y in range(0, size[1], 50):
            image.putpixel((x, y), (255, 255, 0))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 13.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 26.0, 40.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_bytes(width, height, idat_payload=None):
    """A PNG from its chunks. With `idat_payload` the pixel data is whatever we say, not what the header promises."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    if idat_payload is None:
        row = b"\x00" + b"\x00" * ((width + 7) // 8)
        idat_payload = zlib.compress(row * height, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat_payload) + chunk(b"IEND", b"")


def test_the_test_photo_really_carries_exif_and_gps():
    with Image.open(io.BytesIO(jpeg_with_exif())) as original:
        exif = original.getexif()
        assert exif[ExifTags.Base.Make] == "PhoneMaker"
        assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"


def test_a_photo_is_stored_re_encoded_resized_and_without_exif():
    station = StationFactory()
    staff = make_staff("station_staff", station=station)
    original = jpeg_with_exif((3000, 2000))

    photo = services.station_photo_add(station=station, upload=upload(original, "IMG_0001 家里.jpg"), caption=" 阅读区 ", actor=staff)

    photo.refresh_from_db()
    assert photo.caption == "阅读区"
    # A random name: nothing of the uploaded file name survives.
    assert "IMG_0001" not in photo.image.name and photo.image.name.endswith(".jpg")
    with photo.image.open("rb") as f:
        stored = f.read()
    assert stored != original
    with Image.open(io.BytesIO(stored)) as large:
        assert large.format == "JPEG"
        assert large.size == (1600, 1067)
        assert (photo.width, photo.height) == large.size
        assert len(large.getexif()) == 0
        assert "exif" not in large.info
    assert b"PhoneMaker" not in stored and b"GPS" not in stored
    with photo.thumbnail.open("rb") as f, Image.open(io.BytesIO(f.read())) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) == 480
        assert len(thumb.getexif()) == 0
    assert AuditEntry.objects.filter(action="stations.photo.added", actor=staff, object_id=str(photo.pk)).exists()


def test_the_orientation_tag_is_applied_before_it_is_dropped():
    station = StationFactory()
    # Orientation 6: the camera was held upright, the pixels are stored lying on their side.
    photo = services.station_photo_add(station=station, upload=upload(jpeg_with_exif((3000, 2000), orientation=6)), actor=None)
    assert (photo.width, photo.height) == (1067, 1600)


def test_a_small_photo_is_not_enlarged_and_transparency_becomes_white():
    station = StationFactory()
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    photo = services.station_photo_add(station=station, upload=upload(out.getvalue(), "logo.png", "image/png"), actor=None)
    with photo.image.open("rb") as f, Image.open(io.BytesIO(f.read())) as stored:
        assert stored.size == (300, 200)
        assert stored.mode == "RGB"
        assert stored.getpixel((150, 100)) >= (250, 250, 250)


def test_photos_are_numbered_after_the_existing_ones():
    station = StationFactory()
    first = services.station_photo_add(station=station, upload=upload(jpeg_with_exif((200, 100))), actor=None)
    second = services.station_photo_add(station=station, upload=upload(jpeg_with_exif((200, 100))), actor=None)
    assert (first.position, second.position) == (0, 1)


def test_deleting_a_photo_removes_its_files_after_commit(django_capture_on_commit_callbacks):
    station = StationFactory()
    photo = services.station_photo_add(station=station, upload=upload(jpeg_with_exif((200, 100))), actor=None)
    storage, names = photo.image.storage, [photo.image.name, photo.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        services.station_photo_delete(photo=photo, actor=None)
    assert not StationPhoto.objects.filter(pk=photo.pk).exists()
    assert not any(storage.exists(name) for name in names)


# --- What is refused


def truncated_jpeg():
    data = jpeg_with_exif((800, 600))
    return data[: len(data) // 2]


def real_bomb():
    """7000 x 7000 black pixels (49 megapixels, over our 40) in a PNG of a few kilobytes."""
    return png_bytes(7000, 7000)


def header_bomb():
    """A PNG whose header claims 30000 x 30000 pixels; the data behind it is almost nothing."""
    return png_bytes(30000, 30000, idat_payload=zlib.compress(b"\x00" * 1000))


# kind: (make the bytes, file name, the error code the service gives)
BAD_FILES = {
    "text": (lambda: "这不是图片，只是一段文字。\n".encode() * 20, "notes.jpg", "invalid_image"),
    "truncated": (truncated_jpeg, "cut.jpg", "broken_image"),
    "bomb": (real_bomb, "black.png", "too_many_pixels"),
    "header-bomb": (header_bomb, "huge.png", "too_many_pixels"),
    "empty": (lambda: b"", "empty.jpg", "empty"),
}


def refusal(kind):
    make, name, _code = BAD_FILES[kind]
    with pytest.raises(ValidationError) as refused:
        services.validate_photo_upload(upload(make(), name))
    return refused.value


def test_the_bombs_are_small_files():
    assert len(real_bomb()) < 100_000
    assert len(header_bomb()) < 2_000
    with Image.open(io.BytesIO(real_bomb())) as image:
        assert image.size == (7000, 7000)


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_is_refused_by_the_service(kind):
    make, name, code = BAD_FILES[kind]
    station = StationFactory()
    assert refusal(kind).code == code
    with pytest.raises(ValidationError):
        services.station_photo_add(station=station, upload=upload(make(), name), actor=None)
    assert not StationPhoto.objects.exists()


def test_a_file_in_another_format_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, format="BMP")
    with pytest.raises(ValidationError) as refused:
        services.validate_photo_upload(upload(out.getvalue(), "photo.bmp"))
    assert refused.value.code == "invalid_image"


def test_a_file_over_ten_megabytes_is_refused_before_it_is_decoded():
    big = upload(b"\xff\xd8" + b"\x00" * (10 * 1024 * 1024), "big.jpg")
    with pytest.raises(ValidationError) as refused:
        services.validate_photo_upload(big)
    assert refused.value.code == "too_large"


@pytest.mark.parametrize(("limit", "why"), [(4_000, "error"), (6_000, "warning")])
def test_pillows_own_decompression_bomb_check_is_an_error_too(monkeypatch, limit, why):
    # 10,000 pixels: over twice 4,000 Pillow raises DecompressionBombError; between 6,000 and 12,000 it only warns.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    out = io.BytesIO()
    Image.new("RGB", (100, 100)).save(out, format="PNG")
    with pytest.raises(ValidationError) as refused:
        services.validate_photo_upload(upload(out.getvalue(), "small.png"))
    assert refused.value.code == "too_many_pixels", why


# --- Through the admin inline


def _photo_post(client, station, data_bytes, name):
    url = reverse("admin:stations_station_change", args=[station.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = change_form_data(page)
    add_inline_row(data, "photos", {"upload": SimpleUploadedFile(name, data_bytes), "caption": "门口", "position": "0"})
    return client.post(url, data)


@pytest.fixture
def staff_client(client):
    station = StationFactory()
    client.force_login(make_staff("station_staff", station=station))
    return client, station


def _stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("kind", ["text", "truncated", "bomb", "header-bomb"])
def test_the_admin_inline_shows_a_form_error_and_saves_nothing(staff_client, settings, kind):
    client, station = staff_client
    make, name, _code = BAD_FILES[kind]
    response = _photo_post(client, station, make(), name)
    assert response.status_code == 200  # the form again, not a redirect
    photo_formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is StationPhoto)
    errors = photo_formset.errors[-1]
    assert errors["upload"] == refusal(kind).messages, errors
    assert refusal(kind).messages[0] in response.content.decode()
    assert not StationPhoto.objects.exists()
    assert _stored_files(settings) == []


def test_the_admin_inline_adds_a_photo_through_the_service(staff_client):
    client, station = staff_client
    response = _photo_post(client, station, jpeg_with_exif((2400, 1800)), "IMG_1234.jpg")
    assert response.status_code == 302, response.context and [f.formset.errors for f in response.context["inline_admin_formsets"]]
    photo = StationPhoto.objects.get(station=station)
    assert photo.caption == "门口"
    assert (photo.width, photo.height) == (1600, 1200)
    assert photo.thumbnail
    with photo.image.open("rb") as f:
        assert b"PhoneMaker" not in f.read()
    assert AuditEntry.objects.filter(action="stations.photo.added", object_id=str(photo.pk)).exists()

    # The change page now shows the thumbnail; the photo can be re-captioned but not replaced.
    url = reverse("admin:stations_station_change", args=[station.pk])
    page = client.get(url)
    assert photo.thumbnail.url in page.content.decode()
    data = change_form_data(page)
    data["photos-0-caption"] = "大门"
    data["photos-0-upload"] = SimpleUploadedFile("other.jpg", b"not even an image")
    assert client.post(url, data).status_code == 302
    photo.refresh_from_db()
    assert photo.caption == "大门"
    assert photo.image.name.endswith(".jpg") and "other" not in photo.image.name


def test_the_admin_inline_deletes_a_photo_through_the_service(staff_client, django_capture_on_commit_callbacks):
    client, station = staff_client
    photo = services.station_photo_add(station=station, upload=upload(jpeg_with_exif((200, 100))), actor=None)
    url = reverse("admin:stations_station_change", args=[station.pk])
    data = change_form_data(client.get(url))
    data["photos-0-DELETE"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    assert not StationPhoto.objects.filter(pk=photo.pk).exists()
    assert AuditEntry.objects.filter(action="stations.photo.deleted", object_id=str(photo.pk)).exists()
    assert not photo.image.storage.exists(photo.image.name)
