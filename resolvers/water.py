"""A subject's water control, as real Alyx computes it (``actions/water_control.py``, 3.6.1):
its reference weight, the water it is expected to get, what remains to give today, and the
day-by-day water requirement. Pure: it is handed the subject's rows and the time.

Alyx's rules kept as they are, down to their types (a figure without data is ``0`` or
``0.0`` where Alyx's is): weighings, water given and implant weights are seen in the lab's
time zone, water restrictions as stored; the reference weight is the last restriction's own
(when set), else that of the restriction under way, else 0; expected water is 4% of the last
weight before the day (5% below the expected weight), less the implant. The lab's reference
and z-score percentages are 0 here (neurogate keeps none, as a new Alyx lab), so the z-score
tables never weigh in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The columns of a water requirement record, in Alyx's order.
COLUMNS = (
    "date",
    "weight",
    "weighing_at",
    "reference_weight",
    "expected_weight",
    "min_weight",
    "percentage_weight",
    "given_water_reward",
    "given_water_supplement",
    "given_water_total",
    "expected_water",
    "excess_water",
    "is_water_restricted",
    "implant_weight",
)
Weighed = tuple[datetime, float]


def _zone(name: str | None) -> ZoneInfo:
    """The lab's time zone: UTC without one; Alyx's fallback for one it cannot read."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12))


def requirement_day(value: str) -> datetime:
    """A ``start_date``/``end_date`` as Alyx reads it: noon of that day; ValueError else."""
    return datetime.strptime(f"{value} 12:00:00", "%Y-%m-%d %H:%M:%S")


@dataclass
class WaterControl:
    """One subject's water control. Times are naive; ``now`` and the lab-zone rows are
    converted from UTC (as stored) to the lab's zone."""

    nickname: str
    now: datetime
    birth_date: date | None = None
    timezone: str | None = None
    reference_weight_pct: float = 0.0
    zscore_weight_pct: float = 0.0
    weighings: list[Weighed] = field(default_factory=list)
    # (when, millilitres or None, session id or None)
    water_administrations: list[tuple[datetime, float | None, Any]] = field(default_factory=list)
    implant_weights: list[Weighed] = field(default_factory=list)
    # (start, end or None, reference weight), oldest first
    water_restrictions: list[tuple[datetime, datetime | None, float]] = field(
        default_factory=list
    )
    reference_weighing: Weighed | None = None

    def __post_init__(self) -> None:
        self._zone = _zone(self.timezone)
        self._today = self._local(self.now)

    def _local(self, when: datetime) -> datetime:
        return when.replace(tzinfo=UTC).astimezone(self._zone).replace(tzinfo=None)

    @classmethod
    def of(
        cls,
        nickname: str,
        now: datetime,
        *,
        birth_date: date | None,
        timezone: str | None,
        weighings: Iterable[Weighed],
        administrations: Iterable[tuple[datetime | None, float | None, Any]],
        restrictions: Iterable[tuple[datetime | None, datetime | None, float]],
        implants: Iterable[tuple[datetime | None, float]],
    ) -> WaterControl:
        """As Alyx's ``water_control(subject)`` builds it from the subject's rows."""
        control = cls(nickname, now, birth_date, timezone)
        for start, weight in sorted((s, w) for s, w in implants if s is not None):
            if weight:
                control.implant_weights.append((control._local(start), weight))
        ordered = sorted(
            ((s, e, w) for s, e, w in restrictions if s is not None), key=lambda r: r[0]
        )
        if ordered and ordered[-1][2]:
            control.reference_weighing = (ordered[-1][0], ordered[-1][2])
        control.water_restrictions = ordered
        control.water_administrations = sorted(
            ((control._local(d), v, s) for d, v, s in administrations if d is not None),
            key=lambda a: a[0],
        )
        control.weighings = sorted(
            (control._local(d), w) for d, w in weighings if d is not None
        )
        return control

    def today(self) -> datetime:
        return self._today

    def first_date(self) -> datetime | None:
        dates = [d for d, _, _ in self.water_administrations] + [d for d, _ in self.weighings]
        if dates:
            return min(dates)
        return None if self.birth_date is None else _noon(self.birth_date)

    def water_restriction_at(self, when: datetime | None = None) -> datetime | None:
        """The start of the water restriction under way at ``when`` (today), if one is."""
        when = when or self.today()
        before = [r for r in self.water_restrictions if r[0].date() <= when.date()]
        if not before:
            return None
        start, end, _ = before[-1]
        if end is not None and when > end:
            return None
        return start

    def is_water_restricted(self, when: datetime | None = None) -> bool:
        return self.water_restriction_at(when) is not None

    def last_implant_weight_before(self, when: datetime | None = None) -> Any:
        when = when or self.today()
        found = [w for d, w in self.implant_weights if d.date() <= when.date()]
        return found[-1] if found else 0

    def reference_implant_weight_at(self, when: datetime | None = None) -> Any:
        when = when or self.today()
        return self.last_implant_weight_before(self.water_restriction_at(when) or when)

    def last_weighing_before(self, when: datetime | None = None) -> Weighed | None:
        when = when or self.today()
        found = [(d, w) for d, w in self.weighings if d.date() <= when.date()]
        return found[-1] if found else None

    def weighing_at(self, when: datetime | None = None) -> float | None:
        when = when or self.today()
        found = [w for d, w in self.weighings if d.date() == when.date()]
        return found[-1] if found else None

    def weight(self, when: datetime | None = None) -> Any:
        last = self.last_weighing_before(when)
        return last[1] if last else 0

    def implant_weight(self, when: datetime | None = None) -> Any:
        return self.last_implant_weight_before(when)

    def reference_weighing_at(self, when: datetime | None = None) -> Weighed | None:
        if self.reference_weighing and (when is None or when >= self.reference_weighing[0]):
            return self.reference_weighing
        when = when or self.today()
        start = self.water_restriction_at(when)
        if not start:
            return None
        reference: Weighed | None = next(
            (s, w) for s, _, w in self.water_restrictions if s == start
        )
        if reference is not None and reference[1] == 0:
            reference = self.last_weighing_before(start)
        return reference

    def reference_weight(self, when: datetime | None = None) -> float:
        reference = self.reference_weighing_at(when)
        if reference:
            return reference[1] - (self.reference_implant_weight_at(when) or 0.0)  # type: ignore[no-any-return]
        return 0.0

    def zscore_weight(self, when: datetime | None = None) -> float:
        """Only weighed by a lab's z-score percentage, which is 0 here (module docstring)."""
        return 0.0

    def expected_weight(self, when: datetime | None = None) -> Any:
        total = self.reference_weight_pct + self.zscore_weight_pct
        if total == 0:
            return 0
        implant = self.last_implant_weight_before(when) or 0.0
        return (
            self.zscore_weight_pct / total * self.zscore_weight(when)
            + self.reference_weight_pct / total * self.reference_weight(when)
            + implant
        )

    def min_weight(self, when: datetime | None = None) -> float:
        when = when or self.today()
        implant = self.last_implant_weight_before(when) or 0.0
        return (  # type: ignore[no-any-return]
            self.zscore_weight(when) * self.zscore_weight_pct
            + self.reference_weight(when) * self.reference_weight_pct
        ) + implant

    def percentage_weight(self, when: datetime | None = None) -> float:
        when = when or self.today()
        implant = self.last_implant_weight_before(when) or 0.0
        weight, expected = self.weight(when), self.expected_weight(when)
        return 100 * (weight - implant) / (expected - implant) if expected - implant > 0 else 0.0  # type: ignore[no-any-return]

    def given_water(self, when: datetime | None = None, has_session: bool | None = None) -> Any:
        when = when or self.today()
        total: Any = 0
        for day, volume, session in self.water_administrations:
            if day.date() != when.date() or volume is None:
                continue
            if has_session is None or bool(session) == has_session:
                total += volume
        return total

    def given_water_reward(self, when: datetime | None = None) -> Any:
        return self.given_water(when, has_session=True)

    def given_water_supplement(self, when: datetime | None = None) -> Any:
        return self.given_water(when, has_session=False)

    def given_water_total(self, when: datetime | None = None) -> Any:
        return self.given_water(when)

    def expected_water(self, when: datetime | None = None) -> float:
        when = when or self.today()
        implant = self.last_implant_weight_before(when) or 0.0
        last = self.last_weighing_before(when)
        weight = last[1] if last else 0.0
        expected = self.expected_weight(when) or 0.0
        threshold = (self.reference_weight_pct + self.zscore_weight_pct) * (
            expected - implant
        ) + implant
        return 0.05 * (weight - implant) if weight < threshold else 0.04 * (weight - implant)  # type: ignore[no-any-return]

    def remaining_water(self, when: datetime | None = None) -> float:
        when = when or self.today()
        return self.expected_water(when) - self.given_water(when)  # type: ignore[no-any-return]

    def excess_water(self, when: datetime | None = None) -> float:
        return -self.remaining_water(when)

    def requirement(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        """One record a day from ``start`` (the first weighing or water given, else the
        birth date) to ``end`` (today), both included, with Alyx's columns."""
        start = start or self.first_date()
        end = end or self.today()
        if start is None:
            return []
        records = []
        for n in range((end.date() - start.date()).days + 1):
            day = start + timedelta(n)
            record: dict[str, Any] = {"date": day.date()}
            for column in COLUMNS[1:]:
                record[column] = getattr(self, column)(day)
            records.append(record)
        return records
