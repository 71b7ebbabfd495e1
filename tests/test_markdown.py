import pytest

from qa.markdown import render_markdown

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
