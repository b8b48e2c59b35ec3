"""Siting proposals (选址建议) a bureau can file: HTML, Markdown and Word.

:func:`write_proposal` writes, for a :class:`~planner.run.StudyRun`, the document
:func:`planner.publish.proposal_doc.build_proposal` makes (in the study's ``[outputs]
language``, Chinese by default):

- ``proposal.html`` — one file, the maps inline as SVG, opens offline, prints on A4;
- ``proposal.md`` — with the maps in ``proposal_files/<name>.svg``;
- ``proposal.docx`` — the same headings and tables, the maps as pictures
  (:mod:`planner.publish.docx`).

The HTML is rendered by jinja2 with autoescaping; the Markdown escapes every value (HTML
characters, and ``|`` and other Markdown characters in tables); the SVG maps escape every
label. Files are written atomically through :class:`~planner.publish._output.OutputFolder`
(never over an input, never over a file planner did not write). The same run gives the
same bytes.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from planner.errors import InvalidValueError
from planner.publish._output import OutputFolder
from planner.publish.proposal_blocks import ProposalDoc
from planner.publish.proposal_doc import build_proposal
from planner.publish.proposal_maps import SVG_RADIUS_M, map_data, site_map
from planner.publish.proposal_sites import landmark_of, site_names
from planner.publish.proposal_text import LANGUAGES

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["SVG_RADIUS_M", "md_escape", "site_svg", "write_proposal"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

_FORMATS = ("html", "md", "docx")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(value: Any) -> str:
    """Escape a value for Markdown text and table cells.

    HTML characters become entities (Markdown passes raw HTML through), Markdown's
    punctuation gets a backslash (``|`` included, so a value cannot break a table), and
    line breaks become spaces.

    Examples
    --------
    >>> md_escape("a|b <script>")
    'a\\\\|b &lt;script&gt;'
    >>> md_escape(None)
    ''
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = html.escape(str(value), quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"[\r\n]+", " ", text)


def site_svg(
    run: StudyRun,
    site_id: str,
    *,
    radius_m: float | None = None,
    size_px: int = 320,
    units: gpd.GeoDataFrame | None = None,
    language: str = "zh",
) -> str:
    """A small SVG map of a proposed site, as the proposal draws it.

    Cells are shaded by demand; cells the site newly covers for its tier (uncovered
    before the plan, covered after) are outlined in green. Roads (main ones named), unit
    boundaries and names, existing markets (circles, named) and the proposed sites (their
    tier's symbol and number) are drawn on top. North is up; a scale bar sits bottom left.
    Every label is escaped.

    Parameters
    ----------
    run
        The study run.
    site_id
        A ``site_id`` of ``run.plan.sites``.
    radius_m
        Half-width of the map, metres (default by tier, :data:`SVG_RADIUS_M`).
    size_px
        Width and height of the picture.
    units
        Boundaries to draw (default the study area's units).
    language
        ``"zh"`` or ``"en"`` (scale bar and north arrow).
    """
    sites = run.plan.sites
    ids = sites["site_id"].astype(str).tolist()
    if str(site_id) not in ids:
        raise InvalidValueError(
            f"no proposed site '{site_id}'",
            column="site_id",
            fix=f"use one of {', '.join(ids) or '(none)'}",
        )
    numbers = {s: i + 1 for i, s in enumerate(ids)}
    data = map_data(run, units)
    name = site_names(run, units)[ids.index(str(site_id))]
    return site_map(
        data,
        str(site_id),
        radius_m=radius_m,
        size_px=size_px,
        language=language,
        numbers=numbers,
        landmark=landmark_of(name, language),
    ).svg()


def _kind_of(block: Any) -> str:
    return type(block).__name__.lower()


def _environment(kind: str) -> Any:
    import jinja2
    from markupsafe import Markup

    loader = jinja2.PackageLoader("planner.publish", "templates")
    if kind == "html":
        env = jinja2.Environment(loader=loader, autoescape=True, keep_trailing_newline=True)
    else:

        def finalize(value: Any) -> Any:
            return value if isinstance(value, Markup) else md_escape(value)

        env = jinja2.Environment(
            loader=loader, autoescape=False, finalize=finalize, keep_trailing_newline=True
        )
        env.filters["mdlist"] = lambda s: Markup(re.sub(r"^(\d+)\.", r"\1\\.", md_escape(s)))
    env.globals["kind_of"] = _kind_of
    return env


def _file_stem(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)


def render_html(doc: ProposalDoc) -> str:
    """The proposal as one HTML page (maps inline)."""
    from markupsafe import Markup

    return (
        _environment("html")
        .get_template("proposal_report.html.j2")
        .render(
            doc=doc,
            html_lang="zh-CN" if doc.language == "zh" else "en",
            contents_title=doc.t("contents"),
            svg_of=lambda fig: Markup(fig.drawing.svg()),
        )
    )


def render_markdown(doc: ProposalDoc, files_dir: str) -> str:
    """The proposal as Markdown; figures link to ``<files_dir>/<name>.svg``."""
    from markupsafe import Markup

    facts_headers = ["项目", "内容"] if doc.language == "zh" else ["Item", "Value"]
    text: str = (
        _environment("md")
        .get_template("proposal_report.md.j2")
        .render(
            doc=doc,
            contents_title=doc.t("contents"),
            facts_headers=facts_headers,
            figure_path=lambda fig: Markup(f"{files_dir}/{_file_stem(fig.name)}.svg"),
        )
    )
    return re.sub(r"\n{3,}", "\n\n", text)


def write_proposal(
    run: StudyRun,
    out_dir: PathArg,
    *,
    formats: Sequence[str] = _FORMATS,
    units: gpd.GeoDataFrame | None = None,
    stem: str = "proposal",
    language: str | None = None,
    inputs: Iterable[PathArg] = (),
    scenarios: Mapping[str, StudyRun] | None = None,
) -> list[Path]:
    """Write the siting proposal of a run as HTML, Markdown and/or Word.

    Parameters
    ----------
    run
        From :func:`planner.pipeline.run_study`.
    out_dir
        Folder to write into (created). The Markdown's maps go to
        ``<stem>_files/<name>.svg`` beside it; the HTML holds them inline; the Word file
        holds them as pictures.
    formats
        Any of ``"html"``, ``"md"`` and ``"docx"``.
    units
        Areas to report coverage by and name sites in (polygons with ``name`` and/or
        ``code``, e.g. townships from :func:`planner.io.vector.read_boundaries`); default
        the study area's units (counties).
    stem
        File name without suffix.
    language
        ``"zh"`` or ``"en"``; default the study's ``[outputs] language`` (``"zh"``).
    inputs
        Files never to write over (default the study's input files).
    scenarios
        The runs of :func:`planner.pipeline.run_scenarios` (the study's own as ``"base"``):
        the proposal then compares them in a section of its own.

    Returns
    -------
    list of pathlib.Path
        The reports written, in the order of ``formats``.
    """
    fmts = list(formats)
    bad = [f for f in fmts if f not in _FORMATS]
    if bad or not fmts:
        raise InvalidValueError(
            f"unknown proposal format(s): {', '.join(map(repr, bad)) or '(none given)'}",
            fix="use formats=('html', 'md', 'docx') or some of them",
        )
    if not re.fullmatch(r"[\w.-]+", stem):
        raise InvalidValueError(
            f"stem {stem!r} is not a plain file name", fix="use letters, digits, '.', '-', '_'"
        )
    if language is not None and language not in LANGUAGES:
        raise InvalidValueError(
            f"unknown proposal language {language!r}", fix=f"use one of {', '.join(LANGUAGES)}"
        )
    folder = OutputFolder(out_dir, inputs=[*inputs, *run.inputs.study.files])
    doc = build_proposal(run, units=units, language=language, scenarios=scenarios)
    written: list[Path] = []
    for fmt in fmts:
        if fmt == "html":
            path = folder.write(f"{stem}.html", render_html(doc))
        elif fmt == "md":
            files = f"{stem}_files"
            for fig in doc.figures():
                folder.write(f"{files}/{_file_stem(fig.name)}.svg", fig.drawing.svg() + "\n")
            path = folder.write(f"{stem}.md", render_markdown(doc, files))
        else:
            from planner.publish.docx import docx_bytes

            path = folder.write(f"{stem}.docx", docx_bytes(doc, fallback_date=run.date))
        written.append(path)
        log.info("siting proposal written to %s", path)
    return written
