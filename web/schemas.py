"""marshmallow schemas: shape checks for forms and the API, with Chinese messages.

Schemas check shape only; business rules live in the operations.
"""
from __future__ import annotations

import datetime as dt

from marshmallow import RAISE, Schema, fields, validate

from inspection.pure.timestamps import DATE_SHAPE, YEAR_MAX, YEAR_MIN, YEARS_MESSAGE, year_in_range

ROW_ID_MAX = 2**31 - 1                        # ids are the database's INTEGER (32 bits on PostgreSQL)
PAGE_MAX = 10_000                             # page numbers of lists, pages and API alike
ZH = {"required": "必填", "null": "不能为空", "validator_failed": "取值无效"}


class Str(fields.String):
    default_error_messages = {**ZH, "invalid": "应为文字", "invalid_utf8": "不是有效的 UTF-8 文字"}


class Int(fields.Integer):
    default_error_messages = {**ZH, "invalid": "应为整数", "too_large": "数值过大"}


class Id(Int):
    """The id of a row: from 1 to the database's largest integer (a larger number names no row)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", between(1, ROW_ID_MAX))
        super().__init__(**kwargs)


class Year(Int):
    """A calendar year the platform can reason about (``inspection.pure.timestamps``: 2000 to 2100)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", between(YEAR_MIN, YEAR_MAX))
        super().__init__(**kwargs)


class Page(Int):
    def __init__(self, **kwargs):
        kwargs.setdefault("validate", between(1, PAGE_MAX))
        super().__init__(**kwargs)


class Num(fields.Float):
    default_error_messages = {**ZH, "invalid": "应为数字", "special": "不能为 NaN 或无穷大"}


class Day(fields.Date):
    """A date written YYYY-MM-DD (docs/file-formats.md), not the other ISO 8601 forms Python reads (20260301, 2026W011)."""

    default_error_messages = {**ZH, "invalid": "日期格式应为 YYYY-MM-DD", "format": "日期格式应为 YYYY-MM-DD",
                              "years": YEARS_MESSAGE}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not DATE_SHAPE.fullmatch(value):
            raise self.make_error("invalid")
        day = super()._deserialize(value, attr, data, **kwargs)
        if not year_in_range(day.year):
            raise self.make_error("years")
        return day


class DayTime(fields.DateTime):
    default_error_messages = {**ZH, "invalid": "时间格式不正确"}


class Instant(fields.AwareDateTime):
    """An ISO 8601 time; without an offset it is read as UTC. Its year is in the platform's range, so
    converting it to UTC or China time cannot leave the calendar."""

    default_error_messages = {**ZH, "invalid": "时间格式不正确", "invalid_awareness": "时间格式不正确",
                              "format": "时间格式不正确", "years": YEARS_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not year_in_range(moment.year):
            raise self.make_error("years")
        return moment


class Bool(fields.Boolean):
    default_error_messages = {**ZH, "invalid": "应为 true 或 false"}


class StrList(fields.List):
    default_error_messages = {**ZH, "invalid": "应为列表"}

    def __init__(self, **kwargs):
        super().__init__(Str(validate=validate.Length(min=1, max=64)), **kwargs)


def length(min_: int | None = None, max_: int | None = None):
    if min_ and max_:
        message = f"长度应为 {min_} 至 {max_} 个字符"
    elif max_:
        message = f"长度不能超过 {max_} 个字符"
    else:
        message = f"长度至少 {min_} 个字符"
    return validate.Length(min=min_, max=max_, error=message)


def between(low: int, high: int):
    return validate.Range(min=low, max=high, error=f"应在 {low} 至 {high} 之间")


def at_least(low: int):
    return validate.Range(min=low, error=f"不能小于 {low}")


def one_of(choices):
    return validate.OneOf(choices, error="应为以下之一：" + "、".join(choices))


class BaseSchema(Schema):
    error_messages = {"unknown": "未知字段", "type": "输入应为 JSON 对象"}

    class Meta:
        unknown = RAISE


class LoginSchema(BaseSchema):
    """A sign-in: the API's body; the page's form adds where to go next and its CSRF token."""
    username = Str(required=True, validate=length(1, 64))
    password = Str(required=True, validate=length(1, 128))


class LoginFormSchema(LoginSchema):
    next = Str(load_default=None)
    csrf_token = Str(load_only=True)


class PlanCreateSchema(BaseSchema):
    title = Str(required=True, validate=length(2, 200))
    period_start = Day(required=True)
    period_end = Day(required=True)
    items = StrList(required=True, validate=validate.Length(min=1, error="至少选择一个检查事项"))
    lead = Str(load_default=None, allow_none=True, validate=length(max_=500))
    ratios = fields.Dict(keys=Str(validate=one_of(["A", "B", "C", "D"])),
                         values=Num(validate=validate.Range(min=0, max=1, error="应在 0 至 1 之间")),
                         load_default=dict, error_messages={"invalid": "应为 {{分类: 比例}} 对象"})
    target_districts = StrList(load_default=list)
    target_industries = StrList(load_default=list)
    target_tags = StrList(load_default=list)
    officers_needed = Int(load_default=2, validate=validate.Range(min=2, max=10, error="应在 2 至 10 之间"))
    series = Str(load_default=None, allow_none=True, validate=length(1, 64))
    campaign = Id(load_default=None, allow_none=True)
    quiet_exception = Str(load_default=None, allow_none=True, validate=one_of(["complaint", "accident", "hazard", "order"]))
    quiet_exception_evidence = Str(load_default=None, allow_none=True, validate=length(2, 500))
    officer_pool = StrList(load_default=list)
    on_site_reason = Str(load_default=None, allow_none=True, validate=length(2, 500))
    weighting = Str(load_default="ratios", validate=one_of(["ratios", "risk"]))
    notice_days = Int(load_default=None, allow_none=True, validate=validate.Range(min=1, max=30, error="应在 1 至 30 之间"))
    credit_ratios = Bool(load_default=False, metadata={
        "description": "按本市信用风险分类政策取各类抽查比例（不再另设 ratios）"})


class ReasonSchema(BaseSchema):
    reason = Str(required=True, validate=length(2, 500))


class CampaignCreateSchema(BaseSchema):
    title = Str(required=True, validate=length(2, 200))
    period_start = Day(required=True)
    period_end = Day(required=True)
