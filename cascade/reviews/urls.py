"""Review pages, mounted at "/" by scorecard/urls.py (units by code, meetings, items and actions by id)."""

from __future__ import annotations

from django.urls import path

from cascade.reviews import views

app_name = "reviews"

urlpatterns = [
    path("units/<str:code>/reviews/", views.unit_reviews, name="unit-reviews"),
    path("reviews/<int:pk>/", views.meeting_page, name="meeting"),
    path("reviews/<int:pk>/minutes/", views.minutes_page, name="minutes"),
    path("reviews/<int:pk>/pack.pdf", views.pack_download, name="pack"),
    path("reviews/<int:pk>/regenerate/", views.meeting_regenerate, name="regenerate"),
    path("reviews/<int:pk>/retime/", views.meeting_retime, name="retime"),
    path("reviews/<int:pk>/close/", views.meeting_close, name="close"),
    path("reviews/<int:pk>/items/", views.item_add, name="item-add"),
    path("reviews/<int:pk>/actions/", views.action_add, name="action-add"),
    path("reviews/items/<int:pk>/", views.item_edit, name="item-edit"),
    path("reviews/items/<int:pk>/move/", views.item_move, name="item-move"),
    path("reviews/items/<int:pk>/drop/", views.item_drop, name="item-drop"),
    path("reviews/actions/<int:pk>/done/", views.action_done, name="action-done"),
]
