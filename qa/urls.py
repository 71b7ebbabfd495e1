from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.decorators.http import require_safe

from .admin import preview
from .feeds import CategoryFeed, LatestColumnsAtomFeed, LatestColumnsFeed
from .pagecache import cached
from .sitemaps import SITEMAPS
from .views import ask, card, public

app_name = "qa"

urlpatterns = [
    path("", public.home, name="home"),
    path("columns/", public.archive, name="archive"),
    path("columns/<slug:slug>/", public.column_detail, name="column"),
    path("topics/<slug:slug>/", public.category, name="category"),
    # Feeds and the sitemap are read-only like every public page: GET and HEAD only; the feeds
    # are kept in the page cache like the pages.
    path("topics/<slug:slug>/feed/", require_safe(cached(CategoryFeed())), name="category_feed"),
    path("experts/", public.expert_list, name="experts"),
    path("experts/<slug:slug>/", public.expert_detail, name="expert"),
    path("search/", public.search, name="search"),
    path("feed/", require_safe(cached(LatestColumnsFeed())), name="feed"),
    path("feed/atom/", require_safe(cached(LatestColumnsAtomFeed())), name="feed_atom"),
    path("sitemap.xml", require_safe(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", public.robots_txt, name="robots"),
    path("card/<slug:version>.png", card.publication_card, name="publication_card"),
    path("favicon.ico", public.favicon, name="favicon"),
    path("preview/columns/<int:pk>/", preview.column_preview, name="column_preview"),
    path("ask/", ask.ask, name="ask"),
    path("ask/similar/", ask.similar_columns, name="ask_similar"),
    path("questions/deleted/", ask.question_deleted, name="question_deleted"),
    path("questions/<slug:token>/", ask.question_status, name="question_status"),
    path("questions/<slug:token>/data.json", ask.question_data, name="question_data"),
    path("questions/<slug:token>/sent/", ask.question_sent, name="question_sent"),
    path("questions/<slug:token>/delete/", ask.question_delete, name="question_delete"),
]
