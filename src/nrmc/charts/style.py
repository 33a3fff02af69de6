"""The look shared by every chart: colours, sizes, the CJK font family and the matplotlib settings
the charts render with (`setup()` applies them to matplotlib globally, for a notebook's own charts)."""
from __future__ import annotations

import functools

import matplotlib
from matplotlib import font_manager

from nrmc import fonts

MissingCJKFontError = fonts.MissingCJKFontError

# A sequential blue ramp from light to dark (ColorBrewer Blues, 5 classes): colour-blind safe and
# monotonic in lightness, so the order survives greyscale printing.
RAMP = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
DARK = "#08306b"
MID = "#4a7fb5"
LIGHT = "#c6dbef"
GREY = "#bdbdbd"
INK = "#1a1a1a"
EDGE = "#6b6b6b"
HIGHLIGHT = "#d55e00"  # Okabe–Ito vermilion; always a thick outline, never colour alone
HIGHLIGHT_LW = 2.5     # pt

WIDTH_IN = 3.6     # natural width of every chart
MIN_FONT = 7.5     # pt, smallest text anywhere
FONT = 8.0         # pt, ticks, values, labels, legends
PAD = 3.0          # pt, empty margin around every chart
W_PT = WIDTH_IN * 72
FONT_STACK = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
              "PingFang SC", "Microsoft YaHei")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The CJK family for charts (found by nrmc.fonts, the one place fonts are looked up),
    registered with matplotlib; MissingCJKFontError with the install command when there is none,
    instead of letting matplotlib draw empty boxes."""
    font = fonts.cjk_font()
    names = {f.name for f in font_manager.fontManager.ttflist}
    if font.family not in names:
        try:
            font_manager.fontManager.addfont(font.path)
        except (OSError, RuntimeError, ValueError) as err:
            raise MissingCJKFontError(f"The CJK font {font.path} cannot be read by matplotlib ({err}). "
                                      f"Reinstall it: {fonts.INSTALL_HINT}") from err
    return font.family


def _families() -> list[str]:
    return [cjk_font(), "DejaVu Sans"]


def _rc() -> dict:
    return {
        "font.family": _families(),
        "font.size": FONT,
        "text.parse_math": False,
        "text.usetex": False,
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
        "svg.hashsalt": "nrmc",
        "figure.dpi": 72,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.6,
        "axes.edgecolor": "#555555",
        "axes.labelsize": FONT,
        "axes.labelcolor": INK,
        "axes.labelpad": 3.0,
        "text.color": INK,
        "xtick.labelsize": FONT,
        "ytick.labelsize": FONT,
        "xtick.color": "#555555",
        "ytick.color": "#555555",
        "xtick.labelcolor": INK,
        "ytick.labelcolor": INK,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.major.size": 3.0,
        "ytick.major.size": 3.0,
        "xtick.major.pad": 2.0,
        "ytick.major.pad": 3.0,
        "hatch.linewidth": 0.6,
        "lines.solid_capstyle": "butt",
    }


def setup() -> str:
    """Configure matplotlib globally for charts drawn in a notebook (the chart functions of this
    module do not need it: they render in their own rc context). Returns the CJK family."""
    rc = _rc()
    matplotlib.rcParams.update({k: v for k, v in rc.items() if k not in ("figure.dpi",)})
    return rc["font.family"][0]


def _font_stack() -> str:
    names = list(dict.fromkeys((FONT_STACK[0], cjk_font()) + FONT_STACK[1:]))
    return ", ".join(f"'{n}'" for n in names) + ", sans-serif"
