"""The publication's share card: the og:image of home, topics and the panel, and its logo."""

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from .. import images
from ..models import Publication

CARD_CACHE_SECONDS = 60 * 60 * 24


def card_url(publication):
    """The card's path, versioned by what it shows, so it may be cached for a year."""
    version = images.publication_card_version(publication)
    return reverse("qa:publication_card", kwargs={"version": version})


@require_safe
def publication_card(request, version):
    """
    The card as PNG, drawn from the publication's settings and kept in the cache (nothing is
    stored: a GET never writes). An old version redirects to the current one.
    """
    publication = Publication.current()
    current = images.publication_card_version(publication)
    if version != current:
        return redirect(card_url(publication))
    key = f"publication-card:{current}"
    png = cache.get(key)
    if png is None:
        png = images.publication_card_draw(publication)
        cache.set(key, png, CARD_CACHE_SECONDS)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
