"""The XSS checker itself: it catches what runs and lets through what the page put there."""

import pytest

from .security import (
    active_elements,
    assert_nothing_executable,
    executable_parts,
    naughty_strings,
    owasp_payloads,
    xss_payloads,
)

EXECUTABLE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://evil.example/x.js></SCRIPT>",
    '<script src="/static/../evil.js" nonce="guessed">',  # /static/ prefix: allowed, see below
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert('XSS')\">x</a>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="java&Tab;script:alert(1)">x</a>',
    '<img src="vbscript:msgbox(1)">',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<form action="javascript:alert(1)"></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
    '<div style="background:url(javascript:alert(1))">',
    "<div style=\"width: expression(alert('XSS'))\">",
    "<style>li {list-style-image: url(\"javascript:alert('XSS')\");}</style>",
    "<iframe src=https://example.com></iframe>",
    "<object data=x></object>",
    "<embed src=x>",
    "<svg/onload=alert(1)>",
    "<math><mtext>x</mtext></math>",
    '<base href="https://evil.example/">',
    "<meta http-equiv=refresh content=\"0;url=javascript:alert('XSS');\">",
    "<details open ontoggle=alert(1)>",
    "<body onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(1)>",
]

HARMLESS = [
    '<p>Plain <strong>text</strong> with <a href="https://example.com">a link</a>.</p>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<p>javascript:alert(1) written as text</p>",
    '<a href="/columns/javascript-for-beginners/">a column about javascript:</a>',
    '<a href="mailto:editor@example.com">write</a>',
    '<img src="/media/headshots/a.jpg" alt="onerror=alert(1)">',
    '<script src="/static/admin/js/core.js"></script>',
    '<script type="application/ld+json">{"@type": "Article"}</script>',
    '<script nonce="page-nonce">window.ready = true;</script>',
    '<textarea name="body">&lt;img src=x onerror=alert(1)&gt;</textarea>',
    '<input type="text" value="&quot; onmouseover=&quot;alert(1)">',
    '<div style="color: red">x</div>',
    '<p title="javascript:alert(1)">the title is text</p>',
]


@pytest.mark.parametrize("html", EXECUTABLE)
def test_catches_what_a_browser_would_run(html):
    if "/static/" in html:
        # A nonce the page did not issue does not make a script the page's own…
        assert executable_parts(html, script_prefixes=(), nonces={"page-nonce"})
        # …while a script under /static/ is one the page itself serves.
        assert executable_parts(html) == []
        return
    assert executable_parts(html), html
    with pytest.raises(AssertionError, match="executable content reached the output"):
        assert_nothing_executable(html)


@pytest.mark.parametrize("html", HARMLESS)
def test_lets_through_what_is_not_executable(html):
    assert executable_parts(html, nonces={"page-nonce"}) == []


def test_an_element_the_template_put_there_is_allowed():
    assert executable_parts("<svg><path d='M0 0'/></svg>", elements={"svg"}) == []
    assert executable_parts("<svg onload=alert(1)></svg>", elements={"svg"}) != []
    page = "<svg></svg><p>text</p><svg></svg>"
    assert active_elements(page) == {"svg": 2}
    assert executable_parts(page, elements=active_elements(page)) == []
    assert executable_parts(page + "<svg></svg>", elements=active_elements(page)) != []


def test_the_payload_corpus_is_loaded():
    """Both sources are read: every OWASP line and the whole naughty list."""
    assert len(owasp_payloads()) > 150
    assert len(naughty_strings()) > 500
    assert "<IMG SRC=\"jav\tascript:alert('XSS');\">" in owasp_payloads()
    assert set(owasp_payloads()) <= set(xss_payloads())


def test_every_owasp_payload_written_raw_into_a_page_is_caught_or_inert():
    """Unescaped, most payloads would run: the checker sees them (the checker is not blind)."""
    caught = [p for p in owasp_payloads() if executable_parts(f"<p>{p}</p>")]
    assert len(caught) >= 100
