"""
What readers see: the home page, columns, the archive, topics, the panel, profiles and search.

Only ``published()`` querysets feed these views. Published pages carry Cache-Control, ETag and
Last-Modified and answer a matching conditional GET with 304. The column page's rendered HTML,
ETag and Last-Modified are kept in the page cache (``qa.pagecache``), which serves it before the
session and authentication run. No view here writes: the share image is drawn by the worker.
"""

import hashlib

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.functional import cached_property
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from .. import images, jsonld, pagecache, selectors
from ..links import safe_url
from ..models import Category, Column, Expert, Publication
from ..paginators import CappedPaginator
from ..search import excerpt, highlight, search_columns, search_experts, search_terms
from .card import card_url

BROWSER_CACHE_SECONDS = 60
SEARCH_MAX_PAGES = 50


def _etag(*parts):
    digest = hashlib.sha256(
        "|".join(str(p) for p in (pagecache.PAGE_VERSION, *parts)).encode()
    ).hexdigest()
    return quote_etag(digest[:32])


def conditional(request, *, etag, last_modified, render):
    """
    The one answer to a conditional GET for every public view: 304 when the reader's copy
    (``If-None-Match``, ``If-Modified-Since``) is current, else ``render()``'s response; either
    way with the ETag, Last-Modified and a short public Cache-Control.
    """
    timestamp = int(last_modified.timestamp()) if last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if response is None:
        response = render()
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    patch_cache_control(response, public=True, max_age=BROWSER_CACHE_SECONDS)
    return response


# Columns per page of the archive and of a topic.
PER_PAGE = 12
# Answers per page of an expert's profile: a long-serving expert has hundreds.
EXPERT_ANSWERS_PER_PAGE = 20


def _list_page(request, template, context, *, scope=None, key=""):
    """Render a list page with validators from the newest change among its columns."""
    changed, count = selectors.published_stamp(scope)
    etag = _etag(key, changed and changed.isoformat(), count, request.GET.urlencode())
    return conditional(
        request,
        etag=etag,
        last_modified=changed,
        render=lambda: HttpResponse(render_to_string(template, context(), request=request)),
    )


class ArchivePaginator(Paginator):
    """
    Pages past the middle are read from the far end: an OFFSET costs every row it skips, so
    the archive's last page would sort and skip all the columns. Reversed, the last page is
    the first rows of an index scan read backwards. The queryset's order must be total.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom <= self.count // 2:
            return super().page(number)
        rows = list(self.object_list.reverse()[self.count - top : self.count - bottom])
        rows.reverse()
        return self._get_page(rows, number, self)


def _page(request, queryset, per_page=None, paginator_class=Paginator):
    paginator = paginator_class(queryset, per_page or PER_PAGE)
    return _served_page(request, paginator)


def _served_page(request, paginator):
    """
    The page asked for. A number past the end (or not a number) serves the nearest page, which
    is not kept in the page cache under the asked-for address (nor is ``?page=1``): that would
    let anyone fill the cache with copies.
    """
    page_obj = paginator.get_page(request.GET.get("page"))
    pagecache.page_served(request, page_obj.number)
    return page_obj


@require_safe
@pagecache.cached
def home(request):
    """
    The front page. Template: ``qa/home.html``; context: ``latest``, ``recent``, ``featured``,
    ``categories``.
    """

    def context():
        columns = list(selectors.published_columns()[:7])
        latest = columns[0] if columns else None
        featured = list(
            selectors.published_columns()
            .filter(is_featured=True)
            .exclude(pk=latest.pk if latest else None)[:3]
        )
        pagecache.shows(request, columns=[*columns, *featured], lists=True)
        return {
            "latest": latest,
            "recent": columns[1:],
            "featured": featured,
            "categories": list(selectors.categories_with_columns()),
            "canonical_path": "/",
        }

    return _list_page(request, "qa/home.html", context, key="home")


@require_safe
@pagecache.cached
def archive(request):
    """Every published column, newest first. Template: ``qa/archive.html``; ``page_obj``."""

    def context():
        page_obj = _page(request, selectors.published_columns(), paginator_class=ArchivePaginator)
        pagecache.shows(request, columns=page_obj, lists=True)
        return {"page_obj": page_obj}

    return _list_page(request, "qa/archive.html", context, key="archive")


@require_safe
@pagecache.cached
def category(request, slug):
    """One topic's columns. Template: ``qa/category_detail.html``; ``category``, ``page_obj``."""
    topic = get_object_or_404(Category, slug=slug)
    columns = selectors.published_columns().filter(category=topic)

    def context():
        page_obj = _page(request, columns, paginator_class=ArchivePaginator)
        # Its columns joining, leaving or moving moves ``topic:<id>``: no need for ``lists``.
        pagecache.shows(request, columns=page_obj, topics=[topic])
        return {"category": topic, "page_obj": page_obj}

    return _list_page(
        request,
        "qa/category_detail.html",
        context,
        scope=Column.objects.published().filter(category=topic),
        key=f"category:{topic.pk}:{topic.name}:{topic.description}",
    )


@require_safe
@pagecache.cached
def column_detail(request, slug):
    """
    One published column. Template: ``qa/column_detail.html``; context: ``column``,
    ``answers`` (approved, in the editor's order), ``related``, ``share_image_url``,
    ``jsonld``.
    """
    try:
        column = selectors.column_for_page(slug)
    except Column.DoesNotExist:
        raise Http404("No published column here.") from None
    answers = selectors.column_answers(column)
    related = selectors.related_columns(column)
    pagecache.shows(
        request,
        columns=[column, *related],
        experts=[answer.expert for answer in answers],
        topics=[column.category],
    )
    html = _column_html(request, column, answers, related)
    # Validators from what the page shows: its bytes, and the newest change among its parts.
    etag = quote_etag(hashlib.sha256(html.encode()).hexdigest()[:32])
    changed = max(
        [column.updated_at, column.question.updated_at]
        + [part.updated_at for answer in answers for part in (answer, answer.expert)]
        + [other.updated_at for other in related]
    )
    return conditional(request, etag=etag, last_modified=changed, render=lambda: HttpResponse(html))


def _column_html(request, column, answers, related):
    # The name the worker draws it under (a digest of what it shows): read, never drawn here.
    share_image_url = images.default_storage.url(images.share_image_name(column, answers))
    publication = Publication.current()
    return render_to_string(
        "qa/column_detail.html",
        {
            # Read once for the JSON-LD and the template alike.
            "publication": publication,
            "publication_card_url": card_url(publication),
            "column": column,
            "answers": answers,
            "related": related,
            "share_image_url": share_image_url,
            "jsonld": jsonld.script_tag(
                jsonld.column_graph(
                    column,
                    answers,
                    publication=publication,
                    image_url=share_image_url,
                    logo_url=card_url(publication),
                )
            ),
            "canonical_url": safe_url(column.source_url)
            or settings.SITE_URL + column.get_absolute_url(),
        },
        request=request,
    )


@require_safe
@pagecache.cached
def expert_list(request):
    """The panel: active members, then past contributors. Template: ``qa/expert_list.html``."""
    experts = list(selectors.panel_experts())
    pagecache.shows(request, experts=experts, lists=True)  # the counts of published answers
    changed = max((e.updated_at for e in experts), default=None)
    etag = _etag("panel", *((e.pk, e.updated_at, e.published_count) for e in experts))
    context = {
        "members": [e for e in experts if e.is_active],
        "past": [e for e in experts if not e.is_active],
    }
    return conditional(
        request,
        etag=etag,
        last_modified=changed,
        render=lambda: HttpResponse(
            render_to_string("qa/expert_list.html", context, request=request)
        ),
    )


@require_safe
@pagecache.cached
def expert_detail(request, slug):
    """
    A public profile. Template: ``qa/expert_detail.html``; ``expert``, ``answers`` (one page,
    newest first), ``page_obj``.
    """
    expert = get_object_or_404(Expert.objects.published(), slug=slug)
    answers = selectors.expert_answers(expert)
    answers_changed, count = selectors.expert_answers_stamp(answers)
    changed = max(filter(None, [expert.updated_at, answers_changed]))
    etag = _etag("expert", expert.pk, changed.isoformat(), count, request.GET.urlencode())

    def render():
        paginator = Paginator(answers, EXPERT_ANSWERS_PER_PAGE)
        paginator.count = count  # counted with the stamp: no second COUNT(*)
        page_obj = _served_page(request, paginator)
        pagecache.shows(
            request, experts=[expert], columns=[answer.column for answer in page_obj], lists=True
        )
        publication = Publication.current()
        sources = images.headshot_sources(expert)
        image_url = sources["large"] if sources else ""
        graph = jsonld.profile_graph(
            expert, publication=publication, image_url=image_url, logo_url=card_url(publication)
        )
        context = {
            # Read once for the JSON-LD and the template alike.
            "publication": publication,
            "publication_card_url": card_url(publication),
            "expert": expert,
            "answers": page_obj.object_list,
            "page_obj": page_obj,
            "jsonld": jsonld.script_tag(graph),
            "image_url": image_url,
        }
        return HttpResponse(render_to_string("qa/expert_detail.html", context, request=request))

    return conditional(request, etag=etag, last_modified=changed, render=render)


class SearchPaginator(CappedPaginator):
    """
    Counts matches no further than the last page a reader may open (``SEARCH_MAX_PAGES``), and
    without ordering them: a common word matches every column, and a full ordered count read
    and sorted them all again after the page itself had.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reach = SEARCH_MAX_PAGES * self.per_page

    @cached_property
    def _counted(self):
        return self.object_list.order_by()[: self.reach + 1].count()


@require_safe
def search(request):
    """
    Search published columns. Template: ``qa/search.html``; context: ``query``, ``page_obj``
    whose columns carry ``title_marked``, ``dek_marked`` and ``passage``.
    """
    query = request.GET.get("q", "")[:500]
    terms = search_terms(query)
    page_obj = None
    experts = []
    topics = []
    if terms:
        experts = list(search_experts(query)) if _page_number(request) == 1 else []
        page_obj = _page(
            request,
            search_columns(query),
            per_page=10,
            paginator_class=SearchPaginator,
        )
        if page_obj.number > SEARCH_MAX_PAGES:
            raise Http404("No more results.")
        columns = list(page_obj.object_list)
        answers = {}
        for column_id, body in (
            selectors.published_answers().filter(column__in=columns).values_list("column", "body")
        ):
            answers.setdefault(column_id, []).append(body)
        bodies = dict(
            Column.objects.filter(pk__in=[c.pk for c in columns]).values_list(
                "pk", "question__body"
            )
        )
        for column in columns:
            column.title_marked = highlight(column.title, terms)
            column.dek_marked = highlight(column.dek, terms)
            column.passage = excerpt([bodies.get(column.pk), *answers.get(column.pk, [])], terms)
        page_obj.object_list = columns
        if not columns and not experts:
            topics = list(selectors.categories_with_columns())
    response = HttpResponse(
        render_to_string(
            "qa/search.html",
            {
                "query": query,
                "terms": terms,
                "page_obj": page_obj,
                "experts": experts,
                "topics": topics,
            },
            request=request,
        )
    )
    patch_cache_control(response, public=True, max_age=BROWSER_CACHE_SECONDS)
    return response


def _page_number(request):
    page = request.GET.get("page", "1")
    return int(page) if page.isdigit() else 1


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /markdownx/",
        "",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon."""
    response = HttpResponseRedirect(static("favicon.ico"))
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    return response
