"""A signature as the phone's signature pad sends it: a small PNG of a stroke."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw


def signature_png() -> bytes:
    image = Image.new("RGB", (120, 40), "white")
    ImageDraw.Draw(image).line([(5, 30), (40, 8), (70, 32), (115, 10)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
