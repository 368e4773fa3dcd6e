from .catalogue import (
                        CATEGORIES,
                        CATEGORY_LABELS,
                        ITEM_STATUSES,
                        METHOD_LABELS,
                        METHODS,
                        STATUS_LABELS,
                        CatalogueItem,
                        CatalogueVersion,
                        ChecklistPoint,
                        Department,
)

__all__ = ["CatalogueItem", "CatalogueVersion", "ChecklistPoint", "Department", "CATEGORIES",
           "CATEGORY_LABELS", "ITEM_STATUSES", "METHOD_LABELS", "METHODS", "STATUS_LABELS"]
