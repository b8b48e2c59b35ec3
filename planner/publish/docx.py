"""The siting proposal as a Word file (``proposal.docx``), built with python-docx.

The Word file has the structure, headings and tables of the HTML (both come from one
:class:`~planner.publish.proposal_blocks.ProposalDoc`): the title in the ``Title`` style,
sections in ``Heading 1``, sub-sections and sites in ``Heading 2`` (so Word's navigation
pane and a table of contents find them), tables with a repeated header row, the maps as
PNG pictures with captions, page numbers in the footer, A4 pages. Chinese text is set in
仿宋 (body), 黑体 (headings) and 宋体 (title), the usual faces of a bureau's documents.

The file is the same bytes for the same document: its dates come from the document (the
study's ``[outputs] date``, else the run's service date) and the zip entries carry a fixed
timestamp.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from typing import Any
from xml.sax.saxutils import escape

from planner.publish.proposal_blocks import (
    Box,
    Bullets,
    Contents,
    Facts,
    Figure,
    Heading,
    Para,
    ProposalDoc,
    Section,
    Table,
)

__all__ = ["docx_bytes"]

log = logging.getLogger(__name__)

_BODY = ("FangSong", "仿宋")
_HEAD = ("SimHei", "黑体")
_TITLE = ("SimSun", "宋体")


def _fonts(rpr_owner: Any, latin: str, east: str) -> None:
    """Set the Latin and East Asian font of a style or run (theme fonts removed)."""
    from docx.oxml.ns import qn

    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east)


def _style(
    document: Any, name: str, face: tuple[str, str], size_pt: float, *, bold: bool = False
) -> None:
    from docx.shared import Pt, RGBColor

    st = document.styles[name]
    st.font.size = Pt(size_pt)
    st.font.bold = bold
    st.font.color.rgb = RGBColor(0, 0, 0)
    _fonts(st.element, *face)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    shd = tcpr.makeelement(
        qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): fill}
    )
    tcpr.append(shd)


def _cell_text(cell: Any, text: str, *, bold: bool = False, size_pt: float = 10.5) -> None:
    from docx.shared import Pt

    p = cell.paragraphs[0]
    run = p.add_run(text)
    run.font.size = Pt(size_pt)
    run.bold = bold
    p.paragraph_format.space_after = Pt(0)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _tc(
    text: str, *, bold: bool = False, fill: str | None = None, width_cm: float | None = None
) -> str:
    """One table cell as WordprocessingML: a paragraph of 10.5 pt text, no space after."""
    pr = ""
    if width_cm is not None:
        pr += f'<w:tcW w:w="{round(width_cm * 567)}" w:type="dxa"/>'
    if fill:
        pr += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>'
    rpr = ("<w:b/>" if bold else "") + '<w:sz w:val="21"/><w:szCs w:val="21"/>'
    body = escape(_XML_BAD.sub("", text))
    return (
        f'<w:tc><w:tcPr>{pr}</w:tcPr><w:p><w:pPr><w:spacing w:after="0"/></w:pPr>'
        f'<w:r><w:rPr>{rpr}</w:rPr><w:t xml:space="preserve">{body}</w:t></w:r></w:p></w:tc>'
    )


def _rows(
    document: Any,
    rows: list[list[str]],
    *,
    header: list[str] | None = None,
    key_fill: str | None = None,
    widths: list[float] | None = None,
) -> Any:
    """A grid table built as XML in one go (python-docx's cell API takes ~1 ms a cell)."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    ncols = len(header) if header is not None else len(rows[0]) if rows else 1
    t = document.add_table(rows=0, cols=ncols)
    t.style = "Table Grid"
    w: list[float | None] = list(widths) if widths else [None] * ncols
    xml = []
    if header is not None:
        cells = "".join(
            _tc(h, bold=True, fill="EDEDED", width_cm=wi) for h, wi in zip(header, w, strict=True)
        )
        xml.append(f'<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>{cells}</w:tr>')
    for values in rows:
        cells = "".join(
            _tc(str(v), fill=key_fill if j == 0 else None, width_cm=wi)
            for j, (v, wi) in enumerate(zip(values, w, strict=True))
        )
        xml.append(f"<w:tr>{cells}</w:tr>")
    for row in parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(xml)}</w:tbl>"):
        t._tbl.append(row)
    document.add_paragraph()
    return t


def _page_number_footer(document: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    p = document.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fld = p._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): "PAGE"})
    r = fld.makeelement(qn("w:r"), {})
    t = r.makeelement(qn("w:t"), {})
    t.text = "1"
    r.append(t)
    fld.append(r)
    p._p.append(fld)


def _block(document: Any, doc: ProposalDoc, b: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    if isinstance(b, Heading):
        document.add_heading(b.text, level=b.level)
    elif isinstance(b, Para):
        p = document.add_paragraph(b.text)
        if b.style == "note":
            for run in p.runs:
                run.font.size = Pt(10.5)
    elif isinstance(b, Table):
        _rows(document, b.rows, header=b.headers)
    elif isinstance(b, Facts):
        _rows(document, [[k, v] for k, v in b.rows], key_fill="F5F5F5", widths=[5.0, 10.5])
    elif isinstance(b, Figure):
        width = Cm(b.width_cm or (15.5 if b.name == "overview" else 10.5))
        document.add_picture(io.BytesIO(b.drawing.png()), width=width)
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cap = document.add_paragraph(b.caption, style="Caption")
        cap.alignment = WD_ALIGN_PARAGRAPH.LEFT
    elif isinstance(b, Bullets):
        for item in b.items:
            document.add_paragraph(item, style="List Bullet")
    elif isinstance(b, Box):
        t = document.add_table(rows=1, cols=1)
        t.style = "Table Grid"
        cell = t.rows[0].cells[0]
        _shade(cell, "FFF4D6")
        _cell_text(cell, b.title, bold=True, size_pt=12)
        for item in b.items:
            p = cell.add_paragraph()
            run = p.add_run(f"• {item}")
            run.font.size = Pt(11)
        document.add_paragraph()
    elif isinstance(b, Contents):
        p = document.add_paragraph()
        run = p.add_run(doc.t("contents"))
        run.bold = True
        run.font.size = Pt(16)
        _fonts(run._r, *_HEAD)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for level, text, _ in b.entries:
            q = document.add_paragraph(text)
            q.paragraph_format.left_indent = Cm(0 if level == 1 else 1.0)
            q.paragraph_format.space_after = Pt(0)
        document.add_page_break()
    elif isinstance(b, Section):
        for x in b.blocks:
            _block(document, doc, x)


def docx_bytes(doc: ProposalDoc, *, fallback_date: dt.date | None = None) -> bytes:
    """The proposal as the bytes of a ``.docx`` file.

    Parameters
    ----------
    doc
        From :func:`planner.publish.proposal_doc.build_proposal`.
    fallback_date
        Date of the file's metadata when the document has none (the run's service date).
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    sec = document.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.top_margin, sec.bottom_margin = Cm(3.7), Cm(3.5)
    sec.left_margin, sec.right_margin = Cm(2.8), Cm(2.6)
    _style(document, "Normal", _BODY, 12)
    _style(document, "Title", _TITLE, 22, bold=True)
    _style(document, "Heading 1", _HEAD, 16)
    _style(document, "Heading 2", _HEAD, 14)
    _style(document, "Caption", _BODY, 10)
    document.styles["Caption"].font.italic = False
    _page_number_footer(document)
    title = document.add_paragraph(doc.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for m in doc.meta:
        p = document.add_paragraph(m)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
    document.add_paragraph()
    for b in doc.blocks:
        _block(document, doc, b)
    when = doc.date or fallback_date or dt.date(2000, 1, 1)
    stamp = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    props = document.core_properties
    props.title = doc.title
    props.author = "planner"
    props.last_modified_by = "planner"
    props.created = stamp
    props.modified = stamp
    props.revision = 1
    props.language = "zh-CN" if doc.language == "zh" else "en"
    buf = io.BytesIO()
    document.save(buf)
    return _fixed_zip(buf.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry stamped 1980-01-01, so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            z = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            z.compress_type = zipfile.ZIP_DEFLATED
            z.external_attr = 0o644 << 16
            dst.writestr(z, src.read(info.filename))
    return out.getvalue()
