"""The market directory template users fill in (``data/markets_template.csv`` / ``.xlsx``).

:func:`write_markets_template` writes every column of
:data:`~planner.io.markets.MARKET_SCHEMA` under its Chinese header and two 示例 rows,
byte for byte reproducibly and atomically.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

from planner.errors import InputFileError
from planner.io._tables import PathArg
from planner.io.markets._schema import MARKET_SCHEMA

#: Chinese header of each canonical column, as written in the template.
_TEMPLATE_HEADERS: dict[str, str] = {
    s.name: (s.aliases[0] if s.aliases else s.name) for s in MARKET_SCHEMA.columns
}

# The two example rows of the template, GCJ-02 (picked on AMap), clearly marked 示例.
_TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {
        "market_id": "SL0001",
        "name": "示例：芝罘区综合性零工市场（示例行，使用前删除）",
        "tier": "综合性零工市场",
        "address": "示例：烟台市芝罘区某某路1号",
        "city": "烟台市",
        "city_adcode": "370600",
        "county": "芝罘区",
        "town": "示例街道",
        "adcode": "370602",
        "lon": "121.400600",
        "lat": "37.541400",
        "coords": "gcj02",
        "hours": "周一至周日 05:00-11:00",
        "occupations": "建筑工、装修工、搬运工、家政服务员",
        "phone": "0535-0000000",
        "hotline": "12333",
        "complaints": "12345政务服务便民热线",
        "staff": "3",
        "capacity": "200",
        "operating_mode": "政府主导、公益运营",
        "operator": "示例：芝罘区人力资源和社会保障局",
        "services": "岗位发布、求职登记、技能培训、劳动维权",
        "facilities": "候工室、饮用水、热饭、手机充电、工具存放",
        "area_m2": "300",
        "opened": "2024-01",
        "status": "运营",
        "source": "示例数据",
        "source_date": "2024-06-01",
        "source_publisher": "示例",
        "reliability": "示例",
        "remark": "示例行：请删除后填写真实数据；经纬度为高德（GCJ-02）坐标",
    },
    {
        "market_id": "SL0002",
        "name": "示例：某某社区零工服务站（示例行，使用前删除）",
        "tier": "零工服务站点",
        "address": "示例：烟台市福山区某某社区党群服务中心",
        "city": "烟台市",
        "city_adcode": "370600",
        "county": "福山区",
        "town": "示例街道",
        "adcode": "370611",
        "lon": "121.267400",
        "lat": "37.498300",
        "coords": "gcj02",
        "hours": "周一至周五 08:30-17:00",
        "occupations": "保洁、家政、护工",
        "phone": "0535-0000001",
        "hotline": "12333",
        "complaints": "12345政务服务便民热线",
        "staff": "1",
        "capacity": "20",
        "operating_mode": "社区代办",
        "operator": "示例：某某社区居委会",
        "services": "岗位发布、求职登记",
        "facilities": "饮水、手机充电",
        "area_m2": "40",
        "opened": "2024-03",
        "status": "运营",
        "source": "示例数据",
        "source_date": "2024-06-01",
        "source_publisher": "示例",
        "reliability": "示例",
        "remark": "示例行：请删除后填写真实数据",
    },
)

# Fixed time stamp written into the template .xlsx so the file is byte-for-byte reproducible.
_TEMPLATE_TIME = (2024, 1, 1, 0, 0, 0)


def write_markets_template(path: PathArg) -> Path:
    """Write the market directory template: every column with its Chinese header, two 示例 rows.

    ``.csv`` gives UTF-8 with a BOM (Excel on Windows opens it correctly); ``.xlsx`` gives
    one sheet with every cell stored as text (so phone numbers keep their leading zero).
    The example rows use GCJ-02 coordinates (as picked on AMap/高德) and say so in 坐标系.
    Both files are byte-for-byte reproducible and written atomically.

    Parameters
    ----------
    path
        Target file, ending in ``.csv`` or ``.xlsx``.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     p = write_markets_template(pathlib.Path(folder) / "markets.csv")
    ...     p.read_text(encoding="utf-8-sig").splitlines()[0].split(",")[:3]
    ['编号', '名称', '类型']
    """
    p = Path(path)
    header = [_TEMPLATE_HEADERS[s.name] for s in MARKET_SCHEMA.columns]
    rows = [[row.get(s.name, "") for s in MARKET_SCHEMA.columns] for row in _TEMPLATE_ROWS]
    suffix = p.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        data = buf.getvalue().encode("utf-8-sig")
    elif suffix == ".xlsx":
        data = _template_xlsx(header, rows)
    else:
        raise InputFileError(
            f"cannot write a template as {suffix or 'a file without extension'}",
            path=p,
            fix="name the file .csv or .xlsx",
        )
    _write_atomic(p, data)
    return p


def _template_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "零工市场名录"
    ws.append(header)
    for row in rows:
        ws.append(row)
    for col_cells in ws.iter_cols(min_row=1, max_row=len(rows) + 1):
        for cell in col_cells:
            cell.number_format = "@"  # text: 0535-… and adcodes stay as written
    for j, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(10, 2 * len(name) + 2)
    ws.freeze_panes = "A2"
    stamp = datetime(*_TEMPLATE_TIME)
    wb.properties.creator = "planner"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    raw = io.BytesIO()
    wb.save(raw)
    # Re-pack with fixed member time stamps (zipfile writes the current time otherwise).
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as zin,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2024-01-01T00:00:00Z\g<2>",
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=_TEMPLATE_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            zout.writestr(fixed, content)
    return out.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a template is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
