"""Fonts: the CJK font (which one this machine has, what to install when it has none, and the copy
PDFs embed) and the Latin font of the English briefings (`latin_font()`, Noto Sans from Debian's
fonts-noto-core: TrueType, embedded by Chromium as it is).

Discovery (for charts, HTML and PDF alike) asks fontconfig (`fc-match`, `fc-list`):

- `cjk_font(bold=False)` -> `CJKFont(family, path, index, format)`: the first of `CJK_FAMILIES`
  that is installed, else any font fontconfig lists for Chinese. Raises `MissingCJKFontError`,
  whose message names the Debian package (`sudo apt-get install fonts-noto-cjk`).
- `cjk_family()`: just the family name (what matplotlib's `font.family` and CSS need).
- `check_cjk_fonts()`: the same check, never cached (a build's preflight).

The print font. Chromium (Skia) cannot embed OpenType fonts with CFF outlines, which is what Debian's
Noto Sans CJK is: it draws every glyph as an unnamed Type 3 font, a megabyte or more per briefing,
and copying chart text yields Kangxi radicals (⼈ U+2F08 for 人 U+4EBA), because Skia maps a glyph
to the lowest code point that the font's cmap gives it. `ensure_print_fonts()` therefore converts
the CJK font (Regular and Bold) to TrueType outlines with fontTools (cu2qu), subset to
`print_charset()` (GB 2312, Latin, punctuation and symbols, and every character of the data and of
this package), without the radical code points, under a family name of its own (`PRINT_FAMILY`).
Skia embeds that as a subset CID TrueType font with a correct ToUnicode map. The result is cached
under `$XDG_CACHE_HOME/nrmc/fonts/<key>/` (key: digest of the source fonts, the charset and the
converter), written under a lock and renamed into place, so concurrent builds neither corrupt nor
repeat the work; a first conversion costs about 16 s of CPU per weight (both weights run at once;
15-60 s wall on a shared 2-core machine), later builds reuse it.

Chromium is then started with `FONTCONFIG_FILE` pointing at `PrintFonts.fontconfig_file()`: the
system's configuration plus the cache folder and a rule that puts `PRINT_FAMILY` before the CJK
family. Every request for "Noto Sans CJK SC" (the briefing CSS, the SVG charts, also when they are
<img> documents that no @font-face reaches, and the PDF footer) gets the TrueType copy; the HTML
is not changed and nothing is served to the page.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

log = logging.getLogger(__name__)

# Preferred families, best first: what Debian's fonts-noto-cjk installs, then the same design under
# its other names, then other common Chinese sans fonts.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "Droid Sans Fallback")
APT_PACKAGE = "fonts-noto-cjk"
INSTALL_HINT = f"sudo apt-get install {APT_PACKAGE}   (or run `make setup` in the repository)"

PRINT_FAMILY = "NRMC Print Sans SC"  # the converted copy; never the original's name (OFL: modified version)
CONVERTER_VERSION = 4  # bump when the conversion changes its output
CHARSET_VERSION = 1  # bump when print_charset()'s fixed part changes
MAX_ERR = 1.0  # cu2qu tolerance in font units (1/1000 em): invisible at any print size
DISABLE_ENV = "NRMC_PRINT_FONT"  # "system": print with the system fonts as they are (Type 3)

# Code points that share a glyph with a unified ideograph but sort before it, so that Skia would
# extract the glyph as them: CJK Radicals Supplement, Kangxi Radicals, CJK Strokes. Never in the
# print font; compatibility ideographs are left out as well (same glyphs, no use in our text).
EXCLUDED_RANGES = ((0x2E80, 0x2FDF), (0x31C0, 0x31EF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
# Always in the print font (besides GB 2312 and the data's own characters).
BASE_RANGES = (
    (0x0020, 0x007E), (0x00A0, 0x024F), (0x02B0, 0x02FF), (0x0370, 0x03FF), (0x0400, 0x045F),
    (0x2000, 0x206F), (0x20A0, 0x20BF), (0x2100, 0x214F), (0x2150, 0x218F), (0x2190, 0x21FF),
    (0x2200, 0x22FF), (0x2300, 0x23FF), (0x2460, 0x24FF), (0x2500, 0x257F), (0x25A0, 0x25FF),
    (0x2600, 0x26FF), (0x3000, 0x303F), (0x3200, 0x32FF), (0x3300, 0x33FF), (0xFF00, 0xFFEF),
)
LAYOUT_FEATURES = ["ccmp", "calt", "liga", "kern", "mark", "mkmk", "palt", "halt"]


class MissingCJKFontError(RuntimeError):
    """No font that can draw Chinese characters is installed."""


def _missing(detail: str = "") -> MissingCJKFontError:
    return MissingCJKFontError(
        "No Chinese (CJK) font is installed, so Chinese text would print and draw as boxes"
        f"{detail}. Install one with: {INSTALL_HINT}")


# ---------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CJKFont:
    family: str
    path: str
    index: int = 0
    format: str = ""  # fontconfig's fontformat: "CFF" (Noto CJK on Debian) or "TrueType"

    @property
    def is_cff(self) -> bool:
        return self.format.upper() == "CFF"


def _fc(*args: str) -> str:
    """stdout of a fontconfig tool, "" when it is missing or fails."""
    try:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=30).stdout or ""
    except (OSError, subprocess.SubprocessError):
        return ""


_FORMAT = "%{family}\t%{file}\t%{index}\t%{fontformat}\t%{style}\n"


def _parse(line: str) -> tuple[list[str], CJKFont] | None:
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 4 or not parts[1]:
        return None
    families = [f.strip() for f in parts[0].split(",") if f.strip()]
    try:
        index = int(parts[2] or 0)
    except ValueError:
        index = 0
    if not families or not os.path.isfile(parts[1]):
        return None
    return families, CJKFont(families[0], parts[1], index, parts[3])


def find_cjk_font(bold: bool = False) -> CJKFont | None:
    """Look the CJK font up now (no cache); None when fontconfig knows none."""
    weight = ":weight=bold" if bold else ":weight=regular"
    for family in CJK_FAMILIES:
        parsed = _parse(_fc("fc-match", "-f", _FORMAT, family + weight))
        if parsed and family in parsed[0]:  # fc-match always answers: make sure it is that family
            font = parsed[1]
            return CJKFont(family, font.path, font.index, font.format)
    # Any font fontconfig lists for Chinese: sans before serif, the asked weight first, then by name.
    found = []
    for line in _fc("fc-list", "-f", _FORMAT, ":lang=zh").splitlines():
        parsed = _parse(line)
        if parsed:
            style = line.rstrip("\n").split("\t")[4] if line.count("\t") >= 4 else ""
            font = parsed[1]
            found.append(("serif" in font.family.lower() and "sans" not in font.family.lower(),
                          ("bold" in style.lower()) != bold, font.family, font.path, font))
    if found:
        return sorted(found, key=lambda t: t[:4])[0][4]
    return None


@functools.lru_cache(maxsize=8)
def _cjk_font_cached(bold: bool, _env: tuple) -> CJKFont | None:
    return find_cjk_font(bold)


def _fc_env() -> tuple:
    return tuple(os.environ.get(k) for k in ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT"))


def cjk_font(bold: bool = False) -> CJKFont:
    """The CJK font to use (cached per fontconfig environment); MissingCJKFontError if none."""
    font = _cjk_font_cached(bold, _fc_env())
    if font is None:
        _cjk_font_cached.cache_clear()  # an install during this process should be seen next time
        raise _missing()
    return font


# ---------------------------------------------------------------------------------------------
# The Latin font of the English briefings
# ---------------------------------------------------------------------------------------------

# English is set in a Latin font and Chinese glosses in the CJK font (briefing.css, the English
# block): the CJK font's quotes and punctuation are full-width, so English set in it prints “ ”
# with wide gaps. Debian's fonts-noto-core has Noto Sans, TrueType outlines that Chromium embeds as
# they are (no conversion), with the typography British English needs (curly quotes, en and em
# dashes, ligatures, old-style and tabular figures).
LATIN_FAMILY = "Noto Sans"
LATIN_PACKAGE = "fonts-noto-core"
LATIN_INSTALL_HINT = f"sudo apt-get install {LATIN_PACKAGE}   (or run `make setup` in the repository)"


class MissingLatinFontError(RuntimeError):
    """The Latin font of the English briefings is not installed."""


def find_latin_font(bold: bool = False) -> CJKFont | None:
    """The Latin font (`LATIN_FAMILY`) as fontconfig finds it now, or None when it is missing."""
    weight = ":weight=bold" if bold else ":weight=regular"
    parsed = _parse(_fc("fc-match", "-f", _FORMAT, LATIN_FAMILY + weight))
    if parsed and LATIN_FAMILY in parsed[0]:
        font = parsed[1]
        return CJKFont(LATIN_FAMILY, font.path, font.index, font.format)
    return None


def latin_font(bold: bool = False) -> CJKFont:
    """The Latin font; MissingLatinFontError naming the Debian package when it is not installed
    (the English briefings would then print in another font)."""
    font = find_latin_font(bold)
    if font is None:
        raise MissingLatinFontError(f"The Latin font {LATIN_FAMILY!r} of the English briefings is not installed, so "
                                    f"English would print in another font. Install it with: {LATIN_INSTALL_HINT}")
    return font


def cjk_family() -> str:
    """Family name of the CJK font, e.g. "Noto Sans CJK SC" (for matplotlib and CSS)."""
    return cjk_font().family


def check_cjk_fonts() -> CJKFont:
    """Raise MissingCJKFontError (naming the apt package) unless a CJK font is installed; never cached."""
    font = find_cjk_font()
    if font is None:
        raise _missing()
    return font


# ---------------------------------------------------------------------------------------------
# Charset of the print font
# ---------------------------------------------------------------------------------------------

def _excluded(cp: int) -> bool:
    return any(a <= cp <= b for a, b in EXCLUDED_RANGES)


@functools.lru_cache(maxsize=1)
def base_charset() -> frozenset[int]:
    """GB 2312 (every character encodable in it) + BASE_RANGES, without EXCLUDED_RANGES."""
    cps = {cp for a, b in BASE_RANGES for cp in range(a, b + 1)}
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        try:
            chr(cp).encode("gb2312")
        except UnicodeEncodeError:
            continue
        cps.add(cp)
    return frozenset(cp for cp in cps if not _excluded(cp))


def project_text(data_dir: str | os.PathLike | None = None) -> str:
    """Every character of the data files (default: `nrmc.regions.default_data_dir()`) and of this
    package's code and templates: what a briefing can print.

    The shipped data's characters are always in it too: a data folder made from the shipped one
    (an edited copy, a subset, the tests' fixtures) then needs the same print font as the shipped
    data, converted once per machine (about 35 CPU-seconds), instead of one conversion per set of
    characters; a few more glyphs cost nothing in a PDF, which embeds only those it prints."""
    from nrmc.regions import default_data_dir

    chunks: list[str] = []
    pkg = Path(__file__).resolve().parent
    shipped = Path(default_data_dir())
    folders = dict.fromkeys([shipped.resolve(), Path(data_dir if data_dir is not None else shipped).resolve()])
    files = [*(f for folder in folders for f in sorted(folder.glob("*.csv"))),
             *sorted(p for p in pkg.rglob("*") if p.suffix in (".py", ".j2", ".css", ".json", ".html"))]
    for path in files:
        try:
            chunks.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return "".join(chunks)


def print_charset(extra_text: str | None = None) -> frozenset[int]:
    """Code points of the print font: `base_charset()` plus the characters of `extra_text`
    (default: `project_text()`), without EXCLUDED_RANGES."""
    text = project_text() if extra_text is None else extra_text
    extra = {ord(c) for c in set(text)} - base_charset()
    extra = {cp for cp in extra if cp >= 0x20 and not _excluded(cp) and not 0xD800 <= cp <= 0xDFFF}
    return base_charset() | frozenset(extra)


# ---------------------------------------------------------------------------------------------
# Conversion CFF -> TrueType (runs in a child process per weight: `python -m nrmc.fonts convert`)
# ---------------------------------------------------------------------------------------------

def _is_ideograph(cp: int) -> bool:
    return 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0x20000 <= cp <= 0x3FFFF


def prefer_ideographs(font) -> int:
    """Drop from every cmap subtable any code point that shares a glyph with a unified ideograph
    and sorts before it (Skia would extract the glyph as that code point). Returns how many."""
    dropped = 0
    for table in font["cmap"].tables:
        if not table.isUnicode() or table.format == 14:
            continue
        by_glyph: dict[str, list[int]] = {}
        for cp, glyph in table.cmap.items():
            by_glyph.setdefault(glyph, []).append(cp)
        for cps in by_glyph.values():
            ideos = [cp for cp in cps if _is_ideograph(cp)]
            if len(cps) > 1 and ideos:
                for cp in cps:
                    if not _is_ideograph(cp) and cp < min(ideos):
                        del table.cmap[cp]
                        dropped += 1
    return dropped


def convert_font(src: str, index: int, out: str, unicodes, *, bold: bool) -> dict:
    """Subset the CFF face `src`#`index` to `unicodes`, convert it to TrueType outlines, rename it
    `PRINT_FAMILY`, and save it to `out`. Returns a few numbers for the log."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    t0 = time.monotonic()
    # Subset everything but the outlines first (fontTools' CFF subsetting would interpret every
    # charstring two or three times), keeping the CFF glyph names so that they can be looked up.
    original = TTFont(src, fontNumber=index, lazy=True)
    if "CFF " not in original:
        raise ValueError(f"{src} has no CFF outlines to convert")
    order = original.getGlyphOrder()
    font = TTFont(src, fontNumber=index, lazy=True)
    del font["CFF "]
    font.setGlyphOrder(order)
    opts = subset.Options()
    opts.layout_features = LAYOUT_FEATURES
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.drop_tables += ["VORG", "vhea", "vmtx", "BASE", "JSTF", "DSIG", "meta"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted(unicodes))
    sub.subset(font)
    t1 = time.monotonic()

    # Then draw each kept glyph from the CFF original through cu2qu into TrueType quadratics.
    order = font.getGlyphOrder()
    cff_glyphs = original.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        cff_glyphs[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    # Smallest flag encoding costs more time than it saves bytes: the file is only a cache.
    font.cfg["fontTools.ttLib:OPTIMIZE_FONT_SPEED"] = True
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        glyph.recalcBounds(glyf)
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    dropped = prefer_ideographs(font)

    style = "Bold" if bold else "Regular"
    name = font["name"]
    for nid in (1, 2, 3, 4, 6, 16, 17, 18, 21, 22):
        name.removeNames(nameID=nid)
    ps = PRINT_FAMILY.replace(" ", "") + "-" + style
    for nid, text in ((1, PRINT_FAMILY), (2, style), (3, f"{ps};nrmc-{CONVERTER_VERSION}"),
                      (4, f"{PRINT_FAMILY} {style}"), (6, ps)):
        name.setName(text, nid, 3, 1, 0x409)
        name.setName(text, nid, 1, 0, 0)
    old = font["name"].getDebugName(5) or ""
    name.removeNames(nameID=5)
    note = f"{old}; TrueType subset made by nrmc from the CFF original".lstrip("; ")
    name.setName(note, 5, 3, 1, 0x409)
    name.setName(note, 5, 1, 0, 0)
    font.save(out)
    return {"glyphs": len(order), "subset_s": round(t1 - t0, 2), "convert_s": round(time.monotonic() - t1, 2),
            "cmap_dropped": dropped, "bytes": os.path.getsize(out)}


# ---------------------------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------------------------

def cache_root() -> Path:
    from nrmc.resources import user_cache_root

    return user_cache_root() / "fonts"


@functools.lru_cache(maxsize=16)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(path: str) -> str:
    st = os.stat(path)
    return _file_digest(path, st.st_size, st.st_mtime_ns)


COVERAGE_FILE = "codepoints.txt"


@dataclass(frozen=True)
class PrintFonts:
    """The converted fonts of one cache entry."""

    directory: Path
    source_family: str
    family: str = PRINT_FAMILY

    @property
    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.ttf"))

    @functools.cached_property
    def charset(self) -> frozenset[int]:
        """The code points the fonts were made for (those the source font has are in them)."""
        try:
            return frozenset(int(x, 16) for x in (self.directory / COVERAGE_FILE).read_text(encoding="ascii").split())
        except (OSError, ValueError):
            return frozenset()

    def missing(self, text: str) -> str:
        """The CJK characters of `text` (U+2E80 and up) that the print font was not made for:
        Chromium prints them in the system font, as Type 3 glyphs that may not copy right."""
        charset = self.charset
        if not charset:
            return ""
        return "".join(sorted(c for c in set(text) if ord(c) >= 0x2E80 and ord(c) not in charset
                              and not 0xE000 <= ord(c) <= 0xF8FF))

    def fontconfig_file(self) -> Path:
        """A fontconfig file: the current configuration, this folder, and `family` before
        `source_family` wherever that is asked for. Written once per base configuration."""
        base = os.environ.get("FONTCONFIG_FILE")
        if not base:
            base = os.path.join(os.environ.get("FONTCONFIG_PATH") or "/etc/fonts", "fonts.conf")
        base = os.path.abspath(base)
        text = (
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
            f'  <include ignore_missing="yes">{_xml_escape(base)}</include>\n'
            f"  <dir>{_xml_escape(str(self.directory))}</dir>\n"
            '  <match target="pattern">\n'
            f'    <test name="family" compare="eq"><string>{_xml_escape(self.source_family)}</string></test>\n'
            f'    <edit name="family" mode="prepend" binding="strong"><string>{_xml_escape(self.family)}</string></edit>\n'
            "  </match>\n</fontconfig>\n")
        path = self.directory / f"fonts-{hashlib.sha256(text.encode()).hexdigest()[:12]}.conf"
        if not path.exists():
            _write_atomic(path, text.encode())
        return path

    def chromium_env(self) -> dict[str, str]:
        """The environment to start Chromium with so that it prints in these fonts."""
        return {**os.environ, "FONTCONFIG_FILE": str(self.fontconfig_file())}


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _sources() -> tuple[CJKFont, CJKFont | None]:
    regular = cjk_font(bold=False)
    bold = cjk_font(bold=True)
    if (bold.path, bold.index) == (regular.path, regular.index) or bold.family != regular.family:
        bold = None
    return regular, bold


def cache_key(regular: CJKFont, bold: CJKFont | None, charset: frozenset[int]) -> str:
    import fontTools

    h = hashlib.sha256(f"nrmc print font {CONVERTER_VERSION}/{CHARSET_VERSION} "
                       f"fonttools {fontTools.version} err {MAX_ERR}".encode())
    for font in (regular, bold):
        if font is not None:
            h.update(f"\0{font.family}\0{font.index}\0{file_digest(font.path)}".encode())
    h.update(b"\0" + ",".join(f"{cp:x}" for cp in sorted(charset)).encode())
    return h.hexdigest()[:20]


def print_fonts_disabled() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip().lower() in ("system", "0", "off", "no")


def cached_print_fonts(extra_text: str | None = None) -> PrintFonts | None:
    """The print fonts if they are in the cache already (cheap: no conversion); else None."""
    regular, bold = _sources()
    if not regular.is_cff:
        return None
    entry = cache_root() / cache_key(regular, bold, print_charset(extra_text))
    if (entry / "font.json").is_file():
        with contextlib.suppress(OSError):
            os.utime(entry)  # marks it as in use for pruning
        return PrintFonts(entry, regular.family)
    return None


def needs_conversion() -> bool:
    """Whether the CJK font has CFF outlines (which Chromium would embed as Type 3)."""
    return cjk_font().is_cff and not print_fonts_disabled()


def ensure_print_fonts(extra_text: str | None = None) -> PrintFonts | None:
    """The print fonts, converted now if the cache lacks them (about 16 s of CPU per weight, both
    weights at once in child processes of ~180 MB each). None when the CJK font is TrueType
    already (it embeds as it is) or when $NRMC_PRINT_FONT=system."""
    import fcntl
    import json

    if print_fonts_disabled():
        return None
    regular, bold = _sources()
    if not regular.is_cff:
        return None
    charset = print_charset(extra_text)
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    key = cache_key(regular, bold, charset)
    entry = root / key
    with open(root / f"{key}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second build waits here instead of converting too
        try:
            if not (entry / "font.json").is_file():
                t0 = time.monotonic()
                log.info("converting %s to TrueType for PDF embedding (once; cached in %s)", regular.family, entry)
                tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{key}."))
                try:
                    stats = _convert_all(regular, bold, charset, tmp)
                    meta = {"family": PRINT_FAMILY, "source_family": regular.family, "key": key,
                            "sources": [f.path for f in (regular, bold) if f], "codepoints": len(charset),
                            "seconds": round(time.monotonic() - t0, 1), "fonts": stats,
                            "converter": CONVERTER_VERSION, "charset": CHARSET_VERSION}
                    (tmp / "font.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
                    if entry.exists():  # an older, incomplete entry
                        shutil.rmtree(entry, ignore_errors=True)
                    os.rename(tmp, entry)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.utime(entry)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    prune_cache(keep=entry)
    return PrintFonts(entry, regular.family)


def _convert_all(regular: CJKFont, bold: CJKFont | None, charset, folder: Path) -> list[dict]:
    """Convert both weights side by side, each in a child process of its own."""
    cps = folder / COVERAGE_FILE
    cps.write_text(" ".join(f"{cp:x}" for cp in sorted(charset)), encoding="ascii")
    env = dict(os.environ)
    pkg_parent = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    procs = []
    for font, is_bold in ((regular, False), (bold, True)):
        if font is None:
            continue
        out = folder / f"{PRINT_FAMILY.replace(' ', '')}-{'Bold' if is_bold else 'Regular'}.ttf"
        cmd = [sys.executable, "-m", "nrmc.fonts", "convert", font.path, str(font.index), str(out), str(cps)]
        if is_bold:
            cmd.append("--bold")
        procs.append((subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env), out))
    stats = []
    for proc, out in procs:
        stdout, stderr = proc.communicate()
        if proc.returncode != 0 or not out.is_file():
            for other, _ in procs:
                with contextlib.suppress(OSError):
                    other.kill()
            raise RuntimeError(f"converting the CJK font for PDF failed: {stderr.strip()[-800:]}")
        stats.append({"file": out.name, **_json_line(stdout)})
    return stats


def _json_line(text: str) -> dict:
    import json

    try:
        return json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}


def prune_cache(keep: Path | None = None, max_age_days: float = 30) -> None:
    """Remove cache entries not used for `max_age_days` (and stale temporary folders)."""
    root = cache_root()
    now = time.time()
    try:
        children = list(root.iterdir())
    except OSError:
        return
    for child in children:
        if keep is not None and child == keep:
            continue
        try:
            age = now - child.stat().st_mtime
        except OSError:
            continue
        stale_tmp = child.name.startswith(".") and child.is_dir() and age > 3600
        if stale_tmp or (child.is_dir() and not child.name.startswith(".") and age > max_age_days * 86400):
            shutil.rmtree(child, ignore_errors=True)
            with contextlib.suppress(OSError):
                (root / f"{child.name}.lock").unlink()


def _main(argv: list[str]) -> int:
    import json

    if len(argv) >= 5 and argv[0] == "convert":
        src, index, out, charset_file = argv[1], int(argv[2]), argv[3], argv[4]
        cps = [int(x, 16) for x in Path(charset_file).read_text(encoding="ascii").split()]
        print(json.dumps(convert_font(src, index, out, cps, bold="--bold" in argv[5:])))
        return 0
    if argv[:1] == ["info"] or not argv:
        font = check_cjk_fonts()
        print(f"CJK font: {font.family} ({font.path}#{font.index}, {font.format or '?'})")
        pf = cached_print_fonts()
        print(f"print fonts: {pf.directory if pf else 'not converted yet (or not needed)'}")
        return 0
    print("usage: python -m nrmc.fonts [info | convert SRC INDEX OUT CHARSET_FILE [--bold]]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
