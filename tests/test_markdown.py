import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.markdown import render_markdown, sanitize_html

from .security import executable_parts

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<p onclick="alert(1)">hi</p>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "![x](javascript:alert(1))",
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name="q"></form>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_nothing_executable_survives(payload):
    html = render_markdown(payload).lower()
    for forbidden in (
        "<script",
        "onerror",
        "onload",
        "onclick",
        "javascript:",
        "vbscript:",
        "data:text/html",
        "<iframe",
        "<svg",
        "<style",
        "<form",
    ):
        assert forbidden not in html


def test_plain_markdown_is_kept():
    html = render_markdown("**bold**, *em*\n\n- one\n- two\n\n[site](https://example.com)")
    assert "<strong>bold</strong>" in html
    assert "<li>one</li>" in html
    assert 'href="https://example.com"' in html


def test_links_get_nofollow_noopener():
    html = render_markdown("[site](https://example.com) and <mailto:a@example.com>")
    assert 'rel="nofollow noopener"' in html
    assert "mailto:" in html


def test_rendering_is_idempotent():
    once = render_markdown("Text with <b>html</b> & entities")
    assert render_markdown("Text with <b>html</b> & entities") == once


# -- fuzzing ---------------------------------------------------------------------------------

# Pieces that Markdown and HTML give meaning to, so that generated text builds real structures
# (nested lists, links, raw HTML, entities) rather than only plain words.
FRAGMENTS = [
    "<",
    ">",
    "</",
    "/>",
    "<p>",
    "</p>",
    "<a href=",
    "<img src=",
    "<script>",
    "</script>",
    "<select>",
    "<svg",
    "<math>",
    "<table>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    " onerror=",
    " onload=alert(1)",
    "javascript:",
    "java\tscript:",
    "jav&#x09;ascript:",
    "&#106;",
    "&colon;",
    "vbscript:",
    "data:text/html,",
    '"',
    "'",
    "`",
    "=",
    "[",
    "](",
    ")",
    "![",
    "**",
    "_",
    "`",
    "```\n",
    "\n",
    "\n\n",
    "    ",
    "> ",
    "- ",
    "1. ",
    "#",
    "\\",
    "&",
    ";",
    "\x00",
    "\u202e",
    "\ufeff",
]
hostile_markdown = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=60).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(hostile_markdown)
def test_fuzz_rendering_is_always_sanitised_and_stable(text):
    """For any text: nothing executable comes out, and sanitising the output changes nothing."""
    html = render_markdown(text)
    assert executable_parts(html) == []
    assert sanitize_html(html) == html
    assert render_markdown(text) == html


@pytest.mark.parametrize(
    ("markdown", "kept"),
    [
        ("![chart](/media/answers/chart.png)", True),
        ("![tracker](https://tracker.example/pixel.gif)", False),
        ("![tracker](//tracker.example/pixel.gif)", False),
        ('<img src="http://evil.example/x.png">', False),
    ],
)
def test_images_come_only_from_our_own_uploads(markdown, kept):
    html = render_markdown(markdown)
    assert ("src=" in html) is kept, html
