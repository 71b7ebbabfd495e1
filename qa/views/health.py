from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """For load balancers, and the benchmarks' floor: no database, no template, no session."""
    return HttpResponse("ok", content_type="text/plain")
