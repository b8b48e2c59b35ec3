"""Monthly work logs of gig markets (工作日志台账) and the job-to-applicant ratio (求人倍率).

鲁人社字〔2024〕44号 (十) asks markets to publish each month, by market and industry, how
many jobs were posted and how many people looked for work. A work log holds one row per
month × market × industry with counts only. :func:`read_work_logs` reads it;
:func:`job_to_applicant_ratio` computes 求人倍率 = postings / seekers at any grouping.

Personal data
-------------
Work logs are kept next to registers that name people. A log that carries a personal
column (姓名, 身份证号, 手机号 …) or a cell holding something that looks like an ID-card
number (18 or 15 digits) or a phone number (mobile, with or without +86, or landline) —
unbroken or split by spaces, dashes or dots, see :func:`find_personal_number` — is
**refused** with an error rather than cleaned: dropping the column would leave the file
with the personal data on disk and in the next export, and the public directory must
never see it. The error names the column (and row) but never repeats the value.

Names cannot be told from words, so free text never reaches a public page: the 行业 of a
log is published only as a label of :data:`INDUSTRY_VOCABULARY` (:func:`industry_label`);
any other text is published as 其他 and never verbatim.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import ColumnError, DuplicateIdError, InvalidValueError
from planner.io._tables import (
    ColumnSpec,
    Schema,
    _headers,
    _norm,
    _require_cells,
    as_text,
    read_table,
    sheet_row,
    to_number,
)

__all__ = [
    "INDUSTRY_OTHER",
    "INDUSTRY_VOCABULARY",
    "PERSONAL_HEADERS",
    "WORK_LOG_COLUMNS",
    "WORK_LOG_SCHEMA",
    "find_personal_number",
    "industry_label",
    "job_to_applicant_ratio",
    "parse_month",
    "read_work_logs",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

WORK_LOG_SCHEMA = Schema(
    (
        ColumnSpec("month", ("月份", "统计月份", "年月"), required=True),
        ColumnSpec("market_id", ("市场编号", "market id")),
        ColumnSpec("market_name", ("市场名称", "零工市场", "market name")),
        ColumnSpec("industry", ("行业", "工种", "行业工种"), required=True),
        ColumnSpec(
            "postings",
            ("岗位数", "招聘人数", "发布岗位", "发布岗位数", "需求人数", "jobs"),
            required=True,
        ),
        ColumnSpec(
            "seekers", ("求职人数", "登记求职人数", "求职登记人数", "applicants"), required=True
        ),
        ColumnSpec("matches", ("达成意向", "成功对接", "匹配人数", "达成意向人数", "对接成功人数")),
        ColumnSpec(
            "wage_median_yuan_per_day",
            ("日工资中位数", "工资价位(元/天)", "工资价位", "日工资中位数(元)", "wage"),
        ),
        ColumnSpec("remark", ("备注", "note")),
    ),
    what="work log",
)

#: Columns of the result of :func:`read_work_logs`, in order.
WORK_LOG_COLUMNS: tuple[str, ...] = (
    "month",
    "market_id",
    "market_name",
    "industry",
    "postings",
    "seekers",
    "matches",
    "wage_median_yuan_per_day",
    "remark",
)

#: Headers that hold personal data; a log with any of them is refused.
PERSONAL_HEADERS: tuple[str, ...] = (
    "姓名",
    "求职者姓名",
    "求职人姓名",
    "求职者",
    "务工人员姓名",
    "身份证",
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "证件号码",
    "手机",
    "手机号",
    "手机号码",
    "联系电话",
    "电话",
    "家庭住址",
    "住址",
    "出生日期",
    "person name",
    "applicant name",
    "worker name",
    "seeker name",
    "id card",
    "id number",
    "mobile",
    "phone",
)
_PERSONAL = frozenset(_norm(h) for h in PERSONAL_HEADERS)
# One optional separator between digits: a space (any width), a dash, a dot or a middle dot.
_SEP = r"[\s\-.·–—]?"
_PERSONAL_NUMBERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # 18-digit ID (last may be X; region codes start 1-8), as 110105 19491231 002X too
    (
        "ID-card",
        re.compile(rf"(?<![0-9A-Za-z+])[1-8](?:{_SEP}\d){{16}}{_SEP}[\dXx](?![0-9A-Za-z])"),
    ),
    # 15-digit first-generation ID
    ("ID-card", re.compile(rf"(?<![0-9A-Za-z+])[1-8](?:{_SEP}\d){{14}}(?![0-9A-Za-z])")),
    # mobile: 139 1234 5678, 139-1234-5678, 139.1234.5678, +86 139…, (+86)139…, 0086-139…
    (
        "mobile phone",
        re.compile(rf"(?<!\d)(?:\(?(?:\+|00)?86\)?{_SEP})?1{_SEP}[3-9](?:{_SEP}\d){{9}}(?!\d)"),
    ),
    # landline with its area code: 0539-5550101, (0539) 555 0101, 010 1234 5678
    ("phone", re.compile(rf"(?<!\d)\(?0\d{{2,3}}\)?{_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d)")),
)

#: The published industries (行业) of the 求人倍率 tables, each with the words work logs
#: write for it. A log's 行业 is published as the label whose words hold the whole cell
#: (or every part of a cell split at 、,/ and brackets); anything else as
#: :data:`INDUSTRY_OTHER`. The labels are the industries of the demo's and the Shandong
#: markets' logs (建筑装修 first: most gig work is building and renovation).
# fmt: off
INDUSTRY_VOCABULARY: dict[str, tuple[str, ...]] = {
    "建筑装修": ("建筑", "建筑业", "建筑装修", "装修", "装饰", "装饰装修", "建筑装饰", "建材",
                 "建筑工", "装修工", "瓦工", "木工", "水电工", "电工", "油漆工", "钢筋工",
                 "架子工", "小工", "力工", "泥瓦工", "construction"),
    "制造业普工": ("制造", "制造业", "普工", "制造业普工", "工厂", "工厂普工", "加工",
                   "加工制造", "工业", "流水线", "manufacturing"),
    "家政保洁": ("家政", "家政服务", "保洁", "家政保洁", "保姆", "月嫂", "育儿嫂", "护工",
                 "陪护", "养老护理", "护理", "清洁", "housekeeping"),
    "搬运装卸": ("搬运", "装卸", "搬运装卸", "物流", "快递", "仓储", "物流仓储", "分拣", "运输",
                 "交通运输", "搬家", "logistics"),
    "商贸餐饮": ("商贸", "商贸餐饮", "零售", "批发", "批发零售", "商业", "销售", "促销", "餐饮",
                 "餐饮服务", "住宿餐饮", "服务员", "帮厨", "后厨", "commerce", "catering"),
    "农业季节工": ("农业", "农业季节工", "季节工", "农林牧渔", "种植", "养殖", "采摘",
                   "农业用工", "agriculture"),
}
# fmt: on

#: The label of every 行业 outside :data:`INDUSTRY_VOCABULARY`.
INDUSTRY_OTHER = "其他"

_INDUSTRY_WORDS: dict[str, str] = {
    **{w.lower(): label for label, words in INDUSTRY_VOCABULARY.items() for w in words},
    **{label: label for label in INDUSTRY_VOCABULARY},
    "其他": INDUSTRY_OTHER,
    "其它": INDUSTRY_OTHER,
    "other": INDUSTRY_OTHER,
}
_INDUSTRY_SPLIT = re.compile(r"[、,;/()\[\]]+")
_INDUSTRY_SUFFIX = re.compile(r"(?:类|行业|工种)$")


def find_personal_number(text: str) -> str | None:
    """What kind of personal number ``text`` holds (``"ID-card"``, ``"mobile phone"`` or
    ``"phone"``), or None.

    Digits may be split by one space, dash, dot or middle dot each (full-width forms too),
    a mobile number may start with +86, 0086 or (+86).

    Examples
    --------
    >>> [find_personal_number(t) for t in ["家政 110105 19491231 002X", "联系人 139-1234-5678",
    ...  "+86 139 1234 5678", "139.1234.5678", "2024-03-01", "建筑装修"]]
    ['ID-card', 'mobile phone', 'mobile phone', 'mobile phone', None, None]
    """
    t = unicodedata.normalize("NFKC", str(text))
    for kind, pattern in _PERSONAL_NUMBERS:
        if pattern.search(t):
            return kind
    return None


def industry_label(text: object) -> str:
    """The published label (:data:`INDUSTRY_VOCABULARY`) of a work log's 行业.

    Examples
    --------
    >>> [industry_label(t) for t in ["建筑", "家政 保洁", "瓦工、木工", "餐饮类", "家政（求职者张伟）"]]
    ['建筑装修', '家政保洁', '建筑装修', '商贸餐饮', '其他']
    """
    if text is None or (isinstance(text, float) and text != text):
        return INDUSTRY_OTHER
    t = unicodedata.normalize("NFKC", str(text)).strip().lower()
    whole = _INDUSTRY_WORDS.get(_INDUSTRY_SUFFIX.sub("", re.sub(r"\s+", "", t)))
    if whole is not None:
        return whole
    parts = [p for p in _INDUSTRY_SPLIT.split(re.sub(r"\s+", "/", t)) if p]
    labels = {_INDUSTRY_WORDS.get(_INDUSTRY_SUFFIX.sub("", p)) for p in parts}
    if len(labels) == 1 and None not in labels:
        return labels.pop()  # type: ignore[return-value]
    return INDUSTRY_OTHER


_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})\s*月?(?:份)?$")
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00(?::00)?)?$"
)


def parse_month(text: str) -> str | None:
    """``YYYY-MM`` of a month written as 2024-03, 2024-3, 2024/03, 2024.03, 202403, 2024年3月 or
    a date in that month (2024-03-01, as Excel stores a month); None when not a month.

    Examples
    --------
    >>> [parse_month(t) for t in ["2024年3月", "2024/03", "202403", "2024-03-01 00:00:00", "3月"]]
    ['2024-03', '2024-03', '2024-03', '2024-03', None]
    """
    t = str(text).strip()
    m = _MONTH.match(t)
    day = 1
    if m is None:
        m = _DATE.match(t)
        if m is None:
            return None
        day = int(m.group(3))
    year, month = int(m.group(1)), int(m.group(2))
    if not (1990 <= year <= 2100 and 1 <= month <= 12):
        return None
    try:
        pd.Timestamp(year=year, month=month, day=day)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}"


def read_work_logs(
    path: PathArg,
    *,
    markets: pd.DataFrame | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read a monthly work log (工作日志台账): one row per month × market × industry.

    Parameters
    ----------
    path
        CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX with the columns of
        :data:`WORK_LOG_SCHEMA`: 月份, 市场编号 and/or 市场名称, 行业 (or 工种), 岗位数,
        求职人数 and optionally 达成意向 and 日工资中位数.
    markets
        The market directory (e.g. from :func:`planner.io.markets.read_markets`, columns
        ``market_id`` and ``name``). With it, every 市场编号 must be in the directory and a
        log that names markets only by 市场名称 is resolved to ids. Without it, the log
        must have a 市场编号 column.
    sheet
        XLSX sheet name or 0-based index.

    Returns
    -------
    pandas.DataFrame
        :data:`WORK_LOG_COLUMNS`: ``month`` (text ``YYYY-MM``), ``market_id``,
        ``market_name`` (from the log, else from ``markets``), ``industry`` (text as
        written; published only as its :func:`industry_label`, and a warning names the
        rows outside the vocabulary), ``postings`` and ``seekers`` (int64 ≥ 0), ``matches`` (Int64 ≥ 0, may be
        missing), ``wage_median_yuan_per_day`` (float ≥ 0, may be NaN), ``remark``. Row
        order is the file's.

    Raises
    ------
    planner.errors.PlannerError
        A subclass naming file, row and column: personal-data columns or cells
        (ColumnError, InvalidValueError), unknown/missing columns, unreadable months,
        negative or fractional counts, unknown or ambiguous markets, a repeated
        (month, market, industry) (DuplicateIdError).
        More matches than postings or seekers is logged as a warning, not an error
        (some logs count 达成意向 over several visits).
    """
    p = Path(path)
    raw = read_table(p, sheet=sheet, what="work log")
    _refuse_personal_headers(raw, p)
    headers = _headers(raw, WORK_LOG_SCHEMA)
    df = WORK_LOG_SCHEMA.apply(raw, path=p)
    for col in df.columns:
        df[col] = as_text(df[col])
    for spec in WORK_LOG_SCHEMA.columns:
        if spec.name not in df.columns:
            df[spec.name] = as_text(pd.Series(None, index=df.index, dtype="object"))
    _refuse_personal_values(df, headers, p)

    month_h = headers["month"]
    _require_cells(df, "month", path=p, shown_as=month_h)
    months = []
    for i, v in df["month"].items():
        m = parse_month(str(v))
        if m is None:
            raise InvalidValueError(
                f"{v!r} is not a month",
                path=p,
                row=sheet_row(int(i)),  # type: ignore[call-overload]
                column=month_h,
                fix="write the month as 2024-03 (or 2024年3月)",
            )
        months.append(m)
    df["month"] = as_text(pd.Series(months, index=df.index, dtype="object"))
    _require_cells(df, "industry", path=p, shown_as=headers["industry"])
    _warn_unlisted_industries(df, headers, p)

    _resolve_markets(df, headers, markets, p)

    for name in ("postings", "seekers"):
        df[name] = to_number(
            df, name, path=p, shown_as=headers[name], minimum=0, integer=True
        ).astype("int64")
    df["matches"] = to_number(
        df,
        "matches",
        path=p,
        shown_as=headers.get("matches"),
        required=False,
        minimum=0,
        integer=True,
    ).astype("Int64")
    df["wage_median_yuan_per_day"] = to_number(
        df,
        "wage_median_yuan_per_day",
        path=p,
        shown_as=headers.get("wage_median_yuan_per_day"),
        required=False,
        minimum=0,
    )
    _warn_matches(df, headers, p)
    _check_unique_key(df, headers, p)
    return pd.DataFrame(df[list(WORK_LOG_COLUMNS)]).reset_index(drop=True)


def _refuse_personal_headers(raw: pd.DataFrame, path: Path) -> None:
    personal = [str(c) for c in raw.columns if _norm(str(c)) in _PERSONAL]
    if personal:
        raise ColumnError(
            f"the work log holds personal data (column(s) {', '.join(map(repr, personal))});"
            " work logs must hold counts only and are never read with names, ID or phone"
            " numbers",
            path=path,
            column=personal[0],
            fix="delete the personal column(s) from the file (and from every copy) and"
            " aggregate to counts per month, market and industry",
        )


def _refuse_personal_values(df: pd.DataFrame, headers: dict[str, str], path: Path) -> None:
    for col in ("market_id", "market_name", "industry", "remark"):
        values = df[col]
        for i, v in values.items():
            kind = find_personal_number(v) if isinstance(v, str) else None
            if kind is not None:
                raise InvalidValueError(
                    f"the cell holds what looks like an {kind} number (value not shown);"
                    " work logs must hold no personal data",
                    path=path,
                    row=sheet_row(int(i)),  # type: ignore[call-overload]
                    column=headers.get(col, col),
                    fix="remove the number from the file (and from every copy)",
                )


def _warn_unlisted_industries(df: pd.DataFrame, headers: dict[str, str], path: Path) -> None:
    labels = df["industry"].map(industry_label)
    odd = (labels == INDUSTRY_OTHER) & ~df["industry"].isin(["其他", "其它"])
    if odd.any():
        rows = [sheet_row(int(i)) for i in df.index[odd.to_numpy()]]  # type: ignore[call-overload]
        log.warning(
            "%s, column '%s': %d row(s) (rows %s%s) name an industry outside planner's"
            " vocabulary; they are published as %s (the text is never published). Fix: write"
            " one of %s",
            path,
            headers.get("industry", "行业"),
            len(rows),
            ", ".join(map(str, rows[:10])),
            " …" if len(rows) > 10 else "",
            INDUSTRY_OTHER,
            "、".join(INDUSTRY_VOCABULARY),
        )


def _resolve_markets(
    df: pd.DataFrame, headers: dict[str, str], markets: pd.DataFrame | None, path: Path
) -> None:
    if markets is not None:
        missing = [c for c in ("market_id", "name") if c not in markets.columns]
        if missing:
            raise ColumnError(
                f"the markets table given to read_work_logs has no column {missing[0]!r}",
                column=missing[0],
                fix="pass the directory read by planner.io.markets.read_markets",
            )
    has_id = "market_id" in headers
    has_name = "market_name" in headers
    if not has_id and not has_name:
        raise ColumnError(
            "the work log has neither a 市场编号 nor a 市场名称 column",
            path=path,
            column="市场编号",
            fix="add a 市场编号 column (or 市场名称, and pass markets=)",
        )
    if has_id:
        _require_cells(df, "market_id", path=path, shown_as=headers["market_id"])
        if markets is not None:
            known = set(markets["market_id"].astype(str))
            for i, v in df["market_id"].items():
                if str(v) not in known:
                    raise InvalidValueError(
                        f"market {v!r} is not in the market directory"
                        f" ({len(known)} markets, e.g. {', '.join(sorted(known)[:3])})",
                        path=path,
                        row=sheet_row(int(i)),  # type: ignore[call-overload]
                        column=headers["market_id"],
                        fix="use the 编号 of the directory, or add the market to it",
                    )
            if not has_name:
                names = dict(zip(markets["market_id"].astype(str), markets["name"], strict=True))
                df["market_name"] = as_text(df["market_id"].map(names))
        return
    if markets is None:
        raise ColumnError(
            "the work log names markets by 市场名称 only, and no market directory was given"
            " to resolve the names",
            path=path,
            column=headers["market_name"],
            fix="pass markets=read_markets(...), or add a 市场编号 column",
        )
    _require_cells(df, "market_name", path=path, shown_as=headers["market_name"])
    by_name: dict[str, list[str]] = {}
    for mid, name in zip(
        markets["market_id"].astype(str), markets["name"].astype(str), strict=True
    ):
        by_name.setdefault(name.strip(), []).append(mid)
    ids = []
    for i, v in df["market_name"].items():
        hits = by_name.get(str(v), [])
        if len(hits) != 1:
            what = (
                "is not in the market directory"
                if not hits
                else f"matches {len(hits)} markets of the directory ({', '.join(hits)})"
            )
            raise InvalidValueError(
                f"market name {v!r} {what}",
                path=path,
                row=sheet_row(int(i)),  # type: ignore[call-overload]
                column=headers["market_name"],
                fix="write the name exactly as in the directory, or add a 市场编号 column",
            )
        ids.append(hits[0])
    df["market_id"] = as_text(pd.Series(ids, index=df.index, dtype="object"))


def _warn_matches(df: pd.DataFrame, headers: dict[str, str], path: Path) -> None:
    matches = df["matches"]
    for other in ("postings", "seekers"):
        over = (matches > df[other]).fillna(False).to_numpy(dtype=bool)
        if over.any():
            i = int(np.flatnonzero(over)[0])
            log.warning(
                "%s: %d row(s) have more matches (%s) than %s (%s), first at row %d;"
                " check the counts",
                path,
                int(over.sum()),
                headers.get("matches", "matches"),
                other,
                headers.get(other, other),
                sheet_row(df.index[i]),
            )


def _check_unique_key(df: pd.DataFrame, headers: dict[str, str], path: Path) -> None:
    key = df["month"] + "\x1f" + df["market_id"] + "\x1f" + df["industry"]
    dup = key.duplicated(keep=False)
    if not dup.any():
        return
    first = key[dup].iloc[0]
    idx = key.index[key == first]
    rows = [sheet_row(i) for i in idx]
    month, market, industry = first.split("\x1f")
    raise DuplicateIdError(
        f"month {month}, market {market!r}, industry {industry!r} appears {len(rows)} times"
        f" (rows {', '.join(map(str, rows[:5]))})",
        path=path,
        row=rows[1],
        column=headers.get("industry", "行业"),
        fix="add the counts up into one row per month, market and industry",
    )


def job_to_applicant_ratio(
    logs: pd.DataFrame,
    *,
    by: Sequence[str] = ("month", "market_id", "industry"),
) -> pd.DataFrame:
    """求人倍率 (job-to-applicant ratio) = postings / seekers, summed within groups.

    Parameters
    ----------
    logs
        Work logs as returned by :func:`read_work_logs` (at least ``postings``, ``seekers``
        and the ``by`` columns).
    by
        Columns to group by; ``("month",)`` gives one ratio per month over all markets and
        industries, ``()`` one overall ratio. Counts are summed before dividing (the ratio
        of sums, not the mean of ratios).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns (sorted), ``postings``, ``seekers`` (sums),
        ``job_to_applicant_ratio`` (float) and ``no_seekers`` (bool). Where no one looked
        for work (seekers = 0) the ratio is undefined: NaN, with ``no_seekers`` True — never
        ``inf``.

    Examples
    --------
    >>> logs = pd.DataFrame({"month": ["2024-03"] * 3, "market_id": ["M1", "M1", "M2"],
    ...                      "industry": ["建筑", "家政", "建筑"],
    ...                      "postings": [30, 5, 4], "seekers": [20, 0, 8]})
    >>> job_to_applicant_ratio(logs, by=["market_id"])
      market_id  postings  seekers  job_to_applicant_ratio  no_seekers
    0        M1        35       20                    1.75       False
    1        M2         4        8                    0.50       False
    """
    by = list(by)
    missing = [c for c in [*by, "postings", "seekers"] if c not in logs.columns]
    if missing:
        raise ColumnError(
            f"the work logs have no column {missing[0]!r} (columns: {', '.join(map(str, logs.columns))})",
            column=missing[0],
            fix="pass logs read by read_work_logs, and group by columns they have",
        )
    for col in ("postings", "seekers"):
        values = pd.to_numeric(logs[col], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            raise InvalidValueError(
                f"{int(bad.sum())} value(s) of {col!r} are missing, not numbers or negative",
                column=col,
                fix="read the logs with read_work_logs, which checks the counts",
            )
    counts = logs[[*by, "postings", "seekers"]].copy()
    counts["postings"] = pd.to_numeric(counts["postings"]).astype("int64")
    counts["seekers"] = pd.to_numeric(counts["seekers"]).astype("int64")
    if by:
        out = counts.groupby(by, sort=True, dropna=False)[["postings", "seekers"]].sum()
        out = out.reset_index()
    else:
        out = pd.DataFrame(
            {"postings": [int(counts["postings"].sum())], "seekers": [int(counts["seekers"].sum())]}
        )
    no_seekers = out["seekers"].to_numpy() == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = out["postings"].to_numpy(dtype=float) / out["seekers"].to_numpy(dtype=float)
    ratio[no_seekers] = np.nan
    out["job_to_applicant_ratio"] = ratio
    out["no_seekers"] = no_seekers
    n = int(no_seekers.sum())
    if n:
        log.info("%d group(s) had no job seekers: 求人倍率 left NaN (flag no_seekers)", n)
    return out
