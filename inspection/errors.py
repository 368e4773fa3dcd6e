"""The platform's typed domain errors; the web layer turns them into responses in one place."""
from checklists.errors import CatalogueConflict, CatalogueFileInvalid, DomainError, OutsideCatalogue, Problem


class NotFound(DomainError):
    status = 404
    code = "not_found"


class NotPermitted(DomainError):
    status = 403
    code = "not_permitted"


class InvalidState(DomainError):
    status = 409
    code = "invalid_state"


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


__all__ = ["CatalogueConflict", "CatalogueFileInvalid", "DomainError", "ImportFileInvalid", "InvalidInput",
           "InvalidState", "NotFound", "NotPermitted", "OutsideCatalogue", "OutsideJurisdiction", "Problem"]
