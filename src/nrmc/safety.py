"""Data text that leaves the dataset as something other than text: links.

A source's `url` becomes an `<a href>` in the HTML and a `/URI` link in the PDF. Only absolute
`http://` / `https://` addresses with a host may become links; anything else (`javascript:`,
`data:`, `file:`, `vbscript:`, a relative or scheme-less address, one hiding control characters or
entity tricks) is refused by validation (`nrmc.data`) and, as defence in depth, shown as plain text
by the renderers:

    from nrmc.safety import safe_url
    href = safe_url(row["url"])          # the URL itself, or None: then print the text, no link

This module is deliberately tiny and imports nothing heavy, so any renderer can use it.
"""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

__all__ = ["safe_url", "url_problem", "host_problem", "ALLOWED_SCHEMES"]

ALLOWED_SCHEMES = ("http", "https")
# Characters that have no business in a URL as written in a CSV cell: a browser drops or rewrites
# some of them (tabs and newlines inside "java\tscript:" are removed, "\" becomes "/"), so what a
# link would point to could differ from what a reader or this check sees. Must be percent-encoded.
_FORBIDDEN = set('"<>\\^`{|}')
# Unicode categories that are invisible or not characters: controls (Cc), format characters such as
# zero-width spaces and bidi overrides (Cf), spaces and line separators (Z*), unassigned (Cn),
# private use (Co) and surrogates (Cs).
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp", "Cn", "Co", "Cs"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST = re.compile(r"[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*\.?")
MAX_URL_LEN = 2000


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}" + (f" {unicodedata.name(ch)}" if unicodedata.name(ch, "") else "")


def url_problem(text: object) -> str | None:
    """Why `text` is not an acceptable link (a short reason for a message), or None if it is an
    absolute http(s) URL with a host."""
    if not isinstance(text, str) or not text:
        return "is empty or not text"
    if len(text) > MAX_URL_LEN:
        return f"is longer than {MAX_URL_LEN} characters"
    scheme = _SCHEME.match(text)
    if scheme is None or scheme.group(1).lower() not in ALLOWED_SCHEMES:
        shown = f"{scheme.group(1)}:" if scheme else "none"
        return f"must be an absolute http:// or https:// address (scheme: {shown})"
    for ch in text:
        if ch in _FORBIDDEN or unicodedata.category(ch) in _INVISIBLE:
            what = "a space" if ch == " " else _char_name(ch)
            return f"contains {what}; percent-encode it (a link must not hide characters a browser drops or rewrites)"
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a port that is not a number in range
        host = parts.hostname or ""
    except ValueError as err:
        return f"is not a valid URL ({err})"
    scheme = parts.scheme.lower()
    if not text[: len(scheme) + 3].lower() == scheme + "://" or not parts.netloc:
        return f"must be an absolute address of the form {scheme}://host/… (the '//' and the host are missing)"
    if "@" in parts.netloc:
        return "must not contain a user name or password before the host (user@host can disguise where a link goes)"
    if not host:
        return "has no host"
    if ":" in host:  # IPv6 literal, written [::1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"has an invalid host {host!r}"
    elif not _HOST.fullmatch(host):
        return f"has an invalid host {host!r} (letters, digits, '-' and '.' only)"
    else:
        problem = host_problem(parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc)
        if problem:
            return problem
    del port
    return None


# Letters of these scripts look like Latin ones (а/a, о/o, р/p, ѕ/s, ο/o, ν/v, Ꭺ/A …): a host may
# not mix any of them with Latin letters, in a label or across labels (аpple.com, аррӏе.com).
# Chinese, Japanese and Korean ideographs and syllables are one family, which may stand beside a
# Latin top-level domain (清华大学.cn).
_CJK = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"}


def _script(ch: str) -> str | None:
    """The script of a letter ('LATIN', 'CYRILLIC', 'CJK' …) from its Unicode name; None for a
    digit, a hyphen or a mark."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    if ch.isascii():
        return "LATIN"
    word = unicodedata.name(ch, "UNKNOWN").split()[0]
    return "CJK" if word in _CJK else word


def host_problem(host: str) -> str | None:
    """Why a host could pass for another one, or None: a host written in a compatibility form
    (full-width letters), a punycode label that is not valid IDNA, letters of two scripts in one
    label, Latin beside a script whose letters look Latin (a Cyrillic 'а' in 'аpple.com'), or a
    Latin letter outside ASCII that is not an accented ASCII letter ('ɑ', 'ı'). The message gives
    the host's ASCII (punycode) form, which shows what the link really points to."""
    import idna

    if host.isascii() and "xn--" not in host.lower():
        return None
    if unicodedata.normalize("NFKC", host) != host:
        return (f"has a host {host!r} written in a compatibility or decomposed form (full-width letters, "
                "ligatures, combining accents): write it as plain letters")
    labels = []
    for label in host.rstrip(".").split("."):
        if label.lower().startswith("xn--"):
            try:
                label = idna.decode(label)
            except (idna.IDNAError, UnicodeError, ValueError):
                return f"has a host label {label!r} that is not valid punycode (IDNA)"
        labels.append(label)
    try:
        ascii_form = idna.encode(".".join(labels).lower(), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as err:
        return f"has a host {host!r} that is not a valid internationalised domain name ({err})"
    seen: set[str] = set()
    for label in labels:
        scripts = {_script(ch) for ch in label} - {None}
        if len(scripts) > 1:
            return (f"has a host label {label!r} that mixes scripts ({', '.join(sorted(scripts)).lower()}): "
                    f"a look-alike of another address; its real form is {ascii_form!r}")
        for ch in label:
            if _script(ch) == "LATIN" and not ch.isascii() and not unicodedata.normalize("NFKD", ch)[0].isascii():
                return (f"has a host with {_char_name(ch)}, a Latin letter that can pass for an ASCII one; "
                        f"its real form is {ascii_form!r}")
        seen |= scripts
    if "LATIN" in seen and seen - {"LATIN", "CJK"}:
        return (f"has a host {host!r} that mixes Latin with {', '.join(sorted(seen - {'LATIN'})).lower()} letters, "
                f"which can pass for Latin ones: a look-alike of another address; its real form is {ascii_form!r}")
    return None


def safe_url(text: object) -> str | None:
    """`text` unchanged if it is an absolute http(s) URL with a host, else None (render as text)."""
    return text if url_problem(text) is None else None  # type: ignore[return-value]
