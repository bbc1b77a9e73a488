"""URL map. Pages, API and admin are mounted here; the cascade app brings its own urls."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("scorecard.api.urls")),
    path("api/", include("cascade.api.urls")),  # read endpoints needing roll-ups and renders
    path("", include("cascade.web.urls")),
]
