"""QR codes drawn on the server as inline SVG (no image files, nothing loaded from elsewhere)."""

import xml.etree.ElementTree as ET

import qrcode
import qrcode.image.svg
from django.utils.safestring import mark_safe


def qr_svg(data, *, css_class, label):
    """`data` as an inline SVG QR code sized by CSS; screen readers hear `label`.

    `data` is one of our own codes and ElementTree escapes attribute values, so the markup is safe.
    """
    qr = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M, image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(data)
    qr.make(fit=True)
    svg = qr.make_image().get_image()
    for attribute in ("width", "height"):
        svg.attrib.pop(attribute, None)
    svg.set("class", css_class)
    svg.set("role", "img")
    svg.set("aria-label", str(label))
    svg.set("focusable", "false")
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308
