"""Steps at the firm's door that many tests take: signing in as a team member, both scanning in."""
from __future__ import annotations


def as_user(client, login, username):
    client.delete("/api/v1/session")
    login(username)


def enter(client, login, v):
    as_user(client, login, v["users"][0])
    first = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    as_user(client, login, v["users"][1])
    second = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    return first, second
