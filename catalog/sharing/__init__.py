"""Sharing requests, sharing-target review, grants, deadlines and notifications (issue 5).

The rules of 《政务信息资源共享管理暂行办法》(国发〔2016〕51号), DESIGN §4: machine.py holds the
state machine, workdays.py the Chinese working-day calendar, service.py the use cases.
"""

from catalog.sharing.service import SharingService

__all__ = ["SharingService"]
