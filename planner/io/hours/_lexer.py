"""Tokens of an opening-hours text: normalisation, the token table, Chinese numerals.

:func:`_normalise` folds full-width characters, dashes and list words; :func:`_tokenise`
cuts the text into :class:`_Tok` tokens by :data:`_TOKEN_SPEC` (OSM words and Chinese
words side by side, so one grammar reads both); :class:`_Fail` builds the error for one
text. The grammar itself is in :mod:`planner.io.hours.parse`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from planner.errors import HoursError

_FIX = "write e.g. '每天 05:00-12:00' or OSM 'Mo-Su 05:00-12:00'"

_ZH_NUM = "零〇一二两三四五六七八九十"
_TOKEN_SPEC: list[tuple[str, str]] = [
    ("WS", r"\s+"),
    ("SEMI", r";"),
    ("COMMA", r",|以及|及|和|与"),
    ("ALWAYS", r"24/7"),
    ("ALLDAY", r"全天\s*(?:24|二十四)\s*小时|(?:24|二十四)\s*小时|24\s*h(?:ours)?(?![a-z])|全天"),
    ("NOREST", r"全年无休|全年不休|常年无休|无休"),
    ("OPEN", r"照常营业|照常开放|正常营业|正常开放|照常|正常|不休|open(?![a-z])"),
    (
        "LABEL",
        r"(?:营业|开放|服务|办公|工作|运营|开市)时间\s*(?::|为|是)?|营业|开放|开门|服务|办公|开市",
    ),
    ("PH", r"法定节假日|法定假日|节假日|公共假日|节日|假日|ph(?![a-z])"),
    (
        "OFF",
        r"休息|休市|闭市|关门|关闭|闭馆|停业|不营业|不开放|除外|off(?![a-z])|closed(?![a-z])|休",
    ),
    ("EVERYDAY", r"每天|每日|天天|全周|每周七天|7\s*天"),
    ("WORKDAYS", r"工作日"),
    ("WEEKEND", r"周末|双休日|双休"),
    ("DAY", r"(?:周|星期|礼拜)\s*([一二三四五六日天七1-7])"),
    ("OSMDAY", r"(mo|tu|we|th|fr|sa|su)(?![a-z])"),
    ("NEXTDAY", r"次日|翌日|第二天|隔天"),
    ("MOD", r"凌晨|清晨|早上|早晨|上午|中午|下午|午后|傍晚|晚上|夜间|夜里|夜晚|早|晚"),
    ("CLOCK", r"(\d+)\s*:\s*(\d+)"),
    (
        "DIAN",
        rf"(\d+|[{_ZH_NUM}]+)\s*[点點时時]\s*(?:(半)|(\d+|[{_ZH_NUM}]+)\s*分?)?",
    ),
    ("NUM", r"\d+"),
    ("DASH", r"-"),
    ("BAREDAY", r"[一二三四五六日天七]"),
    ("WORD", r"[a-z]+"),
    ("OTHER", r"."),
]
_TOKEN_RE = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _TOKEN_SPEC))
_GROUP_OFFSET = {name: _TOKEN_RE.groupindex[name] for name, _ in _TOKEN_SPEC}
_DASHES = re.compile(r"\s*(?:[-–—―‐‑‒−﹣~〜～至到])+\s*")
_DAY_CHARS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_DAY_START = {"DAY", "OSMDAY", "EVERYDAY", "WORKDAYS", "WEEKEND", "PH"}
_TIME_START = {"MOD", "CLOCK", "DIAN", "NUM", "NEXTDAY"}


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    groups: tuple[str | None, ...] = ()


#: A bracketed note on holidays ("（节假日休息）", "(法定节假日除外)"): a rule of its own.
_PH_NOTE = re.compile(r"\(\s*((?:法定)?(?:节假日|假日|节日|公共假日|ph)[^()]*)\)")


def _normalise(text: str) -> str:
    out = unicodedata.normalize("NFKC", text)
    out = _PH_NOTE.sub(r";\1", out.lower())
    out = out.replace("、", ",").replace("\r", "\n").replace("\n", ";")
    out = _DASHES.sub("-", out)
    return out.strip().lower()


def _tokenise(norm: str, fail: _Fail) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN_RE.finditer(norm):
        kind = m.lastgroup
        assert kind is not None
        if kind == "WS":
            continue
        if kind in ("WORD", "OTHER"):
            raise fail(f"unexpected {m.group()!r} (not a day, time or keyword understood here)")
        start = _GROUP_OFFSET[kind]
        n_groups = {"DAY": 1, "OSMDAY": 1, "CLOCK": 2, "DIAN": 3}.get(kind, 0)
        groups = tuple(m.group(start + k + 1) for k in range(n_groups))
        toks.append(_Tok(kind, m.group(), groups))
    return toks


class _Fail:
    """Builds HoursError for one text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __call__(self, detail: str) -> HoursError:
        return HoursError(f"cannot read opening hours {self.text!r}: {detail}", fix=_FIX)


def _zh_number(s: str) -> int:
    """Digits or a Chinese numeral up to 99 (一, 十二, 二十, 三十五, 两)."""
    if s.isdigit():
        return int(s)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    digits.update({"〇": 0, "两": 2})
    if "十" in s:
        tens, _, ones = s.partition("十")
        if "十" in ones or (tens and tens not in digits) or (ones and ones not in digits):
            raise ValueError(s)
        return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)
    if len(s) == 1 and s in digits:
        return digits[s]
    raise ValueError(s)
