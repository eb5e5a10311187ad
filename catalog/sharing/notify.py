"""Notifications: an in-app inbox row per user, and e-mail when MULU_SMTP_HOST is set.

Inbox rows are written in the transaction of the change they report, marked ``pending`` for
e-mail when the deployment has an SMTP server and the user an address. ``deliver`` sends the
pending ones after the commit (and again from the deadline run), so a mail server that is down
delays e-mail and loses nothing; after MAX_ATTEMPTS failures a message is marked ``failed``.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.accounts import actor_of
from catalog.config import Settings
from catalog.db import Dataset, Notification, NotificationAddress, SharingRequest, User
from catalog.store import Store
from catalog.visibility import view_of

log = logging.getLogger("mulu.sharing")

KINDS = ("action_needed", "decided", "deadline_near", "deadline_breached", "grant_expiring")
MAX_ATTEMPTS = 3
SUBJECTS = {
    "action_needed": ("共享申请待您处理", "A sharing request needs your action"),
    "decided": ("共享申请已有处理结果", "A sharing request was decided"),
    "deadline_near": ("共享申请即将超过答复期限", "A sharing request is close to its deadline"),
    "deadline_breached": ("共享申请已超过答复期限", "A sharing request breached its deadline"),
    "grant_expiring": ("共享授权即将到期", "A sharing grant expires soon"),
}


@dataclass(frozen=True)
class Note:
    """One notification to write: its kind, the facts it reports, and what it is about."""

    kind: str
    text: str
    request_id: str | None = None
    grant_id: str | None = None
    dataset_id: str | None = None   # what the note is about: ``text`` only for who may see it
    withheld_text: str = ""         # for the others: the note without the dataset's content

    @property
    def subject(self) -> str:
        zh, en = SUBJECTS[self.kind]
        return f"【政务信息资源目录】{zh} / {en}"


def dataset_page(settings: Settings, dataset_id: str) -> str:
    """The web page a notification links to: the dataset's page with its sharing history
    (requests, decisions, grants), under the deployment's public address."""
    return f"{settings.public_base_url.rstrip('/')}/datasets/{dataset_id}#sharing-history"


def request_page(settings: Settings, request_id: str) -> str:
    """The web page of one request: its state, deadline, history and the decision forms."""
    return f"{settings.public_base_url.rstrip('/')}/sharing/requests/{request_id}"


def notify(session: Session, settings: Settings, user_ids: Iterable[int], note: Note,
           *, skip: int | None = None) -> int:
    """Write ``note`` into each user's inbox (not the acting user's); return how many."""
    users = sorted({u for u in user_ids if u is not None and u != skip})
    if not users:
        return 0
    addresses = set(session.scalars(select(NotificationAddress.user_id)
                                    .where(NotificationAddress.user_id.in_(users))))
    dataset = session.get(Dataset, note.dataset_id) if note.dataset_id else None
    for user in session.scalars(select(User).where(User.id.in_(users))):
        sees = dataset is None or view_of(actor_of(user, settings.security_ceiling),
                                          dataset) is not None
        mail = "pending" if settings.smtp_host and user.id in addresses else ""
        session.add(Notification(user_id=user.id, kind=note.kind, request_id=note.request_id,
                                 grant_id=note.grant_id, subject=note.subject,
                                 body=note.text if sees else note.withheld_text,
                                 mail_state=mail))
    return len(users)


def stewards(session: Session, department_id: int) -> list[int]:
    return list(session.scalars(select(User.id).where(
        User.department_id == department_id, User.role == "steward", User.active.is_(True))))


def reviewers(session: Session, request: SharingRequest) -> list[int]:
    """Governance reviewers who may decide the request (separation of duties applied)."""
    query = select(User.id, User.department_id).where(User.role == "reviewer",
                                                      User.active.is_(True),
                                                      User.id != request.requester_id)
    excluded = {request.requester_department_id, request.provider_department_id}
    return [uid for uid, dept in session.execute(query) if dept not in excluded]


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    timeout: float = 10.0

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


def mailer_for(settings: Settings) -> Mailer | None:
    if not settings.smtp_host:
        return None
    return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_from)


def deliver(store: Store, mailer: Mailer | None, limit: int = 200) -> int:
    """Send pending notification e-mail; return how many were sent."""
    if mailer is None:
        return 0
    with store.reading() as session:
        pending = session.execute(
            select(Notification.id, Notification.subject, Notification.body,
                   Notification.mail_attempts, NotificationAddress.email)
            .join(NotificationAddress, NotificationAddress.user_id == Notification.user_id)
            .where(Notification.mail_state == "pending").order_by(Notification.id)
            .limit(limit)).all()
    sent = 0
    for note_id, subject, body, attempts, email in pending:
        try:
            mailer.send(email, subject, body)
            state = "sent"
            sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("notification %s: e-mail to %s failed: %s", note_id, email, exc)
            state = "failed" if attempts + 1 >= MAX_ATTEMPTS else "pending"
        with store.transaction() as session:
            session.execute(update(Notification).where(Notification.id == note_id)
                            .values(mail_state=state, mail_attempts=attempts + 1))
    return sent
