"""The catalogue's own refusals: an item outside the published list, a file that fails validation."""
from __future__ import annotations

from core.errors import DomainError, Problem


class OutsideCatalogue(DomainError):
    """An item that is unknown, unpublished, revoked, expired or another department's."""

    status = 422
    code = "outside_catalogue"


class CatalogueFileInvalid(DomainError):
    """A catalogue file failed validation; ``problems`` lists every bad row."""

    status = 422
    code = "catalogue_invalid"

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems
        lines = "\n".join(str(p) for p in problems[:50])
        more = f"\n……另有 {len(problems) - 50} 处错误" if len(problems) > 50 else ""
        super().__init__(
            f"清单文件 {path} 有 {len(problems)} 处错误，未作任何更改：\n{lines}{more}",
            fields={"problems": [p.as_dict() for p in problems]},
        )


class CatalogueConflict(DomainError):
    status = 409
    code = "catalogue_conflict"
