"""
Markdown to safe HTML.

Experts write Markdown; readers get HTML. The same function renders the expert's live preview
(markdownx calls it through MARKDOWNX_MARKDOWNIFY_FUNCTION) and the stored ``body_html``, so the
preview is exactly what gets published. Python-Markdown passes raw HTML through, so everything
it produces goes through nh3 with an allow-list.
"""

import re

import markdown as python_markdown
import nh3
from django.conf import settings

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# nh3 reads "java&#1;script:" as a relative link; some browsers, dropping the control
# characters, have read it as a script. Such a URL is never a real link, so it goes.
DISGUISED_SCHEME = re.compile(r"(?:javascript|vbscript|livescript|data):")
IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")


def _drop_disguised_schemes(tag, attribute, value):
    if attribute in {"href", "src"} and DISGUISED_SCHEME.match(
        IGNORED_IN_URL.sub("", value).lower()
    ):
        return None
    # Images come from our own uploads only: the CSP (img-src 'self') would refuse any other,
    # and a third-party image would tell its host who reads the column.
    if tag == "img" and attribute == "src" and not _is_own_path(value):
        return None
    return value


def _is_own_path(url):
    """A path on this site, or under MEDIA_URL (object storage's origin, when media is there)."""
    url = IGNORED_IN_URL.sub("", url)
    if "\\" in url:
        return False
    if url.startswith(settings.MEDIA_URL):
        return True
    return url.startswith("/") and not url.startswith("//")


def sanitize_html(html, *, url_rewrite=None, link_rel="nofollow noopener", styles=None):
    """
    Keep only the allow-listed tags, attributes and URL schemes. For another medium (the
    newsletter's email): ``url_rewrite`` changes each kept ``href`` and ``src``, ``link_rel``
    replaces the links' rel, and ``styles`` (tag -> attributes) sets inline styles.
    """

    def attribute_filter(tag, attribute, value):
        value = _drop_disguised_schemes(tag, attribute, value)
        if value is not None and url_rewrite is not None and attribute in {"href", "src"}:
            return url_rewrite(value)
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        attribute_filter=attribute_filter,
        link_rel=link_rel,
        strip_comments=True,
        set_tag_attribute_values=styles,
    )


def render_markdown(text):
    """
    Render an answer's Markdown to sanitised HTML. Quotes and dashes stay as the expert typed
    them, like the title, the dek and the reader's letter around them: no "smart" quotes in
    one part of a page and straight ones in the next.
    """
    html = python_markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    html = sanitize_html(html)
    # The sanitiser can serialise a tree that parses differently (a <p> inside a <p>, left by
    # a stray <select>). Sanitising until nothing changes stores exactly what a browser, or a
    # second sanitising, reads back.
    for _ in range(3):
        settled = sanitize_html(html)
        if settled == html:
            break
        html = settled
    return html
