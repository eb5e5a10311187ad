"""/api/admin/calendar: the official working-day calendar, reviewed and loaded by administrators."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from catalog import policy
from catalog.api.auth import current_actor, require, services
from catalog.api.contract import MessageSchema, may_answer
from catalog.sharing.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    ArrangementInput,
    DayInput,
    DayRemoval,
)
from catalog.sharing.calendar_sources import LOADED, PACKAGES

blp = Blueprint("calendar", __name__, url_prefix="/api/admin/calendar",
                description="法定节假日与调休安排 / the official working-day calendar")


SOURCES = [LOADED, *PACKAGES]


class CoverageSchema(Schema):
    year = fields.Integer()
    sources = fields.List(fields.String(metadata={"enum": SOURCES}),
                          metadata={"description": "who covers the year, first wins"})
    notice = fields.String(allow_none=True, metadata={"description": "the loaded notice"})


class WarningSchema(Schema):
    code = fields.String(metadata={"enum": ["year_missing", "next_year_missing",
                                            "sources_disagree"]})
    year = fields.Integer()
    message = fields.Nested(MessageSchema)


class DisagreementSchema(Schema):
    day = fields.String(metadata={"description": "YYYY-MM-DD"})
    workday = fields.Dict(keys=fields.String(), values=fields.Boolean(),
                          metadata={"description": "source -> whether it is a working day"})


class CalendarStatusSchema(Schema):
    today = fields.String()
    ok = fields.Boolean()
    years = fields.List(fields.Nested(CoverageSchema))
    warnings = fields.List(fields.Nested(WarningSchema))
    disagreements = fields.List(fields.Nested(DisagreementSchema))
    packages = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True),
                           metadata={"description": "package -> installed version"})


class CalendarDaySchema(Schema):
    day = fields.String(metadata={"description": "YYYY-MM-DD"})
    workday = fields.Boolean()
    name = fields.String()


class CalendarYearSchema(Schema):
    year = fields.Integer()
    source = fields.String(allow_none=True, metadata={"enum": [*SOURCES, None]})
    notice = fields.String(allow_none=True)
    loaded_by = fields.String()
    loaded_at = fields.String()
    days = fields.List(fields.Nested(CalendarDaySchema))
    disagreements = fields.List(fields.Nested(DisagreementSchema),
                                metadata={"description": "after a load: the days other "
                                                         "sources disagree on"})


@blp.route("", methods=["GET"])
@require(*policy.roles_of("calendar.manage"))
@blp.response(200, CalendarStatusSchema)
def calendar_status() -> dict[str, Any]:
    """Which source covers each year (loaded, chinesecalendar, holidays), the warnings due
    today (this or — from November — next year missing, sources disagreeing) and every day the
    sources disagree on."""
    return services().calendar.status().as_dict()


YEAR = {"in": "path", "name": "year", "required": True,
        "description": f"{FIRST_YEAR}–{LAST_YEAR} (another year: 422)",
        "schema": {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}}


@blp.route("/years/<int:year>", parameters=[YEAR])
class CalendarYearView(MethodView):
    @require(*policy.roles_of("calendar.manage"))
    @may_answer(422)
    @blp.response(200, CalendarYearSchema)
    def get(self, year: int) -> dict[str, Any]:
        """The year's official days that differ from Monday–Friday, and which source says so."""
        return services().calendar.year(year)

    @require(*policy.roles_of("calendar.manage"))
    @blp.arguments(ArrangementInput)
    @blp.response(200, CalendarYearSchema)
    def put(self, payload: dict[str, Any], year: int) -> dict[str, Any]:
        """Load (or replace) the year's arrangement from the State Council's notice: its public
        holidays and make-up working days (audited). The answer lists the days other sources
        disagree on."""
        return services().calendar.load_year(current_actor(), year, payload)

    @require(*policy.roles_of("calendar.manage"))
    @may_answer(422)
    @blp.response(200, CalendarYearSchema)
    def delete(self, year: int) -> dict[str, Any]:
        """Drop the loaded arrangement: the packages decide that year again (audited); the
        answer is the year as it now stands."""
        services().calendar.remove_year(current_actor(), year)
        return services().calendar.year(year)


@blp.route("/days", methods=["POST"])
@require(*policy.roles_of("calendar.manage"))
@blp.arguments(DayInput)
@blp.response(200, CalendarYearSchema)
def add_day(payload: dict[str, Any]) -> dict[str, Any]:
    """Add (or change) one holiday or make-up working day of its year's official arrangement
    (audited); a year not loaded yet starts from the packages' days and needs ``notice``. The
    answer is the year as it now stands."""
    return services().calendar.add_day(current_actor(), payload)


@blp.route("/days/remove", methods=["POST"])
@require(*policy.roles_of("calendar.manage"))
@blp.arguments(DayRemoval)
@blp.response(200, CalendarYearSchema)
def remove_day(payload: dict[str, Any]) -> dict[str, Any]:
    """Take one day out of its year's official arrangement (audited); the answer is the year
    as it now stands."""
    return services().calendar.remove_day(current_actor(), payload)
