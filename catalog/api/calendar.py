"""/api/admin/calendar: the official working-day calendar, reviewed and loaded by administrators."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from catalog import policy
from catalog.api.auth import current_actor, require, services
from catalog.sharing.calendar import ArrangementInput, DayInput, DayRemoval

blp = Blueprint("calendar", __name__, url_prefix="/api/admin/calendar",
                description="法定节假日与调休安排 / the official working-day calendar")


@blp.route("", methods=["GET"])
@require(*policy.roles_of("calendar.manage"))
def calendar_status() -> dict[str, Any]:
    """Which source covers each year (loaded, chinesecalendar, holidays), the warnings due
    today (this or — from November — next year missing, sources disagreeing) and every day the
    sources disagree on."""
    return services().calendar.status().as_dict()


@blp.route("/years/<int:year>")
class CalendarYearView(MethodView):
    @require(*policy.roles_of("calendar.manage"))
    def get(self, year: int) -> dict[str, Any]:
        """The year's official days that differ from Monday–Friday, and which source says so."""
        return services().calendar.year(year)

    @require(*policy.roles_of("calendar.manage"))
    @blp.arguments(ArrangementInput)
    def put(self, payload: dict[str, Any], year: int) -> dict[str, Any]:
        """Load (or replace) the year's arrangement from the State Council's notice: its public
        holidays and make-up working days (audited). The answer lists the days other sources
        disagree on."""
        return services().calendar.load_year(current_actor(), year, payload)

    @require(*policy.roles_of("calendar.manage"))
    def delete(self, year: int) -> dict[str, Any]:
        """Drop the loaded arrangement: the packages decide that year again (audited); the
        answer is the year as it now stands."""
        services().calendar.remove_year(current_actor(), year)
        return services().calendar.year(year)


@blp.route("/days", methods=["POST"])
@require("admin")
@blp.arguments(DayInput)
def add_day(payload: dict[str, Any]) -> dict[str, Any]:
    """Add (or change) one holiday or make-up working day of its year's official arrangement
    (audited); a year not loaded yet starts from the packages' days and needs ``notice``. The
    answer is the year as it now stands."""
    return services().calendar.add_day(current_actor(), payload)


@blp.route("/days/remove", methods=["POST"])
@require("admin")
@blp.arguments(DayRemoval)
def remove_day(payload: dict[str, Any]) -> dict[str, Any]:
    """Take one day out of its year's official arrangement (audited); the answer is the year
    as it now stands."""
    return services().calendar.remove_day(current_actor(), payload)
