"""Plain data for the engine: a snapshot of a unit subtree (or the whole enterprise), free of Django.

The loader (``cascade.loader``) fills a Snapshot from the database in a fixed number of queries; scoring,
roll-up, graph analyses and rendering read only these dataclasses, so they are tested without a database
and never issue a query per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import overload


@dataclass(frozen=True, slots=True)
class ActualPoint:
    period: dt.date
    value: float
    note: str = ""


class ActualSeries(Sequence[ActualPoint]):
    """A measure's actuals as parallel lists, oldest first: what ``cascade.loader`` puts in ``MeasureData.actuals``.

    It reads like a list of ActualPoint (len, index, slice, iteration, ==, append), but keeps no object per value:
    building 360,000 ActualPoint objects costs more than fetching the rows from the database. ``periods`` is
    exposed so that scoring can bisect it directly. ``notes`` is None when the loader skipped the commentary.
    """

    __slots__ = ("notes", "periods", "values")

    def __init__(
        self,
        periods: list[dt.date] | None = None,
        values: list[float] | None = None,
        notes: list[str] | None = None,
    ) -> None:
        self.periods = periods if periods is not None else []
        self.values = values if values is not None else []
        self.notes = notes

    def __len__(self) -> int:
        return len(self.periods)

    @overload
    def __getitem__(self, index: int) -> ActualPoint: ...
    @overload
    def __getitem__(self, index: slice) -> list[ActualPoint]: ...
    def __getitem__(self, index: int | slice) -> ActualPoint | list[ActualPoint]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.periods)))]
        note = self.notes[index] if self.notes is not None else ""
        return ActualPoint(self.periods[index], self.values[index], note)

    def __iter__(self) -> Iterator[ActualPoint]:
        return map(ActualPoint, self.periods, self.values, self.notes if self.notes is not None else repeat(""))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ActualSeries({list(self)!r})"

    def append(self, point: ActualPoint) -> None:
        self.periods.append(point.period)
        self.values.append(point.value)
        if self.notes is not None:
            self.notes.append(point.note)
        elif point.note:
            self.notes = [""] * (len(self.periods) - 1) + [point.note]


@dataclass(slots=True)
class UnitData:
    id: int
    code: str
    name: str
    kind: str = ""
    parent_id: int | None = None
    display_order: int = 0


@dataclass(slots=True)
class MapData:
    id: int
    unit_id: int
    title: str
    mission: str = ""
    vision: str = ""
    red_flag_percent: float = 10.0
    rollup: str = "weighted_average"  # or "worst_child"


@dataclass(slots=True)
class PerspectiveData:
    id: int
    map_id: int
    code: str
    name: str
    position: int = 0  # 0 is the top band
    weight: float = 1.0


@dataclass(slots=True)
class ThemeData:
    id: int
    map_id: int
    code: str
    name: str


@dataclass(slots=True)
class ObjectiveData:
    id: int
    map_id: int
    unit_id: int
    perspective_id: int
    code: str
    name: str
    theme_id: int | None = None
    description: str = ""
    owner: str = ""  # username, "" when none
    weight: float = 1.0


@dataclass(slots=True)
class MeasureData:
    id: int
    objective_id: int
    code: str
    name: str
    units: str = ""
    polarity: str = "increasing"  # increasing | decreasing | closer
    scoring: str = "goal_red_flag"  # goal_red_flag | goal_only | yes_no
    frequency: str = "quarterly"  # monthly | quarterly | semiannual | annual | biennial
    baseline: float | None = None
    target: float | None = None
    red_flag: float | None = None
    tolerance: float | None = None
    red_tolerance: float | None = None
    weight: float = 1.0
    owner: str = ""
    source: str = ""
    # Sorted by period, oldest first. The loader fills an ActualSeries (list-like); hand-built snapshots may use
    # a plain list.
    actuals: list[ActualPoint] | ActualSeries = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MilestoneData:
    id: int
    name: str
    due: dt.date
    done: dt.date | None = None


@dataclass(slots=True)
class InitiativeData:
    id: int
    unit_id: int
    code: str
    name: str
    owner: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    budget: float = 0.0
    spent: float = 0.0
    percent_complete: float = 0.0
    status_note: str = ""
    description: str = ""
    milestones: list[MilestoneData] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CauseLink:
    cause_id: int
    effect_id: int


@dataclass(frozen=True, slots=True)
class AlignmentLink:
    objective_id: int  # the supporting objective (lower unit)
    supports_id: int  # the supported objective (ancestor unit)
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class ImpactLink:
    initiative_id: int
    objective_id: int
    weight: float = 1.0
    note: str = ""


@dataclass(slots=True)
class Snapshot:
    """Everything the engine needs about a set of units. Dicts are keyed by database id."""

    units: dict[int, UnitData] = field(default_factory=dict)
    maps: dict[int, MapData] = field(default_factory=dict)
    perspectives: dict[int, PerspectiveData] = field(default_factory=dict)
    themes: dict[int, ThemeData] = field(default_factory=dict)
    objectives: dict[int, ObjectiveData] = field(default_factory=dict)
    measures: dict[int, MeasureData] = field(default_factory=dict)
    initiatives: dict[int, InitiativeData] = field(default_factory=dict)
    causes: list[CauseLink] = field(default_factory=list)
    alignments: list[AlignmentLink] = field(default_factory=list)
    impacts: list[ImpactLink] = field(default_factory=list)
    # Ancestor units loaded for context only (``cascade.loader`` with a subtree): their maps, perspectives,
    # themes, objectives and cause-effect links are present, their measures and initiatives are not, so the
    # roll-up leaves their scores out rather than computing them from partial data.
    context_unit_ids: set[int] = field(default_factory=set)

    def map_of_unit(self, unit_id: int) -> MapData | None:
        for m in self.maps.values():
            if m.unit_id == unit_id:
                return m
        return None


@dataclass(frozen=True)
class DiffMark:
    """How an objective changed between two versions of a map (``cascade.diff``, drawn by ``render.dot.map_dot``).

    ``change`` is added | removed | changed | same; ``summary`` a short line for the box (e.g. "target F1.1");
    ``details`` the full list for the tooltip.
    """

    change: str
    summary: str = ""
    details: tuple[str, ...] = ()
