"""Short text and HTML representations for results shown in a console or notebook.

A result object's ``__repr__`` is one line and its ``_repr_html_`` a small table of the
same facts, so typing ``run`` in a notebook shows what the run holds instead of dumping
arrays, CRS definitions and tens of thousands of characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["html_table", "one_line"]


def one_line(kind: str, facts: Sequence[tuple[str, object]]) -> str:
    """``<Kind a=1, b=two>`` from (label, value) pairs."""
    body = ", ".join(f"{k}={v}" for k, v in facts)
    return f"<{kind} {body}>" if body else f"<{kind}>"


def html_table(kind: str, facts: Sequence[tuple[str, object]]) -> str:
    """A two-column HTML table titled ``kind``; every value is escaped."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{escape(str(k))}</th>"
        f"<td style='text-align:left'>{escape(str(v))}</td></tr>"
        for k, v in facts
    )
    return f"<table><caption style='text-align:left'><b>{escape(kind)}</b></caption>{rows}</table>"
