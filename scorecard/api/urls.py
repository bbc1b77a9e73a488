"""/api/: the CRUD resources, the OpenAPI schema and the interactive docs (served from our static files)."""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from scorecard.api import views

router = SimpleRouter()
router.register("units", views.UnitViewSet, basename="unit")
router.register("maps", views.MapViewSet, basename="map")
router.register("perspectives", views.PerspectiveViewSet, basename="perspective")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("objectives", views.ObjectiveViewSet, basename="objective")
router.register("links", views.LinkViewSet, basename="link")
router.register("alignments", views.AlignmentViewSet, basename="alignment")
router.register("measures", views.MeasureViewSet, basename="measure")
router.register("actuals", views.ActualViewSet, basename="actual")
router.register("initiatives", views.InitiativeViewSet, basename="initiative")
router.register("impacts", views.ImpactViewSet, basename="impact")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("memberships", views.MembershipViewSet, basename="membership")

# The split view loads its start-up script from a URL of ours (script-src 'self' holds); the page template keeps
# one small inline <style>, which is all this relaxation allows, on this page only.
docs_view = csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs_view, name="api-docs"),
    *router.urls,
]
