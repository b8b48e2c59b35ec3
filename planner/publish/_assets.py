"""Local Leaflet assets, so published maps open from ``file://`` and offline.

Leaflet comes from the ``xstatic-leaflet`` package on PyPI (a wheel holding Leaflet's own
``leaflet.js``, ``leaflet.css`` and marker images). :func:`copy_leaflet` copies those files
next to a page; nothing is ever loaded from a CDN (intranets in China often block them).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from planner.errors import DependencyError

__all__ = [
    "LeafletAssets",
    "copy_leaflet",
    "leaflet_dir",
    "leaflet_files",
    "leaflet_version",
    "render_template",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

_INSTALL_FIX = "install it with `pip install xstatic-leaflet` (planner lists it as a dependency)"

# The files a page needs: the minified script, the style sheet and the images it refers to.
_FILES: tuple[str, ...] = (
    "leaflet.js",
    "leaflet.css",
    "images/layers.png",
    "images/layers-2x.png",
    "images/marker-icon.png",
    "images/marker-icon-2x.png",
    "images/marker-shadow.png",
)


@dataclass(frozen=True)
class LeafletAssets:
    """Where :func:`copy_leaflet` put Leaflet.

    Attributes
    ----------
    folder
        The folder holding ``leaflet.js``, ``leaflet.css`` and ``images/``.
    js, css
        The script and the style sheet.
    version
        Leaflet's version (e.g. ``"1.9.3"``).
    """

    folder: Path
    js: Path
    css: Path
    version: str


def _package() -> tuple[Path, str]:
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:
        raise DependencyError(
            "Leaflet (the xstatic-leaflet package) is missing", fix=_INSTALL_FIX
        ) from exc
    return Path(xleaflet.BASE_DIR), str(xleaflet.VERSION)


def leaflet_dir() -> Path:
    """The folder of the installed ``xstatic-leaflet`` package that holds ``leaflet.js``.

    Raises
    ------
    planner.errors.DependencyError
        ``xstatic-leaflet`` is not installed, or its files are incomplete.

    Examples
    --------
    >>> (leaflet_dir() / "leaflet.js").is_file()
    True
    """
    base, _ = _package()
    missing = [name for name in _FILES if not (base / name).is_file()]
    if missing:
        raise DependencyError(
            f"the xstatic-leaflet package in {base} lacks {', '.join(missing)}",
            path=base,
            fix="reinstall it with `pip install --force-reinstall xstatic-leaflet`",
        )
    return base


def leaflet_version() -> str:
    """Version of the Leaflet shipped by ``xstatic-leaflet``.

    Examples
    --------
    >>> leaflet_version().count(".") >= 1
    True
    """
    return _package()[1]


def _same_bytes(a: Path, b: Path) -> bool:
    if not b.is_file() or a.stat().st_size != b.stat().st_size:
        return False
    return hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def copy_leaflet(dest: PathArg) -> LeafletAssets:
    """Copy Leaflet's script, style sheet and images into ``dest``.

    Files already there with the same bytes are left alone, so repeated builds do not
    touch them; a different ``leaflet.js`` (another version) is replaced.

    Parameters
    ----------
    dest
        Target folder (created), e.g. ``maps/public/assets/leaflet``.

    Returns
    -------
    LeafletAssets
        The paths written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     assets = copy_leaflet(Path(folder) / "leaflet")
    ...     sorted(p.name for p in assets.folder.iterdir())
    ['images', 'leaflet.css', 'leaflet.js']
    """
    base = leaflet_dir()
    version = leaflet_version()
    out = Path(dest)
    for name in _FILES:
        src = base / name
        target = out / name
        if _same_bytes(src, target):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(target)
    log.debug("Leaflet %s copied to %s", version, out)
    return LeafletAssets(
        folder=out, js=out / "leaflet.js", css=out / "leaflet.css", version=version
    )


def leaflet_files() -> dict[str, Path]:
    """Leaflet's files a page needs: name relative to the Leaflet folder → installed file.

    Examples
    --------
    >>> sorted(leaflet_files())[:2]
    ['images/layers-2x.png', 'images/layers.png']
    """
    base = leaflet_dir()
    return {name: base / name for name in _FILES}


_TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_template(name: str, **context: object) -> str:
    """Render a jinja2 template of ``planner/publish/templates`` with autoescaping on.

    Every value from the context is HTML-escaped unless a template marks it ``|safe``
    (which the public templates do only for markup planner itself generates, such as a
    chart whose texts were escaped when it was drawn).

    Raises
    ------
    planner.errors.DependencyError
        jinja2 is not installed.
    """
    try:
        import jinja2
    except ImportError as exc:
        raise DependencyError(
            "jinja2 is missing", fix="install it with `pip install jinja2`"
        ) from exc
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(name).render(**context)
