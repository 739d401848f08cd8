"""A briefing kept as JSON comes back equal: what an interrupted delivery is resumed from."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from briefings.codec import briefing_from_json, briefing_to_json
from briefings.models import Briefing
from tests.adapters.test_render_limits import briefings


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(briefings)
def test_a_briefing_survives_json(briefing: Briefing) -> None:
    assert briefing_from_json(briefing_to_json(briefing)) == briefing
