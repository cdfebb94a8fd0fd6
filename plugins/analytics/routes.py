"""HTTP routes of analytics: a partner's numbers and the marketplace's, as JSON or the series as CSV."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from pc_app.toolkit import Blueprint, csv_text, login_required, partner_for_request, platform_required, utcnow

from .schemas import AnalyticsArgsSchema, MarketplaceAnalyticsSchema, PartnerAnalyticsSchema
from .services import reports
from .services.periods import resolve_range

blp = Blueprint("analytics", __name__, url_prefix="/v1/analytics",
                description="Partner and marketplace numbers from daily rollups, with series and targets")

CSV_ANSWER = {"schema": {"type": "string"}, "content_type": "text/csv",
              "description": "The report as JSON, or its series as CSV (format=csv, or Accept: text/csv)"}


def wants_csv(args: dict) -> bool:
    """``format=csv``, or no ``format`` and an ``Accept`` header that prefers text/csv to JSON."""
    if args.get("format"):
        return args["format"] == "csv"
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


def series_csv(report: dict, columns: tuple, filename: str) -> Response:
    """The report's series as a CSV download, one row per bucket (cells made spreadsheet-safe)."""
    text = csv_text(("bucket", "start", "end", *columns),
                    [{**point, "start": point["start"].isoformat(), "end": point["end"].isoformat()}
                     for point in report["series"]])
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _range(args: dict):
    return resolve_range(args.get("from_"), args.get("to"), utcnow().date())


@blp.route("/partner/<objectid:partner_id>")
class PartnerAnalytics(MethodView):
    @login_required
    @blp.arguments(AnalyticsArgsSchema, location="query")
    @blp.response(200, PartnerAnalyticsSchema)
    @blp.alt_response(200, **CSV_ANSWER)
    @blp.errors(401, 404, 422)
    def get(self, args, partner_id):
        """A partner's numbers as seller and as buyer over a range of UTC days, with a series.

        For the partner's own users and platform staff (another partner's id answers 404).
        ``format=csv`` or ``Accept: text/csv`` answers the series as CSV.
        """
        partner = partner_for_request(partner_id)
        start, end = _range(args)
        report = reports.partner_report(str(partner.id), start, end, args["interval"])
        if wants_csv(args):
            return series_csv(report, reports.PARTNER_SERIES,
                              f"analytics-partner-{partner.id}-{start.isoformat()}-{end.isoformat()}.csv")
        return report


@blp.route("/marketplace")
class MarketplaceAnalytics(MethodView):
    @platform_required
    @blp.arguments(AnalyticsArgsSchema, location="query")
    @blp.response(200, MarketplaceAnalyticsSchema)
    @blp.alt_response(200, **CSV_ANSWER)
    @blp.errors(401, 403, 422)
    def get(self, args):
        """The whole marketplace over a range: GMV, revenue, partners, leaders, series, the seed's targets.

        For the platform owner and admins. ``format=csv`` or ``Accept: text/csv`` answers the
        series as CSV.
        """
        start, end = _range(args)
        report = reports.marketplace_report(start, end, args["interval"])
        if wants_csv(args):
            return series_csv(report, reports.MARKETPLACE_SERIES,
                              f"analytics-marketplace-{start.isoformat()}-{end.isoformat()}.csv")
        return report
