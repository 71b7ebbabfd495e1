"""The stylesheets go inside the page, allowed by the CSP through their hash, cached or not."""

import base64
import hashlib
import re

import pytest

pytestmark = pytest.mark.django_db

STYLE = re.compile(rb"<style>(.*?)</style>", re.S)


def digest(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text).digest()).decode() + "'"


@pytest.mark.parametrize("path", ["/", "/columns/", "/experts/", "/search/", "/ask/"])
def test_every_inline_style_is_allowed_by_the_csp_by_its_hash(client, path):
    for attempt in range(2):  # the second is served from the page cache where there is one
        response = client.get(path)
        styles = STYLE.findall(response.content)
        assert styles, path
        policy = response["Content-Security-Policy"]
        style_src = next(p for p in policy.split(";") if p.strip().startswith("style-src"))
        for text in styles:
            assert digest(text) in style_src, (path, attempt)
        assert b'rel="stylesheet"' not in response.content


def test_the_ask_form_has_both_of_its_stylesheets(client):
    styles = STYLE.findall(client.get("/ask/").content)
    assert len(styles) == 2
