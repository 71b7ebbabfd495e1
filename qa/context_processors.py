from django.utils.functional import SimpleLazyObject

from .models import Publication


def publication(request):
    """The publication's name and standing settings, read only when a template asks."""
    return {"publication": SimpleLazyObject(Publication.current)}
