from django.utils.functional import SimpleLazyObject

from .models import Publication


def publication(request):
    """The publication's name, standing settings and card, read only when a template asks."""
    from .views.card import card_url

    current = SimpleLazyObject(Publication.current)
    return {
        "publication": current,
        # The publication's card: og:image wherever a page has no image of its own.
        "publication_card_url": SimpleLazyObject(lambda: card_url(current)),
    }
