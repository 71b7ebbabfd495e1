"""
markdownx's preview and upload endpoints, answered only for signed-in staff.

markdownx's own URLconf is not included: its views would render Markdown and store uploads for
anyone on the internet.
"""

import posixpath
from functools import wraps

from django import forms
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponseBadRequest, JsonResponse
from django.views.decorators.http import require_POST
from markdownx.views import MarkdownifyView

from ..images import inline_image_reencode


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


class InlineImageForm(forms.Form):
    """
    markdownx's upload, trusted by its content, not its name or declared type: it must decode
    with Pillow, and what is stored is Pillow's re-encoding (no EXIF, no trailing bytes).
    """

    image = forms.FileField()

    def clean_image(self):
        return inline_image_reencode(self.cleaned_data["image"])


@require_POST
def upload_image(request):
    """
    JSON for markdownx's editor: ``{"image_code": "![](url)"}``, or ``{"image": [errors]}``
    with status 400, whether or not the request says it comes from script.
    """
    form = InlineImageForm(files=request.FILES)
    if not form.is_valid():
        return JsonResponse(
            {field: list(errors) for field, errors in form.errors.items()}, status=400
        )
    image = form.cleaned_data["image"]
    name = default_storage.save(posixpath.join(settings.MARKDOWNX_MEDIA_PATH, image.name), image)
    return JsonResponse({"image_code": f"![]({default_storage.url(name)})"})


markdownify = staff_only(PreviewView.as_view())
upload = staff_only(upload_image)
