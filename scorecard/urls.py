"""URL map. Pages, API and admin are mounted here; the cascade app brings its own urls."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("scorecard.api.urls")),
    path("api/", include("cascade.api.urls")),  # read endpoints needing roll-ups and renders
    path("api/", include("cascade.reviews.api")),  # review meetings, agenda items, action items
    path("", include("cascade.reviews.urls")),  # review meetings: /units/<code>/reviews/, /reviews/...
    path("", include("cascade.web.urls")),
]
