"""The platform's typed domain errors; the web layer turns them into responses in one place."""
from checklists.errors import CatalogueConflict, CatalogueFileInvalid, OutsideCatalogue
from core.errors import DomainError, Problem


class NotFound(DomainError):
    status = 404
    code = "not_found"


class NotPermitted(DomainError):
    status = 403
    code = "not_permitted"


class InvalidState(DomainError):
    status = 409
    code = "invalid_state"


class Settled(InvalidState):
    """A state that no record still to arrive can change (already signed, read back otherwise): an
    offline record refused with it does not wait for its partner's records."""

    final = True


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a business rule."""

    status = 422
    code = "invalid_input"


class OutsideJurisdiction(InvalidInput):
    """禁止违规异地执法: a department or officer acting outside its districts."""

    code = "outside_jurisdiction"
    audited = True


class ImportFileInvalid(DomainError):
    status = 422
    code = "import_invalid"


class LeniencyFileInvalid(DomainError):
    """A flexible-enforcement list failed validation; every problem is listed."""

    status = 422
    code = "leniency_invalid"

    def __init__(self, label: str, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(str(p) for p in problems[:50])
        more = f"\n……另有 {len(problems) - 50} 处错误" if len(problems) > 50 else ""
        super().__init__(f"包容审慎清单 {label} 有 {len(problems)} 处错误，未作任何更改：\n{lines}{more}",
                         fields={"problems": [p.as_dict() for p in problems]})


__all__ = ["CatalogueConflict", "CatalogueFileInvalid", "DomainError", "ImportFileInvalid", "InvalidInput",
           "LeniencyFileInvalid",
           "InvalidState", "NotFound", "NotPermitted", "OutsideCatalogue", "OutsideJurisdiction", "Problem"]
