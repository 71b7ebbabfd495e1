from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from .. import selectors
from ..models import Category, Expert


class HomeView(ListView):
    """The latest columns. Template: ``qa/home.html``; context: ``columns``."""

    template_name = "qa/home.html"
    context_object_name = "columns"

    def get_queryset(self):
        return selectors.published_columns()[:10]


class ColumnDetailView(DetailView):
    """
    One published column. Template: ``qa/column_detail.html``; context: ``column``, with
    ``column.published_answers`` in the editor's order.
    """

    template_name = "qa/column_detail.html"
    context_object_name = "column"

    def get_queryset(self):
        return selectors.column_with_answers()


class CategoryView(ListView):
    """
    One category's columns. Template: ``qa/category_detail.html``; context: ``category``,
    ``columns``.
    """

    template_name = "qa/category_detail.html"
    context_object_name = "columns"
    paginate_by = 20

    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return selectors.published_columns().filter(category=self.category)

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


class ExpertDetailView(DetailView):
    """
    An expert's profile. Template: ``qa/expert_detail.html``; context: ``expert``, ``answers``.
    """

    template_name = "qa/expert_detail.html"
    context_object_name = "expert"
    queryset = Expert.objects.published()

    def get_context_data(self, **kwargs):
        answers = (
            selectors.published_answers()
            .filter(expert=self.object, column__in=selectors.published_columns())
            .select_related("column")
            .order_by("-column__published_at")
        )
        return super().get_context_data(answers=answers, **kwargs)
