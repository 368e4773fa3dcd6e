"""Flexible-enforcement lists (包容审慎清单) as a department publishes them."""
from __future__ import annotations

from marshmallow import fields, post_load

from ...schemas import BaseSchema, Day, Str, length


class LeniencyListInSchema(BaseSchema):
    department = Str(validate=length(1, 32))
    version = Str(required=True, validate=length(1, 32))
    title = Str(required=True, validate=length(2, 200))
    effective_from = Day(required=True)
    effective_to = Day(allow_none=True)
    first_offence_years = fields.Integer(metadata={"description": "首违认定期限（年），默认 1"})
    entries = fields.List(fields.Dict(), load_default=None,
                          metadata={"description": "条目；也可按四张清单分列 no_penalty、reduced、lighter、heavier"})
    no_penalty = fields.List(fields.Dict())
    reduced = fields.List(fields.Dict())
    lighter = fields.List(fields.Dict())
    heavier = fields.List(fields.Dict())
    # The same, under the headings the lists are published with.
    no_penalty_cn = fields.List(fields.Dict(), data_key="不予处罚清单")
    reduced_cn = fields.List(fields.Dict(), data_key="减轻处罚清单")
    lighter_cn = fields.List(fields.Dict(), data_key="从轻处罚清单")
    heavier_cn = fields.List(fields.Dict(), data_key="从重处罚清单")
    first_offence_years_cn = fields.Integer(data_key="首违认定期限（年）")

    @post_load
    def published_headings(self, data, **kwargs):
        """Keep the published headings as the list file has them (the operation reads both)."""
        return {self.fields[k].data_key if k.endswith("_cn") else k: v for k, v in data.items()}
