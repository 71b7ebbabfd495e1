"""The editors' preview of a column exactly as it will be published."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from .. import selectors
from ..models import Column
from ..roles import is_editor


@never_cache
@staff_member_required
def column_preview(request, pk):
    """
    Any column, drafts included, drawn by the public template with a "Preview" banner and
    ``noindex``. Template: ``qa/column_preview.html``; context: ``column``, ``answers``,
    ``related``, ``is_preview``.
    Editors only: an expert must not read the other experts' answers before publication.
    """
    if not is_editor(request.user):
        raise PermissionDenied
    column = get_object_or_404(Column.objects.select_related("category", "question"), pk=pk)
    context = {
        "column": column,
        "answers": selectors.column_answers(column),
        "related": selectors.related_columns(column),
        "is_preview": True,
    }
    response = TemplateResponse(request, "qa/column_preview.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
