"""
markdownx's preview and upload endpoints, answered only for signed-in staff.

markdownx's own URLconf is not included: its views would render Markdown and store uploads for
anyone on the internet.
"""

from functools import wraps

from django.http import HttpResponseBadRequest, JsonResponse
from markdownx.views import ImageUploadView, MarkdownifyView


def staff_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return JsonResponse({"error": "Sign in to the admin to use the editor."}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


class PreviewView(MarkdownifyView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if "content" not in request.POST:
            return HttpResponseBadRequest("The preview needs a 'content' field.")
        return super().post(request, *args, **kwargs)


class UploadView(ImageUploadView):
    http_method_names = ["post"]


markdownify = staff_only(PreviewView.as_view())
upload = staff_only(UploadView.as_view())
