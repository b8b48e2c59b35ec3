"""The proposal's building blocks: headings, paragraphs, tables, figures, as plain data.

:class:`ProposalDoc` holds a proposal in one language as a list of these blocks;
:mod:`planner.publish.proposals` writes them as HTML and Markdown and
:mod:`planner.publish.docx` as Word, so the three share one structure.
:class:`Ctx` is what the section builders of :mod:`planner.publish.proposal_doc` and
:mod:`planner.publish.proposal_sites` share while building.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.analysis.upgrade import UpgradeOption
from planner.publish._drawing import Drawing
from planner.publish.naming import SiteName
from planner.publish.proposal_maps import MapData
from planner.publish.proposal_text import TEXT, label

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = [
    "Block",
    "Box",
    "Bullets",
    "Contents",
    "Ctx",
    "Facts",
    "Figure",
    "Heading",
    "Para",
    "ProposalDoc",
    "Section",
    "Table",
]


@dataclass(frozen=True)
class Heading:
    """A heading: level 1 (一、二 …) or 2 ((一)(二) …, and the sites)."""

    level: int
    text: str
    id: str


@dataclass(frozen=True)
class Para:
    """A paragraph; ``style`` is ``p``, ``note`` (an explanation) or ``reason``."""

    text: str
    style: str = "p"


@dataclass(frozen=True)
class Table:
    """A table with a header row; ``id`` names it in HTML."""

    headers: list[str]
    rows: list[list[str]]
    id: str


@dataclass(frozen=True)
class Facts:
    """A two-column table of (label, value) pairs."""

    rows: list[tuple[str, str]]
    id: str


@dataclass(frozen=True)
class Figure:
    """A map or chart with its caption; ``name`` is its file stem (``overview``, a site id,
    ``curve-station``); ``width_cm`` its width in Word (default by kind)."""

    drawing: Drawing
    caption: str
    name: str
    width_cm: float | None = None


@dataclass(frozen=True)
class Bullets:
    """A list of items."""

    items: list[str]


@dataclass(frozen=True)
class Box:
    """A framed box (the warnings)."""

    title: str
    items: list[str]


@dataclass(frozen=True)
class Contents:
    """The table of contents: (level, text, target id)."""

    entries: list[tuple[int, str, str]]


@dataclass(frozen=True)
class Section:
    """Blocks that belong together (one proposed site)."""

    id: str
    style: str
    blocks: list[Any]


Block = Heading | Para | Table | Facts | Figure | Bullets | Box | Contents | Section


@dataclass
class ProposalDoc:
    """A proposal ready to write: title, front matter lines, blocks, in one language."""

    language: str
    title: str
    meta: list[str]
    blocks: list[Block] = field(default_factory=list)
    study: str = ""
    date: dt.date | None = None

    def t(self, key: str, **kw: Any) -> str:
        """The text ``key`` in the document's language, formatted with ``kw``."""
        return TEXT[self.language][key].format(**kw)

    def figures(self) -> list[Figure]:
        """Every figure, in order."""
        out: list[Figure] = []
        for b in self.blocks:
            if isinstance(b, Figure):
                out.append(b)
            elif isinstance(b, Section):
                out += [x for x in b.blocks if isinstance(x, Figure)]
        return out


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------


def num(v: Any, digits: int = 0) -> str:
    """A number with thousands separators (``—`` when not finite).

    Examples
    --------
    >>> num(12345.6), num(1.25, 1), num(float("nan"))
    ('12,346', '1.2', '—')
    """
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "—"
    return f"{x:,.{digits}f}"


def pct(v: Any) -> str:
    """A share as a percentage with one decimal.

    Examples
    --------
    >>> pct(0.7487)
    '74.9%'
    """
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "—" if not math.isfinite(x) else f"{100 * x:.1f}%"


def text_of(v: Any) -> str:
    """A cell value as stripped text, ``""`` for a missing one."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


@dataclass
class Ctx:
    """What the section builders share: the run, the document, and what was read once."""

    run: StudyRun
    doc: ProposalDoc
    units: gpd.GeoDataFrame
    groups: list[str]
    maps: MapData
    names: list[SiteName]
    numbers: dict[str, int]
    upgrades: list[UpgradeOption]
    lonlat: np.ndarray
    gcj: np.ndarray
    scenarios: Mapping[str, StudyRun] = field(default_factory=dict)

    def t(self, key: str, **kw: Any) -> str:
        """The text ``key`` in the document's language."""
        return self.doc.t(key, **kw)

    def lab(self, kind: str, key: Any) -> str:
        """The name of a tier, mode, anchor … in the document's language."""
        return label(kind, str(key), self.doc.language)

    def numeral(self, n: int) -> str:
        """A section's number as the document writes it: 五 (zh), 5 (en)."""
        return numeral(n, self.doc.language)

    @property
    def uses_bus(self) -> bool:
        """Whether the run's times include buses (a bus network and a tier counting it): only
        then does the document name the bus date, window, speed and headway."""
        rules = self.run.plan.before.rules.values()
        return "bus" in self.run.graphs and any("bus" in r.modes for r in rules)


_ZH_NUMERALS = "一二三四五六七八九十"


def numeral(n: int, language: str = "zh") -> str:
    """``5`` → ``五`` in Chinese (1-10), ``"5"`` otherwise.

    Examples
    --------
    >>> numeral(7), numeral(7, "en")
    ('七', '7')
    """
    return _ZH_NUMERALS[n - 1] if language == "zh" and 1 <= n <= 10 else str(n)
