"""Query arguments and answers of the analytics routes."""
from __future__ import annotations

import marshmallow as ma

from pc_app.toolkit import Schema, beyond_schema
from pc_app.toolkit import vocabulary as v

from .services.periods import EARLIEST, INTERVALS, LATEST

_DATE_RANGE = ma.validate.Range(min=EARLIEST, max=LATEST,
                                error=f"Must be a day between {EARLIEST.isoformat()} and {LATEST.isoformat()}.")
_DAYS = f"a day between {EARLIEST.isoformat()} and {LATEST.isoformat()}, `from` not after `to`, at most 3 years apart"


class AnalyticsArgsSchema(Schema):
    """``from``/``to`` (UTC days, inclusive; at most 3 years apart), ``interval``, ``format``."""
    from_ = ma.fields.Date(data_key="from", validate=_DATE_RANGE, metadata=beyond_schema(_DAYS, {
        "description": "First day (UTC), inclusive; default 29 days before `to`"}))
    to = ma.fields.Date(validate=_DATE_RANGE, metadata=beyond_schema(_DAYS, {
        "description": "Last day (UTC), inclusive; default today. At most 3 years after `from`"}))
    interval = ma.fields.String(load_default="day", validate=ma.validate.OneOf(INTERVALS), metadata={
        "description": "Series buckets: day, week (ISO, from Monday) or month"})
    format = ma.fields.String(validate=ma.validate.OneOf(("json", "csv")), metadata={
        "description": "csv answers the series as a spreadsheet-safe CSV (as does `Accept: text/csv`)"})


def _money(description: str):
    return ma.fields.Integer(required=True, metadata={"description": f"{description}, in cents"})


def _ratio(description: str):
    return ma.fields.Float(required=True, allow_none=True, metadata={
        "description": f"{description}; null when the divisor is 0"})


_MEDIAN = ma.fields.Float(required=True, allow_none=True, metadata={
    "description": "Median whole hours from listing to sale (exact from the hourly histogram; the mean of the "
                   "two middle sales for an even count); null without sales"})


class SellerNumbersSchema(Schema):
    listed = ma.fields.Integer(required=True)
    delisted = ma.fields.Integer(required=True)
    views = ma.fields.Integer(required=True, metadata={"description": "Openings of its listings by buyers"})
    uniqueViewers = ma.fields.Integer(required=True, metadata={
        "description": "First openings of a listing by a buyer (the listings' uniqueViewers added up)"})
    reservationsReceived = ma.fields.Integer(required=True)
    sold = ma.fields.Integer(required=True)
    refunded = ma.fields.Integer(required=True, metadata={"description": "Sales refunded in the range"})
    revenue = _money("Payouts of the range's sales minus payouts refunded in the range")
    grossRevenue = _money("Payouts of the range's sales")
    refundedRevenue = _money("Payouts refunded in the range")
    salesAmount = _money("What buyers paid for its leads, net of refunds")
    sellThrough = _ratio("sold ÷ listed in the range")
    averagePrice = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "Average price of the range's sales in cents (gross); null without sales"})
    medianHoursToSale = _MEDIAN


class BuyerNumbersSchema(Schema):
    views = ma.fields.Integer(required=True, metadata={"description": "Listings it opened"})
    unmaskLimitReached = ma.fields.Integer(required=True, metadata={
        "description": "Days it reached MARKETPLACE_UNMASK_DAILY_LIMIT"})
    reserved = ma.fields.Integer(required=True)
    extended = ma.fields.Integer(required=True)
    expired = ma.fields.Integer(required=True)
    cancelled = ma.fields.Integer(required=True)
    purchased = ma.fields.Integer(required=True)
    failedPurchases = ma.fields.Integer(required=True)
    refunded = ma.fields.Integer(required=True, metadata={"description": "Purchases refunded in the range"})
    spend = _money("Paid in the range minus refunds in the range")
    grossSpend = _money("Paid in the range")
    refundedSpend = _money("Refunded in the range")
    reserveToPurchase = _ratio("purchased ÷ reserved in the range")


class SyncNumbersSchema(Schema):
    tasks = ma.fields.Integer(required=True)
    failedTasks = ma.fields.Integer(required=True)
    leadsSynced = ma.fields.Integer(required=True, metadata={"description": "Created, updated and pulled leads"})
    conflicts = ma.fields.Integer(required=True)
    errors = ma.fields.Integer(required=True)


class _PointBase(Schema):
    bucket = ma.fields.String(required=True, metadata={"description": "2026-11-28, 2026-W48 or 2026-11"})
    start = ma.fields.Date(required=True, metadata={"description": "First day of the bucket inside the range"})
    end = ma.fields.Date(required=True, metadata={"description": "Last day of the bucket inside the range"})


class PartnerPointSchema(_PointBase):
    listed = ma.fields.Integer(required=True)
    delisted = ma.fields.Integer(required=True)
    views = ma.fields.Integer(required=True)
    sold = ma.fields.Integer(required=True)
    salesRefunded = ma.fields.Integer(required=True)
    revenue = _money("Net payouts")
    reserved = ma.fields.Integer(required=True)
    purchased = ma.fields.Integer(required=True)
    purchasesRefunded = ma.fields.Integer(required=True)
    spend = _money("Net spend")
    leadsSynced = ma.fields.Integer(required=True)


class _ReportBase(Schema):
    from_ = ma.fields.Date(data_key="from", attribute="from", required=True)
    to = ma.fields.Date(required=True)
    interval = ma.fields.String(required=True, validate=ma.validate.OneOf(INTERVALS))
    currency = ma.fields.String(required=True, metadata={
        "description": "Currency of every amount (cents): ANALYTICS_CURRENCY, an ISO code in lower case"})
    otherCurrencyEvents = ma.fields.Integer(required=True, metadata={
        "description": "Sales or refunds in another currency: counted, but their amounts are in no sum"})


class PartnerAnalyticsSchema(_ReportBase):
    partnerId = ma.fields.String(required=True)
    seller = ma.fields.Nested(SellerNumbersSchema, required=True)
    buyer = ma.fields.Nested(BuyerNumbersSchema, required=True)
    sync = ma.fields.Nested(SyncNumbersSchema, required=True)
    series = ma.fields.List(ma.fields.Nested(PartnerPointSchema), required=True, metadata={
        "description": "Every bucket of the range in order, empty ones as zeros"})


class MarketplacePointSchema(_PointBase):
    gmv = _money("Net GMV")
    platformRevenue = _money("Net platform fees")
    transactions = ma.fields.Integer(required=True)
    refunds = ma.fields.Integer(required=True)
    listed = ma.fields.Integer(required=True)
    delisted = ma.fields.Integer(required=True)
    views = ma.fields.Integer(required=True)
    reserved = ma.fields.Integer(required=True)
    newPartners = ma.fields.Integer(required=True)
    activatedPartners = ma.fields.Integer(required=True)
    leadsSynced = ma.fields.Integer(required=True)


class IndustryRowSchema(Schema):
    industry = ma.fields.String(required=True, validate=ma.validate.OneOf((*v.INDUSTRIES, "unknown")),
                                metadata={"description": "The leads' industry; unknown when null"})
    listed = ma.fields.Integer(required=True)
    delisted = ma.fields.Integer(required=True)
    transactions = ma.fields.Integer(required=True)
    refunds = ma.fields.Integer(required=True)
    gmv = _money("Net GMV")


class SellerRowSchema(Schema):
    partnerId = ma.fields.String(required=True)
    name = ma.fields.String(required=True, allow_none=True)
    sales = ma.fields.Integer(required=True)
    refunds = ma.fields.Integer(required=True)
    gmv = _money("What buyers paid it, net of refunds")
    revenue = _money("Its payouts, net of refunds")


class BuyerRowSchema(Schema):
    partnerId = ma.fields.String(required=True)
    name = ma.fields.String(required=True, allow_none=True)
    purchases = ma.fields.Integer(required=True)
    refunds = ma.fields.Integer(required=True)
    spend = _money("Net spend")


class TargetSchema(Schema):
    metric = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    target = ma.fields.Integer(required=True)
    actual = ma.fields.Float(required=True, metadata={
        "description": "A level (active partners) or the range's average per calendar month"})
    progress = _ratio("actual ÷ target")


class MarketplaceAnalyticsSchema(_ReportBase):
    gmv = _money("Gross merchandise value: purchases minus refunds")
    grossGmv = _money("Purchases")
    refundedGmv = _money("Refunds")
    platformRevenue = _money("Platform fees minus refunded fees")
    grossPlatformRevenue = _money("Platform fees")
    refundedPlatformRevenue = _money("Refunded platform fees")
    sellerPayouts = _money("Sellers' payouts minus refunded payouts")
    transactions = ma.fields.Integer(required=True, metadata={"description": "Successful purchases"})
    refunds = ma.fields.Integer(required=True)
    failedPurchases = ma.fields.Integer(required=True)
    averagePrice = ma.fields.Integer(required=True, allow_none=True)
    listed = ma.fields.Integer(required=True)
    delisted = ma.fields.Integer(required=True)
    views = ma.fields.Integer(required=True)
    uniqueViewers = ma.fields.Integer(required=True)
    reserved = ma.fields.Integer(required=True)
    extended = ma.fields.Integer(required=True)
    expired = ma.fields.Integer(required=True)
    cancelled = ma.fields.Integer(required=True)
    sellThrough = _ratio("transactions ÷ listed in the range")
    medianHoursToSale = _MEDIAN
    activePartners = ma.fields.Integer(required=True, metadata={
        "description": "Partners active now (core state; the house seller excluded)"})
    tradingPartners = ma.fields.Integer(required=True, metadata={
        "description": "Partners that sold or bought in the range"})
    newPartners = ma.fields.Integer(required=True, metadata={"description": "Self-registrations in the range"})
    activatedPartners = ma.fields.Integer(required=True)
    unmaskLimitReached = ma.fields.Integer(required=True)
    sync = ma.fields.Nested(SyncNumbersSchema, required=True)
    topIndustries = ma.fields.List(ma.fields.Nested(IndustryRowSchema), required=True)
    topSellers = ma.fields.List(ma.fields.Nested(SellerRowSchema), required=True)
    topBuyers = ma.fields.List(ma.fields.Nested(BuyerRowSchema), required=True)
    targets = ma.fields.List(ma.fields.Nested(TargetSchema), required=True)
    months = ma.fields.Float(required=True, metadata={
        "description": "Calendar months the range covers (partial months by their share of days)"})
    series = ma.fields.List(ma.fields.Nested(MarketplacePointSchema), required=True, metadata={
        "description": "Every bucket of the range in order, empty ones as zeros"})
