"""Creating accounts, new passwords, ending sessions; counting failed sign-ins."""
from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import InvalidInput, InvalidState
from ..models import ROLES, Department, Firm, Officer, User
from .events import append_event, utcnow


def create_user(session: Session, actor, *, username: str, password: str, role: str, display_name: str,
                department: Department | None = None, officer: Officer | None = None,
                firm: Firm | None = None) -> User:
    if role not in ROLES:
        raise InvalidInput(f"未知角色 {role}", fields={"role": "未知角色"})
    if len(password) < 8:
        raise InvalidInput("密码至少 8 位", fields={"password": "密码至少 8 位"})
    if role == "enterprise" and firm is None:
        raise InvalidInput("企业账号必须绑定一家企业", fields={"firm": "必填"})
    if role == "inspector":
        if officer is None:
            raise InvalidInput("执法人员账号必须对应一名持证执法人员", fields={"officer": "必填"})
        department = officer.department
    if role in ("department", "department_head", "inspector") and department is None:
        raise InvalidInput("部门账号必须属于一个执法部门", fields={"department": "必填"})
    if officer is not None and officer.id is not None and session.scalar(
            select(User.id).where(User.officer_id == officer.id)) is not None:
        raise InvalidState(f"执法人员 {officer.name}（{officer.certificate_no}）已有账号", fields={"officer": "已有账号"})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidState(f"用户名 {username} 已存在", fields={"username": "已存在"})
    user = User(username=username, display_name=display_name, role=role, department=department,
                officer=officer, firm=firm if role == "enterprise" else None, created_at=utcnow(), active=True)
    user.set_password(password)
    session.add(user)
    session.flush()
    append_event(session, actor, "user.created", f"user:{username}",
                 {"role": role, "department": department.code if department else None,
                  "firm": firm.uscc if firm is not None and role == "enterprise" else None})
    return user


def count_failed_sign_in(session: Session, username: str) -> bool:
    """Count a failed sign-in on the account ``username`` names, if there is one; ``True`` if there was.

    Nothing is written to the event log: the log is public, and a typed username (which may be a password
    typed in the wrong box, or anything an attacker chose) does not belong in it. Unknown names are not
    kept at all; the rate limits already slow down guessing from one place.
    """
    result = session.execute(update(User).where(User.username == username)
                             .values(failed_sign_ins=User.failed_sign_ins + 1, last_failed_sign_in_at=utcnow())
                             .execution_options(synchronize_session=False))
    return bool(result.rowcount)


def change_password(session: Session, actor, user: User, password: str) -> None:
    """A new password for ``user``; every session signed in before it ends."""
    if len(password) < 8:
        raise InvalidInput("密码至少 8 位", fields={"password": "密码至少 8 位"})
    user.set_password(password)
    session.flush()
    append_event(session, actor, "user.password_changed", f"user:{user.username}", {})


def end_sessions(session: Session, user: User) -> None:
    """Sign-out: every session ``user`` holds ends, wherever its cookie has been copied to."""
    user.end_sessions()
    session.flush()


EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def set_contact(session: Session, user: User, *, email: str, phone: str) -> dict:
    """The account's own e-mail address and mobile number, where its notices (通知) are sent; either may be
    left empty. Personal data: the event log, which is public, records that they changed, not what they are."""
    email, phone = email.strip(), phone.strip().replace(" ", "").replace("-", "")
    problems = {}
    if email and (len(email) > 254 or not EMAIL.match(email)):
        problems["email"] = "邮箱格式不正确"
    if phone and not MOBILE.match(phone):
        problems["phone"] = "应为 11 位手机号码"
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    changed = {}
    for field, value in (("email", email or None), ("phone", phone or None)):
        if getattr(user, field) != value:
            changed[field] = True
            setattr(user, field, value)
    session.flush()
    if changed:
        append_event(session, user, "user.contact_changed", f"user:{user.username}", {"fields": sorted(changed)})
    return changed
