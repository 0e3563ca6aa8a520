"""State changes of stations. Views, forms and admin call these; they don't save models themselves."""

import contextlib
import io
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.audit import audit_log
from stations.models import StationPhoto

# Photos
#
# An upload is never stored as sent: it is decoded, checked and re-encoded, so
# what we serve is a plain JPEG without EXIF (phones put the GPS position of the
# photographer there) and without anything a crafted file could smuggle along.

PHOTO_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# 40 megapixels is more than any phone camera; beyond it a small file that
# inflates to gigabytes of pixels (a decompression bomb) is the likelier story.
PHOTO_MAX_PIXELS = 40_000_000
# MPO is how Pillow names the JPEG files many phones write (a JPEG with a preview image appended).
PHOTO_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF"}
PHOTO_MAX_SIDE = 1600
PHOTO_THUMBNAIL_SIDE = 480
PHOTO_JPEG_QUALITY = 85


def _read_upload(upload):
    if upload is None:
        raise ValidationError(_("Choose a photo to upload."), code="required")
    size = getattr(upload, "size", None)
    if size is not None and size > PHOTO_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The photo is too large: at most %(limit)d MB.") % {"limit": PHOTO_MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    data = upload.read(PHOTO_MAX_UPLOAD_BYTES + 1)
    upload.seek(0)
    if len(data) > PHOTO_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The photo is too large: at most %(limit)d MB.") % {"limit": PHOTO_MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    return data


def _decode_photo(upload):
    """Decode an upload fully and return the loaded image, or raise ValidationError.

    Pillow reads only the header on open(), so the size check below runs before a
    single pixel is decompressed. verify() checks the structure but leaves the image
    unusable, hence the second open; load() then decodes every pixel, which is what
    finds a truncated file.
    """
    data = _read_upload(upload)
    not_an_image = ValidationError(_("This file is not a photo we can use: upload a JPEG, PNG, WebP or GIF image."), code="invalid_image")
    bomb = ValidationError(
        _("The photo has too many pixels: at most %(megapixels)d megapixels.") % {"megapixels": PHOTO_MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
    broken = ValidationError(_("The photo is damaged or incomplete; upload it again."), code="broken_image")
    with warnings.catch_warnings():
        # Pillow only *warns* about a moderately oversized image; make that an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in PHOTO_FORMATS:
                    raise not_an_image
                width, height = probe.size
                if width * height > PHOTO_MAX_PIXELS:
                    raise bomb
                probe.verify()
            image = Image.open(io.BytesIO(data))
            if image.format not in PHOTO_FORMATS:
                raise not_an_image
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise bomb from None
        except UnidentifiedImageError:
            raise not_an_image from None
        except (OSError, SyntaxError, ValueError, EOFError):
            # Truncated data ("image file is truncated"), broken chunks, bad CRCs.
            raise broken from None
    return image


def validate_photo_upload(upload):
    """Refuse anything but a complete JPEG/PNG/WebP/GIF of sane size. Raises ValidationError."""
    image = _decode_photo(upload)
    image.close()


def _flatten_to_rgb(image):
    # A broken orientation tag: keep the photo as it was stored rather than refuse it.
    with contextlib.suppress(OSError, SyntaxError, ValueError, KeyError, TypeError):
        image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode_jpeg(image, max_side):
    copy = image.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    copy.info = {}  # no EXIF, XMP or ICC profile travels into the copy we serve
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def photo_copies(upload):
    """The two JPEG copies we keep of an uploaded photo, as bytes: (at most 1600 px, a 480 px thumbnail).

    Raises ValidationError (with a translated message) for a file that is not a usable image.
    """
    image = _decode_photo(upload)
    try:
        rgb = _flatten_to_rgb(image)
        return _encode_jpeg(rgb, PHOTO_MAX_SIDE), _encode_jpeg(rgb, PHOTO_THUMBNAIL_SIDE)
    finally:
        image.close()


def reencoded_photo(upload):
    """An uploaded photo as the one file to keep: re-encoded (no EXIF, so no GPS position) under a random name
    (the upload's own may carry a person's name). For a model's single ImageField; raises ValidationError."""
    large, _thumbnail = photo_copies(upload)
    return ContentFile(large, name=f"{uuid.uuid4().hex}.jpg")


def station_photo_add(*, station, upload, caption="", actor, position=None):
    """Add a photo to a station as re-encoded copies: at most 1600 px, and a 480 px thumbnail.

    Raises ValidationError (with a translated message) for a file that is not a
    usable image. Runs in the caller's transaction when there is one: the admin
    saves a station and its photos in a single transaction.
    """
    large, thumbnail = photo_copies(upload)
    # A random name: the uploaded file name may say more than it should.
    name = f"{uuid.uuid4().hex}.jpg"
    with transaction.atomic():
        if position is None:
            last = StationPhoto.objects.filter(station=station).aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
        photo = StationPhoto(station=station, caption=caption.strip(), position=position)
        photo.image.save(name, ContentFile(large), save=False)
        photo.thumbnail.save(name, ContentFile(thumbnail), save=False)
        photo.full_clean()
        photo.save()
        audit_log(action="stations.photo.added", actor=actor, target=photo, data={"station": station.pk})
    return photo


def station_photo_delete(*, photo, actor):
    """Delete a photo; its files go once the deletion is committed."""
    with transaction.atomic():
        audit_log(action="stations.photo.deleted", actor=actor, target=photo, data={"station": photo.station_id})
        files = [f for f in (photo.image, photo.thumbnail) if f]
        storages_and_names = [(f.storage, f.name) for f in files]
        photo.delete()

        def remove_files():
            for storage, name in storages_and_names:
                storage.delete(name)

        transaction.on_commit(remove_files)
