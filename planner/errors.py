"""Errors raised by planner.

Every error a user can cause is a :class:`PlannerError`. Each leaf class also
subclasses the matching built-in exception (``ValueError``,
``FileNotFoundError`` …), so code can catch either.

The message always says *where* (file, row, column or key), *what* was found
and *how to fix it*::

    markets.csv, row 7, column '经度': longitude 37.52 looks like a latitude
    (latitude column holds 122.07). Fix: swap the 经度 and 纬度 columns.

Rows are numbered as a user sees them in a spreadsheet: the header is row 1,
the first data row is row 2.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

__all__ = [
    "CRSError",
    "ColumnError",
    "CoordinateError",
    "DependencyError",
    "DuplicateIdError",
    "EmptyFileError",
    "EncodingError",
    "GeometryError",
    "HoursError",
    "InputFileError",
    "InvalidValueError",
    "MissingFileError",
    "ModeError",
    "PlannerError",
    "StudyFileError",
    "TransitError",
]


class PlannerError(Exception):
    """Base class of every error planner raises on bad input.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    path
        The file concerned, if any.
    row
        Spreadsheet row number (header = 1), if any.
    column
        Column (or field) name, if any.
    key
        Key of a settings file (``inputs.markets.coords``), if any.
    fix
        How the user can fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        row: int | None = None,
        column: str | None = None,
        key: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.row = row
        self.column = column
        self.key = key
        self.fix = fix
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.key is not None:
            where.append(f"key '{self.key}'")
        text = ", ".join(where)
        text = f"{text}: {self.message}" if text else self.message
        if self.fix:
            text = f"{text}. Fix: {self.fix}"
        return text

    def __str__(self) -> str:
        return self._compose()


class InputFileError(PlannerError, ValueError):
    """A file exists but cannot be used as it is (wrong format, unreadable)."""


class MissingFileError(PlannerError, FileNotFoundError):
    """A file the study needs does not exist."""


class EmptyFileError(PlannerError, ValueError):
    """A file exists but holds no data rows or features."""


class EncodingError(PlannerError, ValueError):
    """Text that cannot be decoded with any supported encoding."""


class ColumnError(PlannerError, KeyError):
    """A required column is missing, or a column is not recognised."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self._compose()


class CRSError(PlannerError, ValueError):
    """A coordinate reference system is missing, unknown or inconsistent."""


class CoordinateError(PlannerError, ValueError):
    """Coordinates that cannot be right: swapped, in metres, outside the area."""


class DuplicateIdError(PlannerError, ValueError):
    """An identifier that must be unique appears more than once."""


class InvalidValueError(PlannerError, ValueError):
    """A value of the wrong type or out of range (negative, NaN, unparseable)."""


class GeometryError(PlannerError, ValueError):
    """A geometry that is invalid and cannot be repaired."""


class HoursError(PlannerError, ValueError):
    """Opening hours text that cannot be parsed."""


class TransitError(PlannerError, ValueError):
    """A transit feed or table that is incomplete or inconsistent."""


class ModeError(PlannerError, ValueError):
    """A travel mode planner does not know, or that the data cannot support."""


class StudyFileError(PlannerError, ValueError):
    """A study file (study.toml) with an unknown key, a wrong type or a bad value."""


class DependencyError(PlannerError, ImportError):  # type: ignore[misc]
    """An optional dependency is needed but not installed."""


class SitingError(PlannerError, ValueError):
    """A siting problem that cannot be solved as posed (target out of reach, p too large …)."""


class OutputError(PlannerError, OSError):
    """An output folder or file that cannot be written (a file in the way, no permission)."""


class ClusterError(PlannerError, ConnectionError):
    """A Dask scheduler that cannot be reached, or a cluster that cannot be started."""


class SitingWarning(UserWarning):
    """Siting input that is valid but probably not what was meant (e.g. dropped zeros)."""


__all__ += ["ClusterError", "OutputError", "SitingError", "SitingWarning"]
