"""
The one check every stored URL passes before a page, a feed, JSON-LD or an email prints it.

A URL field's form refuses ``javascript:``, but a row written by an import, a shell or a bug is
not checked by any form. So nothing prints a stored URL as it is: templates go through the
``safe_url`` filter (``qa/templatetags/panel.py``), Python code through ``safe_url`` here.
"""

import unicodedata
from urllib.parse import urlsplit


def safe_url(url):
    """
    ``url`` if it is an absolute http(s) address with a host and no control or space
    characters in it, else ``""``.
    """
    url = (url or "").strip()
    if not url or any(unicodedata.category(char)[0] in "CZ" for char in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return url
