"""
Markdown to safe HTML.

Experts write Markdown; readers get HTML. The same function renders the expert's live preview
(markdownx calls it through MARKDOWNX_MARKDOWNIFY_FUNCTION) and the stored ``body_html``, so the
preview is exactly what gets published. Python-Markdown passes raw HTML through, so everything
it produces goes through nh3 with an allow-list.
"""

import markdown as python_markdown
import nh3

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


def sanitize_html(html):
    """Keep only the allow-listed tags, attributes and URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )


def render_markdown(text):
    """Render an answer's Markdown to sanitised HTML."""
    html = python_markdown.markdown(
        text or "", extensions=["sane_lists", "smarty"], output_format="html"
    )
    return sanitize_html(html)
