"""/api/reviews/, /api/review-items/, /api/review-actions/: review meetings over the REST API (issue 7).

Scoped like the rest of the API: a list holds only what the user may view (``access.units_where``), an object
outside that scope is a 404, a write needs the right to edit the review (its facilitator, or MANAGE on its unit
through ``scorecard.access``), otherwise 403. PATCH and DELETE, and the meeting's actions (regenerate, reorder,
close), need ``If-Match`` with the ETag read (``scorecard.api.etag``: 428 without, 412 when stale). Writes are
``cascade.reviews.services``; their ValidationErrors are 400s with messages (``scorecard.api.exceptions``).

    POST /api/reviews/          {"unit": "NW-RET", "date": "2026-10-15", "as_of": "2026-09-30", "minutes_length": 90}
    POST /api/reviews/7/regenerate/   POST /api/reviews/7/reorder/ {"items": [..ids..]}   POST /api/reviews/7/close/
    POST /api/reviews/7/retime/ (share the minutes again after timeboxes were changed)
    POST /api/review-items/     {"meeting": 7, "objective": 12} or {"meeting": 7, "topic": "Budget 2027"}
    PATCH /api/review-items/31/ {"notes": "...", "decision": "..."}     DELETE /api/review-items/31/ (drop)
    POST /api/review-actions/   {"meeting": 7, "agenda_item": 31, "description": "...", "owner": "bob", "due": ...}
    PATCH /api/review-actions/5/ {"done": "2026-11-01"}
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from cascade.models import MAX_MEETING_MINUTES, MIN_MEETING_MINUTES, ActionItem, AgendaItem, ItemKind, ReviewMeeting
from cascade.reviews import services
from cascade.reviews.views import may_edit
from scorecard import access
from scorecard.access import Action
from scorecard.api import etag
from scorecard.api.exceptions import PreconditionFailed
from scorecard.models import Initiative, Measure, Objective, OrgUnit

User = get_user_model()


def meeting_of(obj: Any) -> ReviewMeeting:
    return obj if isinstance(obj, ReviewMeeting) else obj.meeting


class ReviewPermission(BasePermission):
    """Signed in to read; editing rights on the object's meeting to write (checked per object and on create)."""

    message = "Only the facilitator and the managers of the unit may change this review."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return may_edit(request.user, meeting_of(obj))


def _fresh(request: Request, obj: Any) -> None:
    etag.check_fresh(obj, etag.required_version(request))


def _stale_is_412(func: Any) -> Any:
    """The services' own version check (a race after ours) answers 412 like the ETag check."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except services.Stale as exc:
            raise PreconditionFailed(exc.messages[0]) from None
    return wrapper


# ------------------------------------------------------------------------------------------ serializers
class Strict:
    """Unknown body keys are a 400, as in the rest of the API: a misspelt field must not be dropped silently.
    References to scorecard objects are limited to what the user may view (``access.scope``)."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()  # type: ignore[misc]
        request = self.context.get("request")  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        for field in fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and queryset.model in access.UNIT_LOOKUP:
                field.queryset = access.scope(user, queryset, Action.VIEW)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        data = self.initial_data  # type: ignore[attr-defined]
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []  # type: ignore[attr-defined]
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().validate(attrs)  # type: ignore[misc]


class ItemSerializer(Strict, serializers.ModelSerializer):
    status_questions = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    strategic_questions = serializers.CharField(allow_blank=True, required=False, max_length=20000)

    class Meta:
        model = AgendaItem
        fields = ("id", "version", "meeting", "order", "objective", "measure", "initiative", "topic", "title",
                  "kind", "minutes", "status_questions", "strategic_questions", "reason", "score", "rank",
                  "manual", "notes", "decision")
        read_only_fields = ("id", "version", "meeting", "order", "objective", "measure", "initiative", "topic",
                            "reason", "score", "rank", "manual")


class ItemCreateSerializer(Strict, serializers.Serializer):
    meeting = serializers.PrimaryKeyRelatedField(queryset=ReviewMeeting.objects.all())
    objective = serializers.PrimaryKeyRelatedField(queryset=Objective.objects.all(), required=False)
    measure = serializers.PrimaryKeyRelatedField(queryset=Measure.objects.all(), required=False)
    initiative = serializers.PrimaryKeyRelatedField(queryset=Initiative.objects.all(), required=False)
    topic = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=ItemKind.choices, default=ItemKind.BOTH)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        subjects = [k for k in ("objective", "measure", "initiative") if attrs.get(k) is not None]
        if len(subjects) + (1 if attrs.get("topic", "").strip() else 0) != 1:
            raise serializers.ValidationError("Give exactly one subject: objective, measure, initiative or topic.")
        return attrs


class ActionSerializer(Strict, serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False,
                                         allow_null=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)

    class Meta:
        model = ActionItem
        fields = ("id", "version", "meeting", "agenda_item", "unit_code", "description", "owner", "due", "done")
        read_only_fields = ("id", "version", "unit_code")


class MeetingSerializer(Strict, serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", queryset=OrgUnit.objects.all())
    facilitator = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False,
                                               allow_null=True)
    attendees = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), many=True,
                                             required=False)
    minutes_length = serializers.IntegerField(min_value=MIN_MEETING_MINUTES, max_value=MAX_MEETING_MINUTES,
                                              default=90)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                  help_text="Default: '<unit name> strategy review'.")
    items = ItemSerializer(many=True, read_only=True)
    split = serializers.SerializerMethodField()

    class Meta:
        model = ReviewMeeting
        fields = ("id", "version", "unit", "title", "date", "as_of", "minutes_length", "facilitator", "attendees",
                  "closed_at", "split", "items")
        read_only_fields = ("id", "version", "closed_at", "split", "items")

    def get_split(self, meeting: ReviewMeeting) -> dict[str, Any]:
        split = services.meeting_split(meeting, list(meeting.items.all()))
        return {"status_minutes": split.status_minutes, "strategic_minutes": split.strategic_minutes,
                "status_share": split.status_share, "strategic_share": split.strategic_share,
                "warnings": list(split.warnings)}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        date, as_of = attrs.get("date"), attrs.get("as_of")
        if self.instance is None and date and as_of and as_of > date:
            raise serializers.ValidationError({"as_of": f"The as-of period {as_of} lies after the meeting date "
                                                        f"{date}; a review looks at results already in."})
        return attrs


class ReorderSerializer(Strict, serializers.Serializer):
    items = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=500)


# ---------------------------------------------------------------------------------------------- viewsets
class ScopedReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ReviewPermission]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    unit_path = "unit"

    def get_queryset(self) -> models.QuerySet[Any]:
        visible = access.units_where(self.request.user, Action.VIEW)
        qs = super().get_queryset().filter(**{f"{self.unit_path}__in": visible})
        meeting = self.request.query_params.get("meeting", "")
        if meeting.isdigit() and self.action == "list":
            qs = qs.filter(**({"meeting_id": int(meeting)} if self.queryset.model is not ReviewMeeting
                              else {"pk": int(meeting)}))
        return qs

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": etag.etag_of(instance)})


class MeetingViewSet(ScopedReviewViewSet):
    queryset = ReviewMeeting.objects.select_related("unit", "facilitator").prefetch_related("attendees", "items")
    serializer_class = MeetingSerializer

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset()
        unit = self.request.query_params.get("unit", "")
        return qs.filter(unit__code=unit) if unit else qs

    def create(self, request: Request) -> Response:
        if not access.units_where(request.user, Action.MANAGE).exists():
            # Early refusal, as in scorecard.api: no validation report on a body they could never send.
            raise PermissionDenied("Only managers of a unit may plan its reviews.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        unit = data["unit"]
        if not access.can(request.user, Action.MANAGE, unit):
            raise PermissionDenied(f"Only the managers of {unit.code} may plan its reviews.")
        meeting, _ = services.meeting_plan(
            unit=unit, date=data["date"], as_of=data["as_of"], minutes_length=data["minutes_length"],
            title=data.get("title", ""), facilitator=data.get("facilitator"), attendees=data.get("attendees", []),
        )
        meeting = self.get_queryset().get(pk=meeting.pk)
        return Response(self.get_serializer(meeting).data, status=status.HTTP_201_CREATED,
                        headers={"ETag": etag.etag_of(meeting)})

    @_stale_is_412
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        with transaction.atomic():
            meeting = self.get_object()
            _fresh(request, meeting)
            services.require_open(meeting)
            serializer = self.get_serializer(meeting, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            if "unit" in data and data["unit"].pk != meeting.unit_id:
                raise serializers.ValidationError({"unit": "A review stays with its unit; plan a new one instead."})
            for name in ("title", "date", "as_of", "minutes_length", "facilitator"):
                if name in data:
                    setattr(meeting, name, data[name])
            services.save_validated(meeting)
            if "attendees" in data:
                meeting.attendees.set(data["attendees"])
            if "minutes_length" in data:
                services.retime(meeting)
        meeting = self.get_queryset().get(pk=meeting.pk)
        return Response(self.get_serializer(meeting).data, headers={"ETag": etag.etag_of(meeting)})

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        with transaction.atomic():
            meeting = self.get_object()
            _fresh(request, meeting)
            meeting.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _act(self, request: Request, func: Any, **kwargs: Any) -> Response:
        meeting = self.get_object()
        version = etag.required_version(request)
        etag.check_fresh(meeting, version)
        _stale_is_412(func)(meeting=meeting, version=version, **kwargs)
        meeting = self.get_queryset().get(pk=meeting.pk)
        return Response(self.get_serializer(meeting).data, headers={"ETag": etag.etag_of(meeting)})

    @action(detail=True, methods=["post"])
    def regenerate(self, request: Request, pk: str | None = None) -> Response:
        """Generate the agenda again (keeps hand-added and recorded items). Needs If-Match."""
        return self._act(request, services.agenda_regenerate)

    @action(detail=True, methods=["post"])
    def reorder(self, request: Request, pk: str | None = None) -> Response:
        """Put the items in the given order: {"items": [every item id, once]}. Needs If-Match."""
        form = ReorderSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        return self._act(request, services.items_reorder, item_ids=form.validated_data["items"])

    @action(detail=True, methods=["post"])
    def retime(self, request: Request, pk: str | None = None) -> Response:
        """Share the meeting's minutes over its items again, by priority. Needs If-Match."""
        return self._act(request, services.agenda_retime)

    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Close the review: its agenda and minutes become final. Needs If-Match."""
        return self._act(request, services.meeting_close)


class ItemViewSet(ScopedReviewViewSet):
    queryset = AgendaItem.objects.select_related("meeting__unit", "meeting__facilitator").order_by(
        "meeting", "order", "id")
    serializer_class = ItemSerializer
    unit_path = "meeting__unit"

    def create(self, request: Request) -> Response:
        form = ItemCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        meeting = data.pop("meeting")
        if not access.can(request.user, Action.VIEW, meeting.unit):
            raise serializers.ValidationError({"meeting": f'Invalid pk "{meeting.pk}" - object does not exist.'})
        if not may_edit(request.user, meeting):
            raise PermissionDenied(ReviewPermission.message)
        item = services.item_add(meeting=meeting, **data)
        return Response(ItemSerializer(item).data, status=status.HTTP_201_CREATED, headers={"ETag": etag.etag_of(item)})

    @_stale_is_412
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        version = etag.required_version(request)
        etag.check_fresh(item, version)
        serializer = self.get_serializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = services.item_edit(item=item, version=version, **serializer.validated_data)
        return Response(self.get_serializer(item).data, headers={"ETag": etag.etag_of(item)})

    @_stale_is_412
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        version = etag.required_version(request)
        etag.check_fresh(item, version)
        services.item_drop(item=item, version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActionViewSet(ScopedReviewViewSet):
    queryset = ActionItem.objects.select_related("unit", "owner", "meeting__unit", "meeting__facilitator").order_by(
        "due", "id")
    serializer_class = ActionSerializer

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset()
        if self.request.query_params.get("open") in ("1", "true"):
            qs = qs.filter(done__isnull=True)
        return qs

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        meeting = data.pop("meeting")
        if not access.can(request.user, Action.VIEW, meeting.unit):
            raise serializers.ValidationError({"meeting": f'Invalid pk "{meeting.pk}" - object does not exist.'})
        if not may_edit(request.user, meeting):
            raise PermissionDenied(ReviewPermission.message)
        data.pop("done", None)
        created = services.action_add(meeting=meeting, **data)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED,
                        headers={"ETag": etag.etag_of(created)})

    @_stale_is_412
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        version = etag.required_version(request)
        etag.check_fresh(item, version)
        serializer = self.get_serializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "meeting" in data and data.pop("meeting").pk != item.meeting_id:
            raise serializers.ValidationError({"meeting": "An action item stays with the meeting it came from."})
        updated = services.action_edit(action=item, version=version, **data)
        return Response(self.get_serializer(updated).data, headers={"ETag": etag.etag_of(updated)})

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        with transaction.atomic():
            item = self.get_object()
            _fresh(request, item)
            item.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


router = SimpleRouter()
router.register("reviews", MeetingViewSet, basename="review")
router.register("review-items", ItemViewSet, basename="review-item")
router.register("review-actions", ActionViewSet, basename="review-action")

urlpatterns: list[Any] = [*router.urls]
