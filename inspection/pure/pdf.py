"""Rendering the inspection documents as PDF (reportlab). Plain data in, bytes out; no database here.

The Chinese text is set in STSong-Light, one of the standard CJK fonts of the PDF specification
(Adobe-GB1): reportlab writes it without any font file of the host, and every conforming reader
supplies its glyphs. The QR code (segno) is drawn as vector squares and opens the document's public
verification page."""
from __future__ import annotations

import dataclasses
import io
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=TA_CENTER)
HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=13, leading=20, alignment=TA_CENTER)
NUMBER = ParagraphStyle("number", fontName=FONT, fontSize=11, leading=16, alignment=TA_CENTER)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=17)
CELL = ParagraphStyle("cell", fontName=FONT, fontSize=10, leading=15)
SMALL = ParagraphStyle("small", fontName=FONT, fontSize=8.5, leading=12, textColor=colors.HexColor("#555555"))


@dataclasses.dataclass
class PdfDocument:
    """What a document says: the issuing department, its title and number, a table of fields, paragraphs
    of text (the firm's rights, the results...) and the verification address for the QR code."""
    department: str
    title: str
    number: str
    fields: list[tuple[str, str]]
    paragraphs: list[str]
    verify_url: str
    footer: str = ""
    rows: list[list[str]] = dataclasses.field(default_factory=list)   # a table of items or results
    row_header: list[str] = dataclasses.field(default_factory=list)
    signature_png: bytes | None = None      # the firm's person's signature drawn on the phone
    signature_caption: str = ""             # who signed, or who refused before which witness
    officer_caption: str = ""               # the officer who made the record and signed it with his account


class QrCode(Flowable):
    """A QR code drawn as black squares (no image file), ``size`` points wide with its quiet zone."""

    def __init__(self, text: str, size: float):
        super().__init__()
        self.matrix = [list(row) for row in segno.make(text, error="m").matrix_iter(scale=1, border=2)]
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        n = len(self.matrix)
        cell = self.size / n
        self.canv.setFillColor(colors.black)
        for y, row in enumerate(self.matrix):
            for x, dark in enumerate(row):
                if dark:
                    self.canv.rect(x * cell, self.size - (y + 1) * cell, cell, cell, stroke=0, fill=1)


def _p(text: str, style: ParagraphStyle = CELL) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render(doc: PdfDocument) -> bytes:
    """The PDF's bytes. Rendering the same document twice gives the same bytes (no time stamp inside)."""
    buffer = io.BytesIO()
    template = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                                 bottomMargin=18 * mm, title=f"{doc.title} {doc.number}", author=doc.department,
                                 creator="东营市涉企行政检查统筹监管平台", subject=doc.number, invariant=1)
    story: list = [_p(doc.department, TITLE), _p(doc.title, HEADING), _p(doc.number, NUMBER), Spacer(1, 5 * mm)]
    if doc.fields:
        table = Table([[_p(label), _p(value)] for label, value in doc.fields], colWidths=[38 * mm, 132 * mm])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2"))]))
        story += [table, Spacer(1, 4 * mm)]
    if doc.rows:
        rest = len(doc.row_header) - 1   # the first column (the item or point) takes half the width
        widths = [85 * mm] + [85 * mm / rest] * rest if rest else [170 * mm]
        table = Table([[_p(h) for h in doc.row_header]] + [[_p(c) for c in row] for row in doc.rows], colWidths=widths,
                      repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f2f2"))]))
        story += [table, Spacer(1, 4 * mm)]
    for paragraph in doc.paragraphs:
        story += [_p(paragraph, BODY), Spacer(1, 2 * mm)]
    if doc.signature_png is not None:
        image = Image(io.BytesIO(doc.signature_png))
        scale = min(60 * mm / image.imageWidth, 25 * mm / image.imageHeight)
        image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
        story += [_p(doc.signature_caption, BODY), image]
    elif doc.signature_caption:
        story += [_p(doc.signature_caption, BODY)]
    if doc.officer_caption:
        story += [Spacer(1, 2 * mm), _p(doc.officer_caption, BODY)]
    story += [Spacer(1, 6 * mm)]
    check = Table([[QrCode(doc.verify_url, 30 * mm),
                    _p(f"扫描二维码或访问下列地址核验本文书的真实性与状态：\n{doc.verify_url}\n{doc.footer}", SMALL)]],
                  colWidths=[34 * mm, 136 * mm])
    check.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(check)
    template.build(story)
    return buffer.getvalue()
