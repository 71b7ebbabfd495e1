from django.urls import path

from .views import ask, public

app_name = "qa"

urlpatterns = [
    path("", public.HomeView.as_view(), name="home"),
    path("columns/<slug:slug>/", public.ColumnDetailView.as_view(), name="column"),
    path("topics/<slug:slug>/", public.CategoryView.as_view(), name="category"),
    path("experts/<slug:slug>/", public.ExpertDetailView.as_view(), name="expert"),
    path("ask/", ask.ask, name="ask"),
    path("ask/similar/", ask.similar_columns, name="ask_similar"),
    path("questions/<slug:token>/", ask.question_status, name="question_status"),
    path("questions/<slug:token>/sent/", ask.question_sent, name="question_sent"),
    path("questions/<slug:token>/delete/", ask.question_delete, name="question_delete"),
]
