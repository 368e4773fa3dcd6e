"""The city's reference data: districts and departments with their jurisdiction."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..models import Department, District
from .events import append_event

DEFAULT_CITY = Path(__file__).resolve().parent.parent / "data" / "city.yaml"


def load_city(session: Session, actor, path: Path = DEFAULT_CITY) -> dict:
    """Create or update districts and departments from a city file; returns counts of changes."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("districts") or not data.get("departments"):
        raise InvalidInput(f"城市文件 {Path(path).name} 应包含 districts 与 departments")
    created = {"districts": 0, "departments": 0}
    districts = {d.code: d for d in session.scalars(select(District))}
    for row in data["districts"]:
        district = districts.get(str(row["code"]))
        if district is None:
            district = District(code=str(row["code"]), name=row["name"])
            session.add(district)
            districts[district.code] = district
            created["districts"] += 1
        district.name = row["name"]
    departments = {d.code: d for d in session.scalars(select(Department))}
    for row in data["departments"]:
        department = departments.get(row["code"])
        if department is None:
            department = Department(code=row["code"], name=row["name"], short_name=row["short_name"])
            session.add(department)
            created["departments"] += 1
        department.name, department.short_name = row["name"], row["short_name"]
        wanted = row.get("districts") or list(districts)
        department.districts = [districts[str(code)] for code in wanted]
    session.flush()
    if any(created.values()):
        append_event(session, actor, "city.loaded", f"city:{data.get('city', '')}",
                     {"file": Path(path).name, **created})
    return created
