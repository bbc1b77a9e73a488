"""Hand-built snapshots for the pure engine tests (roll-up, graph, analyses): no database involved."""

from __future__ import annotations

import datetime as dt

from cascade.snapshot import (
    ActualPoint,
    AlignmentLink,
    CauseLink,
    ImpactLink,
    InitiativeData,
    MapData,
    MeasureData,
    ObjectiveData,
    PerspectiveData,
    Snapshot,
    UnitData,
)

AS_OF = dt.date(2026, 9, 30)


class Builder:
    """Adds units (each with a map and perspectives F and C), objectives, measures and links by code."""

    def __init__(self) -> None:
        self.snap = Snapshot()
        self.ids: dict[str, int] = {}
        self._next = 0

    def _id(self, key: str) -> int:
        self._next += 1
        self.ids[key] = self._next
        return self._next

    def unit(self, code: str, parent: str | None = None, rollup: str = "weighted_average",
             perspective_weights: tuple[float, float] = (1, 1)) -> int:
        uid = self._id(code)
        self.snap.units[uid] = UnitData(uid, code, f"Unit {code}", parent_id=self.ids[parent] if parent else None)
        mid = self._id(f"{code}/map")
        self.snap.maps[mid] = MapData(mid, uid, f"{code} map", rollup=rollup)
        for position, (pcode, weight) in enumerate(zip(("F", "C"), perspective_weights, strict=True)):
            pid = self._id(f"{code}/{pcode}")
            self.snap.perspectives[pid] = PerspectiveData(pid, mid, pcode, pcode, position, weight)
        return uid

    def objective(self, unit: str, code: str, perspective: str = "F", weight: float = 1) -> int:
        oid = self._id(f"{unit}:{code}")
        self.snap.objectives[oid] = ObjectiveData(
            oid, self.ids[f"{unit}/map"], self.ids[unit], self.ids[f"{unit}/{perspective}"], code, f"Objective {code}",
            weight=weight,
        )
        return oid

    def measure(self, objective: str, code: str, value: float | None, *, target: float | None = 10,
                red_flag: float | None = 4, weight: float = 1, period: dt.date = AS_OF, **extra: object) -> int:
        mid = self._id(f"{objective}/{code}")
        actuals = [ActualPoint(period, value)] if value is not None else []
        self.snap.measures[mid] = MeasureData(
            mid, self.ids[objective], code, f"Measure {code}", target=target, red_flag=red_flag, weight=weight,
            actuals=actuals, **extra,  # type: ignore[arg-type]
        )
        return mid

    def cause(self, cause: str, effect: str) -> None:
        self.snap.causes.append(CauseLink(self.ids[cause], self.ids[effect]))

    def align(self, objective: str, supports: str, weight: float = 1) -> None:
        self.snap.alignments.append(AlignmentLink(self.ids[objective], self.ids[supports], weight))

    def initiative(self, unit: str, code: str, impacts: tuple[str, ...] = (), **extra: object) -> int:
        iid = self._id(f"{unit}!{code}")
        self.snap.initiatives[iid] = InitiativeData(iid, self.ids[unit], code, f"Initiative {code}", **extra)  # type: ignore[arg-type]
        for objective in impacts:
            self.snap.impacts.append(ImpactLink(iid, self.ids[objective]))
        return iid

