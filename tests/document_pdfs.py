"""Reading an issued document as a person would: the text of its PDF, and the address its QR code opens."""
from __future__ import annotations

import io

import pypdf
import pypdfium2
import zxingcpp


def pdf_text(data: bytes) -> str:
    """The document's text as a reader extracts it, lines joined (the layout wraps long values)."""
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).replace("\n", "")


def qr_of(data: bytes) -> str:
    """The text of the QR code on the document's first page, rendered as a reader would draw it."""
    image = pypdfium2.PdfDocument(data)[0].render(scale=3).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    return code.text
