"""Steps of an off-site check (非现场核查) through the API: send the request, read its points, upload evidence."""
from __future__ import annotations

import io

from tests.at_the_door import as_user

PDF = b"%PDF-1.7\n" + b"0" * 200

PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 200


def send(client, login, o):
    as_user(client, login, o["inspector"])
    response = client.post(f"/api/v1/tasks/{o['task'].id}/offsite-request")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def points(sheet):
    return [p for item in sheet["items"] for p in item["points"]]


def upload(client, request_id, point_id, data=None, name="材料.pdf", answer=None):
    form = {"point": str(point_id)}
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    if answer is not None:
        form["answer"] = answer
    return client.post(f"/api/v1/offsite/{request_id}/evidence", data=form, content_type="multipart/form-data")
