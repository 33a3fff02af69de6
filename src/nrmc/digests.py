"""What a briefing's digest covers: the rule that decides what `nrmc build` (and `nrmc preview`)
rebuilds.

A briefing (a scope in one language) is rebuilt when its digest differs from the one its outputs
were built from (`nrmc.state`). The digest is a sha256 over:

1. **its data**: `nrmc.inputs.scope_digest` of the build's data snapshot, with the build's as-of
   date applied as the notebook applies it. A province's briefing is composed only from
   `inputs.scope_dataset` (its own rows, and of the rest only what it prints: map, ranks, totals),
   so an edit about Anhui changes Anhui's and the national digest, not Hubei's; moving a centre to
   another province changes every scope whose map, rank or totals change. National: all the data.
   A file in the data folder that is not one of the dataset's tables (`DATASET_FILES`) counts for
   every briefing, byte for byte (a notebook gets the folder's path and may read it), except
   documentation and editor backups (`ignored_data_file`).
2. **its notebook** (the file's bytes) and **its parameters** (scope, language, as-of; not the data
   folder's path, whose content is item 1).
3. **the code that can change output** (`code_digest`): every file of the nrmc package except the
   orchestration modules in `ORCHESTRATION` (they decide what runs where, not what a briefing
   says) and `_bundled/` (data and notebooks: items 1 and 2). Python modules count as their syntax
   tree without docstrings (`ast.dump`), so a comment, a docstring or reformatting changes
   nothing; every other file (templates, CSS) counts byte for byte. A new module counts unless it
   is added to `ORCHESTRATION`.
4. **the tools that change output** (`tools_digest`): the versions of `OUTPUT_PACKAGES` and of
   Python, the Chromium binary's version (`chromium --version`, cached by the binary's path, size
   and mtime), and the CJK font files used (path, size, mtime).
5. **the print font's cache key** (`nrmc.fonts.cache_key`: the font files, the converter and the
   characters of the data and package), kept per data snapshot since it depends on the data.

Formats are not part of it: each output (HTML, PDF, executed notebook) records the digest it was
built from, and a format asked for is rebuilt when it is missing or from another digest.

Everything slow is cached in `<out>/.state/digests.json`: each package file's digest by size and
mtime, the browser's version by its binary, the font lookup by fontconfig's folders, and per data
snapshot (keyed by the snapshot's digest and the code digest) the scopes' data digests, the front
page's map digest and the print font key. A build with nothing changed therefore reads no
DataFrame and does not import pandas.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable

PACKAGE_DIR = Path(__file__).resolve().parent
CACHE_NAME = "digests.json"
# Bump when the rule itself changes (every briefing is then rebuilt once).
SCHEMA = 3

# Modules that orchestrate (run notebooks, keep state, check arguments, serve the preview) and so
# cannot change what a briefing or the front page shows. Everything else in the package counts.
ORCHESTRATION = frozenset({
    "__main__.py", "build.py", "checks.py", "cli.py", "digests.py", "kernels.py", "layout.py", "limits.py",
    "parameters.py", "preview.py", "resources.py", "state.py",
})
SKIP_DIRS = frozenset({"_bundled", "__pycache__"})
# Installed distributions whose version can change a briefing's HTML or PDF.
OUTPUT_PACKAGES = ("pandas", "numpy", "matplotlib", "nbconvert", "nbclient", "nbformat", "papermill", "jinja2",
                   "markupsafe", "ipython", "fonttools")
# Fontconfig's configuration and the font folders (each with its subfolders, where a font package
# adds its own): when none of these changed, the CJK font lookup of the last build still holds.
# (Not fontconfig's caches: Chromium and fc-match write those on their own.)
FONTCONFIG_CONF = ("/etc/fonts", "/etc/fonts/conf.d")
FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
KEEP_SNAPSHOTS = 8  # per-snapshot cache entries kept
# The dataset's tables (nrmc.data.TABLES, without importing pandas; a test keeps the two equal).
DATASET_FILES = frozenset(f"{t}.csv" for t in (
    "sources", "provinces", "specialties", "centers", "metrics", "metric_definitions", "milestones",
    "provincial_centers", "stages", "center_batches", "hospitals", "cities"))


def ignored_data_file(rel: str) -> bool:
    """Documentation and editor backups in the data folder, which no briefing reads."""
    name = rel.rsplit("/", 1)[-1]
    return (name.upper().startswith("README") or name.endswith((".md", "~", ".bak", ".orig", ".swp"))
            or name.startswith(".") or name == "datapackage.json")  # the Frictionless descriptor (nrmc datapackage)


def other_files_digest(data_dir: Path) -> str:
    """Digest of the data folder's files that are not the dataset's tables (see the module doc)."""
    h = hashlib.sha256(b"other data files")
    root = Path(data_dir)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            rel = p.relative_to(root).as_posix()
            if rel in DATASET_FILES or ignored_data_file(rel):
                continue
            try:
                h.update(rel.encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
            except OSError as err:
                h.update(f"{rel} unreadable: {err}".encode())
    return h.hexdigest()


def _sha(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# The code
# ---------------------------------------------------------------------------------------------

def output_files(root: Path = PACKAGE_DIR) -> list[Path]:
    """The package files that count (see ORCHESTRATION), sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith(".") or fn.endswith((".pyc", ".pyo")):
                continue
            if here == root and fn in ORCHESTRATION:
                continue
            out.append(here / fn)
    return out


def normalised_source(source: bytes) -> bytes:
    """A Python module as its syntax tree without docstrings: comments, docstrings, blank lines and
    formatting do not change it. Source that does not parse counts byte for byte."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False, include_attributes=False).encode()


def file_digest(path: Path) -> str:
    data = Path(path).read_bytes()
    if Path(path).suffix == ".py":
        data = normalised_source(data)
    return hashlib.sha256(data).hexdigest()


def code_digest(cache: dict | None = None, root: Path = PACKAGE_DIR) -> str:
    """Digest of the package files that can change output; `cache` (rel path -> [size, mtime_ns,
    digest]) is used and updated so that unchanged files are not parsed again."""
    cache = {} if cache is None else cache
    h = hashlib.sha256(f"code {SCHEMA}".encode())
    seen = set()
    for p in output_files(root):
        rel = p.relative_to(root).as_posix()
        seen.add(rel)
        try:
            st = p.stat()
        except OSError:
            continue
        hit = cache.get(rel)
        if isinstance(hit, list) and len(hit) == 3 and hit[:2] == [st.st_size, st.st_mtime_ns]:
            d = hit[2]
        else:
            try:
                d = file_digest(p)
            except OSError:
                continue
            cache[rel] = [st.st_size, st.st_mtime_ns, d]
        h.update(f"\0{rel}\0{d}".encode())
    for rel in [k for k in cache if k not in seen]:
        del cache[rel]
    return h.hexdigest()


def package_stat_key(root: Path = PACKAGE_DIR) -> str:
    """Every package file's path, size and mtime (what the print font's characters come from)."""
    items = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for fn in sorted(filenames):
            p = os.path.join(dirpath, fn)
            try:
                st = os.stat(p)
            except OSError:
                continue
            items.append((os.path.relpath(p, root), st.st_size, st.st_mtime_ns))
    return _sha(items)


# ---------------------------------------------------------------------------------------------
# The tools
# ---------------------------------------------------------------------------------------------

def _norm(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def package_versions(names: Iterable[str] = OUTPUT_PACKAGES) -> dict[str, str]:
    """Installed versions, read from the dist-info folder names on sys.path (a directory listing,
    far cheaper than importlib.metadata), falling back to importlib.metadata."""
    want = {_norm(n): n for n in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names_here = os.listdir(entry or ".")
        except OSError:
            continue
        for fn in names_here:
            if fn.endswith(".dist-info"):
                dist, _, ver = fn[: -len(".dist-info")].partition("-")
                k = _norm(dist)
                if k in want and k not in found:
                    found[k] = ver
        if len(found) == len(want):
            break
    out = {}
    for k, name in want.items():
        if k not in found:
            try:
                from importlib import metadata

                found[k] = metadata.version(name)
            except Exception:  # noqa: BLE001 - not installed: counts as such
                found[k] = "-"
        out[name] = found[k]
    return out


def _fontconfig_key() -> list:
    env = [os.environ.get(k) for k in ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT", "XDG_CACHE_HOME")]
    places = []
    folders = [os.path.expanduser(p) for p in FONT_FOLDERS]
    for top in folders:
        with contextlib.suppress(OSError):
            folders += sorted(e.path for e in os.scandir(top) if e.is_dir(follow_symlinks=False))
    for p in [*FONTCONFIG_CONF, *folders]:
        try:
            places.append([p, os.stat(p).st_mtime_ns])
        except OSError:
            places.append([p, None])
    return [env, places]


def _font_lookup() -> list:
    """[path, index, format] for the regular and the bold CJK font, then the regular and the bold
    Latin font (fontconfig); None for one that is missing."""
    from nrmc import fonts

    out = []
    for bold in (False, True):
        try:
            f = fonts.cjk_font(bold=bold)
            out.append([f.path, f.index, f.format])
        except Exception:  # noqa: BLE001 - no CJK font: the build's preflight says so
            out.append(None)
    for bold in (False, True):  # the Latin font of the English briefings (installing it changes them)
        f = fonts.find_latin_font(bold=bold)
        out.append([f.path, f.index, f.format] if f else None)
    return out


def _stat(path: str | None) -> list:
    if not path:
        return [path]
    try:
        st = os.stat(path)
        return [path, st.st_size, st.st_mtime_ns]
    except OSError:
        return [path, None, None]


def tools_digest(cache: dict) -> str:
    """Versions of OUTPUT_PACKAGES and Python, Chromium's version and the CJK font files.
    `cache` holds the browser's version by its binary and the font lookup by fontconfig's state."""
    from nrmc import chromium

    parts: dict[str, Any] = {"python": list(sys.version_info[:2]), "packages": package_versions()}
    try:
        exe = chromium.find_chromium()
    except chromium.BrowserUnavailable:
        exe = None
    if exe:
        key = chromium.binary_key(exe)
        hit = cache.get("chromium")
        if not (isinstance(hit, dict) and hit.get("key") == key and hit.get("version")):
            hit = {"key": key, "version": chromium.version(exe)}
            cache["chromium"] = hit
        parts["chromium"] = [hit["version"], key]
    else:
        parts["chromium"] = None
    fkey = _fontconfig_key()
    hit = cache.get("fonts")
    if not (isinstance(hit, dict) and hit.get("key") == fkey):
        hit = {"key": fkey, "fonts": _font_lookup()}
        cache["fonts"] = hit
    parts["fonts"] = [None if f is None else [*_stat(f[0]), f[1], f[2]] for f in hit["fonts"]]
    return _sha("tools", SCHEMA, parts)


def print_font_key(data_dir: Path) -> str:
    """The key of the print font the PDFs of this data are printed in ("system" when none is made)."""
    from nrmc import fonts

    try:
        if not fonts.needs_conversion():
            return "system"
        regular, bold = fonts._sources()
        if not regular.is_cff:
            return "system"
        return fonts.cache_key(regular, bold, fonts.print_charset(fonts.project_text(data_dir)))
    except Exception as err:  # noqa: BLE001 - no CJK font: the build's preflight says so
        return f"unavailable: {type(err).__name__}"


# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------

def scope_data_digests(ds, codes: Iterable[str | None]) -> dict[str | None, str]:
    """`inputs.scope_digest(ds, code)` for each code (None: national) without building the subsets:
    each table's rows are turned into text once (the centres also as other provinces see them) and
    each scope's digest joins the texts of its rows (`inputs.scope_rows`). 32 scopes: 1.5 s -> 0.1 s."""
    from dataclasses import fields

    import numpy as np
    import pandas as pd

    from nrmc import inputs

    tables = {f.name: getattr(ds, f.name) for f in fields(ds) if isinstance(getattr(ds, f.name), pd.DataFrame)}
    texts = {name: inputs.row_texts(df) for name, df in tables.items()}
    whole = {name: inputs.table_text(name, df, texts[name]) for name, df in tables.items()}
    c = tables["centers"]
    seen_as_other = inputs.row_texts(inputs.other_centres(c))
    by_index = np.argsort(c.index.to_numpy(), kind="stable")  # scope_dataset sorts the centres by index

    out: dict[str | None, str] = {}
    for code in dict.fromkeys(codes):
        h = hashlib.sha256()
        if not code:
            for text in whole.values():
                h.update(text)
            h.update(f"{ds.as_of_date}{ds.reference_date}{ds.reference_text}".encode())
            out[code] = h.hexdigest()
            continue
        rows = inputs.scope_rows(ds, code)
        for name, df in tables.items():
            if name == "centers":
                picked = [texts[name][i] if rows.own[i] else seen_as_other[i] for i in by_index]
                h.update(inputs.table_text(name, df, picked))
            elif name in rows.tables:
                mask = rows.tables[name]
                h.update(inputs.table_text(name, df, [t for t, keep in zip(texts[name], mask) if keep]))
            else:
                h.update(whole[name])
        h.update(f"{ds.as_of_date}{rows.reference_date}{rows.reference_text}".encode())
        out[code] = h.hexdigest()
    return out


def frontpage_digest(ds) -> str:
    """What the front page's map and key figures are drawn from (nrmc.frontpage)."""
    from dataclasses import asdict, is_dataclass

    from nrmc import coverage

    st = coverage.province_status(ds)
    nat = coverage.national_count(ds)
    nat_v = asdict(nat) if is_dataclass(nat) else vars(nat)
    return _sha("frontpage", st.to_csv(lineterminator="\n"), ds.provinces.to_csv(lineterminator="\n"), nat_v)


# ---------------------------------------------------------------------------------------------
# One build's digests
# ---------------------------------------------------------------------------------------------

def briefing_digest(static: str, data: str, notebook: Path, params: dict) -> str:
    """The digest of one briefing from its parts (see the module docstring)."""
    h = hashlib.sha256(f"briefing {SCHEMA}\0{static}\0{data}\0".encode())
    try:
        h.update(Path(notebook).read_bytes())
    except OSError:
        h.update(f"missing notebook {notebook}".encode())
    params = {k: v for k, v in params.items() if k != "data_dir"}
    h.update(b"\0" + json.dumps(params, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()


# The code's and the tools' digest caches are also kept per user, beside Jinja's compiled templates'
# (not only in each output folder's .state): a build into a new folder (a test, a user's second
# copy) parsed all 57 modules and asked Chromium and fontconfig again, a second before any kernel
# could start. An entry still counts only for the same file size and modification time.
def _shared_path() -> Path:
    from nrmc.resources import user_cache_root

    key = hashlib.sha256(f"{PACKAGE_DIR}\0{SCHEMA}".encode()).hexdigest()[:16]
    return user_cache_root() / f"digests-{key}.json"


def _read_shared() -> dict:
    with contextlib.suppress(OSError, ValueError):
        got = json.loads(_shared_path().read_text(encoding="utf-8"))
        if isinstance(got, dict):
            return got
    return {}


def _write_shared(before: dict, now: dict) -> None:
    if json.dumps(before, sort_keys=True) == json.dumps(now, sort_keys=True):
        return
    path = _shared_path()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(now, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


class BuildDigests:
    """The digests of one build: `briefing(scope, notebook, params)` for each briefing,
    `frontpage()` for the front page; `save()` writes the caches (under the build lock).

    `snapshot` is an nrmc.state.DataSnapshot (its `dir` and `digest`); `as_of` the normalised
    as-of date. Invalid data gets digests that match nothing built before (the build's preflight
    then reports the problems), and nothing of it is cached."""

    def __init__(self, state_dir: Path, snapshot, as_of: str | None = None):
        self.path = Path(state_dir) / CACHE_NAME
        self.snapshot = snapshot
        self.as_of = as_of
        try:
            self._on_disk = self.path.read_text(encoding="utf-8")
            cache = json.loads(self._on_disk)
            if not isinstance(cache, dict) or cache.get("schema") != SCHEMA:
                cache = {}
        except (OSError, ValueError):
            self._on_disk, cache = None, {}
        shared = _read_shared()
        self.cache = {"schema": SCHEMA, "code": cache.get("code") or dict(shared.get("code") or {}),
                      "tools": cache.get("tools") or dict(shared.get("tools") or {}), "data": cache.get("data") or {}}
        before = json.dumps(self.cache, sort_keys=True)
        self.code = code_digest(self.cache["code"])
        self.tools = tools_digest(self.cache["tools"])
        _write_shared(shared, {"code": self.cache["code"], "tools": self.cache["tools"]})
        self._entry_key = f"{snapshot.digest}:{self.code}:{package_versions(['pandas'])['pandas']}"
        entry = self.cache["data"].get(self._entry_key)
        self._entry = entry if isinstance(entry, dict) else {}
        pkey = package_stat_key()
        fp = self._entry.get("print_font")
        if not (isinstance(fp, list) and len(fp) == 3 and fp[:2] == [pkey, self.tools]):
            fp = [pkey, self.tools, print_font_key(snapshot.dir)]
            self._entry["print_font"] = fp
        self.print_font = fp[2]
        self.other_files = other_files_digest(snapshot.dir)
        self.static = _sha("static", self.code, self.tools, self.print_font, self.other_files)
        self._dirty = json.dumps(self.cache, sort_keys=True) != before or entry is None
        self._ds = None
        self.invalid: str | None = None

    # ---- data ------------------------------------------------------------------------------
    def _scopes(self) -> dict:
        return self._entry.setdefault(f"scopes:{self.as_of or ''}", {})

    def _load(self, as_of: bool = True):
        if self._ds is None and self.invalid is None:
            try:
                from nrmc.data import load

                self._ds = load(self.snapshot.dir)
            except Exception as err:  # noqa: BLE001 - invalid or unreadable data
                self.invalid = f"invalid data {self.snapshot.digest}: {type(err).__name__}"
        if self._ds is None:
            return None
        return self._ds.as_of(self.as_of) if as_of else self._ds

    def missing(self, codes: Iterable[str | None]) -> bool:
        """Whether some of these scopes' data digests are not cached (computing them reads the data)."""
        known = self._scopes()
        return any((c or "national") not in known for c in codes)

    def prepare(self, codes: Iterable[str | None]) -> None:
        """Compute (in one pass) the data digests of the scopes not yet cached."""
        known = self._scopes()
        missing = [c for c in dict.fromkeys(codes) if (c or "national") not in known]
        if not missing:
            return
        ds = self._load()
        if ds is None:
            return
        try:
            got = scope_data_digests(ds, missing)
        except Exception as err:  # noqa: BLE001 - a scope the data cannot describe: rebuild it
            self.invalid = f"unreadable data {self.snapshot.digest}: {type(err).__name__}"
            return
        for c, d in got.items():
            known[c or "national"] = d
        self._dirty = True

    def data(self, code: str | None) -> str:
        known = self._scopes()
        key = code or "national"
        if key not in known:
            self.prepare([code])
        return known.get(key) or (self.invalid or f"unknown {self.snapshot.digest}")

    def briefing(self, scope, notebook: Path, params: dict) -> str:
        code = None if scope.kind == "national" else (getattr(scope, "code", None) or scope.slug)
        return briefing_digest(self.static, self.data(code), notebook, params)

    def frontpage(self) -> str:
        """Digest of the front page's inputs besides its entries: its code and its map's data."""
        fp = self._entry.get("frontpage")
        if not fp:
            ds = self._load(as_of=False)
            if ds is None:
                return _sha("frontpage", self.code, self.invalid)
            try:
                fp = frontpage_digest(ds)
            except Exception as err:  # noqa: BLE001
                return _sha("frontpage", self.code, f"{type(err).__name__}: {err}")
            self._entry["frontpage"] = fp
            self._dirty = True
        return _sha("frontpage", self.code, fp)

    # ---- cache -----------------------------------------------------------------------------
    def save(self) -> None:
        if not self._dirty or self.invalid:
            return
        from nrmc.state import write_atomic

        data = self.cache["data"]
        data.pop(self._entry_key, None)
        data[self._entry_key] = self._entry  # most recent last
        while len(data) > KEEP_SNAPSHOTS:
            data.pop(next(iter(data)))
        text = json.dumps(self.cache, ensure_ascii=False)
        if text == self._on_disk:
            self._dirty = False
            return
        try:
            write_atomic(self.path, text)
            self._on_disk = text
        except OSError:
            return  # a cache: the next build computes it again
        self._dirty = False
