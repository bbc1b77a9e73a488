"""The pages, mounted at "/" by scorecard/urls.py. Units are addressed by code, objects by id."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from cascade.web import results_files, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("units/<str:code>/", views.unit_scorecard, name="scorecard"),
    path("units/<str:code>/map/", views.unit_map, name="map"),
    path("units/<str:code>/map/print/", views.unit_map_print, name="map-print"),
    path("units/<str:code>/map.pdf", views.unit_map_pdf, name="map-pdf"),
    path("units/<str:code>/cascade/", views.unit_cascade, name="cascade"),
    path("units/<str:code>/gaps/", views.unit_gaps, name="gaps"),
    path("units/<str:code>/results/", views.unit_results, name="results"),
    path("units/<str:code>/results/upload/", results_files.results_upload, name="results-upload"),
    re_path(r"^units/(?P<code>[^/]+)/results/template\.(?P<fmt>csv|xlsx)$", results_files.results_template,
            name="results-template"),
    re_path(r"^units/(?P<code>[^/]+)/results/export\.(?P<fmt>csv|xlsx)$", results_files.results_export,
            name="results-export"),
    path("units/<str:code>/initiatives/new/", views.initiative_new, name="initiative-new"),
    path("objectives/<int:pk>/", views.objective_detail, name="objective"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative"),
    path("initiatives/<int:pk>/links/", views.initiative_link, name="initiative-link"),
    path("initiatives/<int:pk>/links/<int:impact_pk>/delete/", views.initiative_unlink, name="initiative-unlink"),
    path("initiatives/<int:pk>/progress/", views.initiative_progress, name="initiative-progress"),
]
