"""/api/ read endpoints of the cascade app (mounted by scorecard/urls.py by name, beside scorecard.api.urls)."""

from __future__ import annotations

from django.urls import path

from cascade.api import views

urlpatterns = [
    path("units/<int:pk>/scorecard/", views.UnitScorecardView.as_view(), name="api-unit-scorecard"),
    path("units/<int:pk>/analysis/", views.UnitAnalysisView.as_view(), name="api-unit-analysis"),
    path("units/<int:pk>/objectives/", views.UnitObjectivesByStatusView.as_view(), name="api-unit-objectives"),
    path("units/<int:pk>/initiatives/", views.UnitInitiativesByHealthView.as_view(), name="api-unit-initiatives"),
    path("units/<int:pk>/graph/", views.UnitGraphView.as_view(), name="api-unit-graph"),
    path("units/<int:pk>/map/", views.UnitMapRender.as_view(), name="api-unit-map"),
    path("units/<int:pk>/cascade/", views.UnitCascadeRender.as_view(), name="api-unit-cascade"),
    path("initiatives/<int:pk>/impact/", views.InitiativeImpactRender.as_view(), name="api-initiative-impact"),
    path("objectives/<int:pk>/drivers/", views.ObjectiveDriversRender.as_view(), name="api-objective-drivers"),
]
