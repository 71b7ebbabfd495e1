from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..images import headshot_sources
from ..jsonld import absolute
from ..links import safe_url as _safe_url

register = template.Library()


@register.inclusion_tag("includes/_headshot.html")
def headshot(expert, size=96):
    """The expert's square headshot at ``size`` CSS pixels (srcset picks the density), or
    their initials when there is none."""
    return {"expert": expert, "size": size, "sources": headshot_sources(expert)}


@register.filter
def absolute_url(path):
    """A path made absolute on the public site's address (SITE_URL)."""
    return absolute(str(path)) if path else ""


@register.filter
def safe_url(url):
    """A stored URL, printed only if it is http(s) (``qa.links.safe_url``); else empty."""
    return _safe_url(url)


@register.filter
def machine_time(value):
    """
    A moment for ``<time datetime>``: ISO 8601 in the site's time zone, to the second. HTML
    allows at most three digits of a second's fraction, and a stored timestamp has six.
    """
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()


@register.simple_tag
def inline_style(name):
    """
    ``<style>`` holding the stylesheet ``name`` (one of ``settings.INLINE_STYLES``), whose hash
    the CSP's style-src allows: the page paints without waiting for a stylesheet request.
    """
    return format_html("<style>{}</style>", mark_safe(settings.INLINE_STYLES[name]))  # noqa: S308
