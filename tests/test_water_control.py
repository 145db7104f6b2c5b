"""A subject's water control follows real Alyx's rules (``actions/water_control.py``, 3.6.1),
including its types: 0 and 0.0 where Alyx answers them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from resolvers.water import COLUMNS, WaterControl

NOW = datetime(2024, 3, 10, 15, 0)


def control(**kw: object) -> WaterControl:
    rows: dict[str, object] = {
        "birth_date": date(2023, 11, 1),
        "timezone": "UTC",
        "weighings": [],
        "administrations": [],
        "restrictions": [],
        "implants": [],
    }
    return WaterControl.of("EJ001", NOW, **{**rows, **kw})  # type: ignore[arg-type]


def test_without_rows_the_figures_are_alyxs_zeros() -> None:
    empty = control()
    assert empty.reference_weight() == 0.0 and isinstance(empty.reference_weight(), float)
    assert empty.expected_water() == 0.0 and isinstance(empty.expected_water(), float)
    assert empty.given_water() == 0 and isinstance(empty.given_water(), int)
    assert empty.water_restriction_at() is None
    assert empty.last_implant_weight_before() == 0
    # Without weighings or water given, the requirement starts at the birth date.
    assert empty.requirement()[0]["date"] == date(2023, 11, 1)
    assert control(birth_date=None).requirement() == []


def test_the_last_restrictions_own_reference_weight_wins() -> None:
    restricted = control(
        weighings=[(datetime(2024, 3, 1, 9), 25.0), (datetime(2024, 3, 10, 9), 22.0)],
        restrictions=[
            (datetime(2024, 1, 1), datetime(2024, 1, 20), 0.0),
            (datetime(2024, 3, 2, 9), None, 26.0),
        ],
        implants=[(datetime(2024, 2, 1), 1.0)],
    )
    assert restricted.water_restriction_at() == datetime(2024, 3, 2, 9)
    assert restricted.reference_weight() == 25.0  # 26.0 less the implant
    assert restricted.expected_water() == pytest.approx(0.04 * 21.0)
    # An ended restriction: no reference weight after it.
    assert restricted.reference_weighing_at(datetime(2024, 1, 25)) is None
    assert restricted.is_water_restricted(datetime(2024, 1, 10)) is True


def test_below_the_labs_threshold_the_expected_water_is_five_percent() -> None:
    light = control(
        weighings=[(datetime(2024, 3, 1), 25.0), (datetime(2024, 3, 10), 20.0)],
        restrictions=[(datetime(2024, 3, 2), None, 0.0)],
    )
    light.reference_weight_pct = 0.85
    assert light.reference_weight() == 25.0  # the last weighing before the restriction
    assert light.expected_weight() == 25.0
    assert light.expected_water() == pytest.approx(0.05 * 20.0)  # 20 < 0.85 * 25
    assert light.percentage_weight() == pytest.approx(80.0)


def test_weighings_and_water_count_on_the_labs_days() -> None:
    late = [(datetime(2024, 3, 5, 3, 0), 24.0)]  # 19:00 on the 4th in Los Angeles
    water = [(datetime(2024, 3, 5, 3, 0), 0.5, None), (datetime(2024, 3, 5, 4), None, None)]
    utc = control(weighings=late, administrations=water)
    pacific = control(weighings=late, administrations=water, timezone="America/Los_Angeles")
    the_4th = datetime(2024, 3, 4, 12)
    assert utc.weighing_at(the_4th) is None and pacific.weighing_at(the_4th) == 24.0
    assert utc.given_water(the_4th) == 0 and pacific.given_water(the_4th) == 0.5
    assert pacific.given_water_supplement(the_4th) == 0.5
    assert pacific.given_water_reward(the_4th) == 0


def test_a_requirement_record_has_alyxs_columns_day_by_day() -> None:
    wc = control(
        weighings=[(datetime(2024, 3, 8, 9), 24.0)],
        administrations=[(datetime(2024, 3, 9, 10), 0.6, "session")],
    )
    days = wc.requirement()
    assert [d["date"] for d in days] == [date(2024, 3, 8), date(2024, 3, 9), date(2024, 3, 10)]
    assert all(tuple(d) == COLUMNS for d in days)
    assert days[1]["given_water_reward"] == 0.6 and days[1]["weighing_at"] is None
    assert days[1]["excess_water"] == pytest.approx(0.6 - 0.04 * 24.0)
