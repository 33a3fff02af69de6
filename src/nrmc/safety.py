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

__all__ = ["safe_url", "url_problem", "ALLOWED_SCHEMES"]

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
    del port
    return None


def safe_url(text: object) -> str | None:
    """`text` unchanged if it is an absolute http(s) URL with a host, else None (render as text)."""
    return text if url_problem(text) is None else None  # type: ignore[return-value]
