from django.urls import path

from .views import preview, public

app_name = "qa"

urlpatterns = [
    path("", public.HomeView.as_view(), name="home"),
    path("columns/<slug:slug>/", public.ColumnDetailView.as_view(), name="column"),
    path("topics/<slug:slug>/", public.CategoryView.as_view(), name="category"),
    path("experts/<slug:slug>/", public.ExpertDetailView.as_view(), name="expert"),
    path("preview/columns/<int:pk>/", preview.column_preview, name="column_preview"),
]
