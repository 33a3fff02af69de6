"""Papermill parameters of a briefing, and which notebook builds which scope."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def notebook_for(scope, notebooks_dir: Path) -> Path:
    return Path(notebooks_dir) / ("national.ipynb" if scope.kind == "national" else "province.ipynb")


def parameters_for(scope, *, lang: str, data_dir: Path, as_of: str | None = None) -> dict:
    """Papermill parameters for a scope: `province` (the slug) for provinces, then lang, data_dir, as_of."""
    params: dict[str, Any] = {}
    if scope.kind != "national":
        params["province"] = scope.slug
    params["lang"] = lang
    params["data_dir"] = str(data_dir)
    if as_of:
        params["as_of"] = as_of
    return params
