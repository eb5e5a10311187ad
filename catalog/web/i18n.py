"""UI words in Chinese and English, and the visitor's language (``?lang=en``, kept in the session).

Field labels are never here: they come from the field table (vocab.fields); concept labels come
from the SKOS schemes (vocab.concepts). This table holds only the words of the UI itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from flask import has_request_context, request, session

from catalog.actors import ROLE_LABELS
from catalog.errors import Message
from catalog.web import words
from vocab.concepts import scheme
from vocab.fields import RECORD_BY_NAME, Field

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
SESSION_KEY = "lang"
BEIJING = timezone(timedelta(hours=8), "CST")

_CORE: dict[str, tuple[str, str]] = {
    # site and navigation
    "site.name": ("政务信息资源目录", "Government Information Resource Catalog"),
    "nav.home": ("首页", "Home"),
    "nav.datasets": ("信息资源", "Datasets"),
    "nav.search": ("检索", "Search"),
    "nav.new": ("登记信息资源", "Register a dataset"),
    "nav.review": ("审核队列", "Review queue"),
    "nav.imports": ("批量导入", "Bulk import"),
    "nav.login": ("登录", "Sign in"),
    "nav.logout": ("退出", "Sign out"),
    "nav.api": ("接口文档", "API"),
    "nav.main": ("主导航", "Main navigation"),
    "lang.switch": ("语言", "Language"),
    # bulk import (import jobs)
    "import.title": ("目录表批量导入", "Catalog spreadsheet import"),
    "import.withheld": ("（超出您的密级，不予显示）", "(above your clearance: not shown)"),
    "import.intro": ("上传 .xlsx 或 .csv 目录表（任意行数）：文件保存后在后台导入，本页显示进度和导入报告。",
                     "Upload an .xlsx or .csv catalog spreadsheet (of any length): it is kept and "
                     "imported in the background; this page shows the progress and the report."),
    "import.file": ("目录表文件", "Spreadsheet file"),
    "import.mode": ("导入方式", "Mode"),
    "import.mode_all": ("全部导入或全部不导入（任一行有误则不导入）",
                        "All rows or none (nothing is imported when any row is wrong)"),
    "import.mode_keep": ("保留并标记：每行都保存，缺项的标为待完善",
                         "Keep and flag: every row stored, 待完善 where it lacks something"),
    "import.submit": ("导入后提交审核", "Submit every row for review"),
    "import.department": ("所属部门", "Department"),
    "import.start": ("开始导入", "Start the import"),
    "import.no_file": ("请选择要导入的文件。", "Choose a file to import."),
    "import.started": ("已开始导入，本页将自动刷新显示进度。",
                       "The import has started; this page refreshes to show its progress."),
    "import.jobs": ("导入任务", "Import jobs"),
    "import.none": ("暂无导入任务。", "No import jobs yet."),
    "import.job": ("导入任务 #{id}", "Import job #{id}"),
    "import.status": ("状态", "Status"),
    "import.status.queued": ("排队中", "Queued"),
    "import.status.running": ("导入中", "Running"),
    "import.status.succeeded": ("已完成", "Succeeded"),
    "import.status.failed": ("失败", "Failed"),
    "import.phase.checking": ("检查各行", "Checking the rows"),
    "import.phase.storing": ("写入", "Storing"),
    "import.phase.done": ("完成", "Done"),
    "import.progress": ("进度", "Progress"),
    "import.rows": ("已处理 {done} 行", "{done} rows done"),
    "import.rows_of": ("已处理 {done} / 约 {total} 行", "{done} of about {total} rows done"),
    "import.rows_of_exact": ("已处理 {done} / {total} 行", "{done} of {total} rows done"),
    "import.rate": ("每秒 {rate} 行", "{rate} rows/s"),
    "import.left": ("预计还需 {seconds} 秒", "about {seconds} s left"),
    "import.elapsed": ("已用 {seconds} 秒", "{seconds} s elapsed"),
    "import.refreshing": ("本页每 {n} 秒自动刷新。", "This page refreshes every {n} seconds."),
    "import.created": ("已导入", "Created"),
    "import.flagged": ("待完善", "To complete (待完善)"),
    "import.refused": ("拒绝的行", "Rows refused"),
    "import.problems": ("问题", "Problems"),
    "import.problems_more": ("仅显示前 {n} 条，完整列表见接口 {url}/rows。",
                             "The first {n} are shown; every line: {url}/rows."),
    "import.ignored": ("未识别的列（已忽略）", "Columns not recognised (ignored)"),
    "import.nothing_written": ("全部导入模式：未导入任何记录。", "All or none: nothing was imported."),
    "import.row": ("行", "Row"),
    "import.field": ("字段", "Field"),
    "import.message": ("说明", "Message"),
    "import.file_name": ("文件", "File"),
    "import.requested_by": ("发起人", "Started by"),
    "import.created_at": ("开始时间", "Started"),
    "import.back": ("返回导入任务列表", "Back to the import jobs"),
    # buttons
    "btn.search": ("搜索", "Search"),
    "btn.filter": ("筛选", "Filter"),
    "btn.reset": ("清除筛选", "Clear filters"),
    "btn.login": ("登录", "Sign in"),
    "btn.save_draft": ("保存草稿", "Save draft"),
    "btn.submit_review": ("提交审核", "Submit for review"),
    "btn.edit": ("修改", "Edit"),
    "btn.withdraw": ("撤销", "Withdraw"),
    "btn.publish": ("审核通过并发布", "Approve and publish"),
    "btn.return": ("退回", "Return"),
    "btn.cancel": ("取消", "Cancel"),
    "btn.remove_item": ("删除", "Remove"),
    "btn.prev": ("上一页", "Previous"),
    "btn.next": ("下一页", "Next"),
    "btn.request_share": ("提交共享申请", "Submit the request"),
    # dataset states
    "state": ("状态", "State"),
    "state.all": ("全部状态", "All states"),
    "state.draft": ("草稿", "Draft"),
    "state.submitted": ("待审核", "Submitted"),
    "state.published": ("已发布", "Published"),
    "state.returned": ("已退回", "Returned"),
    "state.withdrawn": ("已撤销", "Withdrawn"),
    "state.incomplete": ("待完善", "Needs completion"),
    "detail.problems": ("待完善事项", "To complete"),
    "detail.problems_hint": ("该信息资源来自数据源，以下内容缺失或不符合编制规则，由提供部门补充完善。",
                             "This record came from a source; the items below are missing or "
                             "break a catalog rule, and the providing department completes them."),
    "problem.source_value": ("来源取值", "source value"),
    # roles (from the one role table in catalog.actors)
    **{f"role.{code}": labels for code, labels in ROLE_LABELS.items()},
    "role": ("角色", "Role"),
    # login
    "login.title": ("用户登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.required": ("请先登录。", "Please sign in."),
    # home
    "home.search_placeholder": ("输入信息资源名称关键字", "Words of a dataset title"),
    "home.intro": ("汇集全省各部门政务信息资源，以共享为原则、不共享为例外。",
                   "The province's government information resources, shared by default."),
    "home.visible": ("可查看的信息资源", "Datasets you can see"),
    "home.own": ("本部门信息资源", "Your department's datasets"),
    "home.queue": ("待审核信息资源", "Datasets awaiting review"),
    "home.recent": ("最近更新", "Recently updated"),
    "home.welcome": ("您好", "Welcome"),
    "home.anonymous": ("登录后可登记、审核信息资源，查看本部门及已发布的目录。",
                       "Sign in to register and review datasets."),
    # lists
    "list.title": ("信息资源目录", "Dataset catalog"),
    "list.department": ("提供部门", "Department"),
    "list.all_departments": ("全部部门", "All departments"),
    "list.keyword": ("名称关键字", "Title contains"),
    "list.total": ("共 {n} 条", "{n} in total"),
    "list.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "list.empty": ("没有符合条件的信息资源。", "No datasets match."),
    "list.updated": ("更新时间", "Updated"),
    "review.title": ("审核队列", "Review queue"),
    "review.empty": ("暂无待审核的信息资源。", "Nothing awaits review."),
    "review.reason": ("审核意见", "Review note"),
    "review.reason_return": ("退回理由（必填）", "Reason for returning (required)"),
    "review.own_department": ("本部门的信息资源由其他审核员审核。",
                              "Another reviewer reviews your own department's entries."),
    "review.submitted_at": ("提交时间", "Submitted"),
    # detail
    "detail.metadata": ("元数据", "Metadata"),
    "detail.department": ("登记部门", "Registering department"),
    "detail.revision": ("版本", "Revision"),
    "detail.published_revision": ("已发布版本", "Published revision"),
    "detail.review_note": ("审核意见", "Review note"),
    "detail.revisions": ("修订记录", "Revisions"),
    "detail.rev_number": ("版本号", "No."),
    "detail.rev_author": ("修订人", "By"),
    "detail.rev_time": ("时间", "When"),
    "detail.rev_changed": ("变更字段", "Changed fields"),
    "detail.rev_note": ("说明", "Note"),
    "detail.rev_first": ("首次登记", "First registration"),
    "detail.download": ("下载元数据", "Download metadata"),
    "detail.actions": ("操作", "Actions"),
    "detail.withdraw_reason": ("撤销原因", "Reason for withdrawing"),
    "detail.no_items": ("未登记信息项。", "No data items."),
    "detail.sources": ("采集来源", "Harvested from"),
    "detail.source_id": ("来源标识", "identifier at source"),
    "detail.source_seen": ("最近采集", "last seen"),
    "detail.source_gone": ("来源已不再列出", "no longer listed by the source"),
    "note.created": ("新建", "created"),
    "note.updated": ("修改", "updated"),
    # sharing: the dataset's history and the request form (states and actions of
    # catalog.sharing.machine; tests check every one has words here)
    "share.history": ("共享记录", "Sharing history"),
    "share.history_empty": ("暂无共享记录。", "No sharing requests or grants yet."),
    "share.history_login": ("登录后可查看与本部门相关的共享记录。",
                            "Sign in to see the sharing history of your department."),
    "share.when": ("时间", "When"),
    "share.who": ("操作人", "By"),
    "share.what": ("事项", "What"),
    "share.requester_department": ("申请部门", "Requesting department"),
    "share.reason": ("理由", "Reason"),
    "share.items": ("信息项", "Data items"),
    "share.period": ("使用期限", "Period"),
    "share.period_to": ("至", "to"),
    "share.action.sharing.file": ("提出共享申请", "Requested"),
    "share.action.sharing.dispute": ("对不予共享提出异议", "Disputed the refusal to share"),
    "share.action.sharing.approve": ("同意", "Approved"),
    "share.action.sharing.narrow": ("缩小范围同意", "Approved in part"),
    "share.action.sharing.reject": ("拒绝", "Rejected"),
    "share.action.sharing.approve_target": ("共享目标审核通过", "Sharing target approved"),
    "share.action.sharing.return": ("退回提供部门重新答复", "Returned to the provider"),
    "share.action.sharing.appeal": ("提出申诉", "Appealed"),
    "share.action.sharing.escalate": ("逾期升级", "Escalated as overdue"),
    "share.action.sharing.withdraw": ("撤回申请", "Withdrawn"),
    "share.action.grant.create": ("授权生效", "Grant issued"),
    "share.action.grant.revoke": ("撤销授权", "Grant revoked"),
    "share.action.grant.expire": ("授权到期", "Grant expired"),
    "share.state.pending_provider": ("待提供部门答复", "Awaiting the provider"),
    "share.state.pending_target": ("待审核共享目标", "Awaiting target review"),
    "share.state.rejected": ("已拒绝", "Rejected"),
    "share.state.appealed": ("申诉中", "Appealed"),
    "share.state.disputed": ("异议审核中", "Disputed"),
    "share.state.escalated": ("已逾期升级", "Escalated"),
    "share.state.granted": ("已授权", "Granted"),
    "share.state.refused": ("不予共享", "Refused"),
    "share.state.withdrawn": ("已撤回", "Withdrawn"),
    "share.relation.requester": ("申请部门", "requester"),
    "share.relation.provider": ("提供部门", "provider"),
    "share.relation.reviewer": ("治理审核", "governance"),
    "share.relation.system": ("系统自动", "automatic"),
    "share.request": ("申请共享", "Request this dataset"),
    "share.note_unconditional": ("无条件共享：提交后即时授权并记录。",
                                 "Shared unconditionally: the request is granted at once."),
    "share.note_conditional": ("有条件共享：提供部门须在 {n} 个工作日内答复，再由治理审核员审核共享目标。",
                               "Shared on conditions: the provider answers within {n} working "
                               "days, then a governance reviewer approves the sharing target."),
    "share.purpose": ("用途", "Purpose"),
    "share.legal_duty": ("所履行的法定职责及依据", "Legal duty served, and its basis"),
    "share.data_items": ("所需信息项", "Data items wanted"),
    "share.target_system": ("接收数据的目标系统", "Receiving system"),
    "share.period_start": ("使用期限起", "Period from"),
    "share.period_start_help": ("不填则自今日起。", "Empty: from today."),
    "share.period_end": ("使用期限止", "Period until"),
    "share.contact": ("联系人及联系方式", "Contact"),
    # form
    "form.new_title": ("登记信息资源", "Register a dataset"),
    "form.edit_title": ("修改信息资源", "Edit dataset"),
    "form.required": ("必填", "required"),
    "form.required_note": ("带 * 的为必填项。", "Fields marked * are required."),
    "form.choose": ("请选择", "Choose…"),
    "form.multiple_help": ("多个值用逗号或换行分隔。", "Separate several values by commas or new lines."),
    "form.errors": ("表单有以下问题，请修改后重新提交：", "Please correct the following:"),
    "form.note": ("修改说明", "Note on this change"),
    "form.department_code": ("登记部门", "Department"),
    "form.readonly_code": ("信息资源代码登记后不可更改。", "The resource code cannot change."),
    "form.item_no": ("序号", "#"),
    "form.row.data_items": ("信息项 {n}", "Data item {n}"),
    "form.row.distributions": ("挂接资源 {n}", "Distribution {n}"),
    "form.row.contact_points": ("联系人 {n}", "Contact point {n}"),
    "form.rows_help.data_items": ("每行一个信息项；空行会被忽略。",
                                  "One data item per row; empty rows are ignored."),
    "form.rows_help.distributions": (
        "每行一个挂接资源（文件、接口或数据表）；空行会被忽略，"
        "清空一行即删除该资源。",
        "One distribution (a file, an interface, a table) per row; empty rows are ignored, and "
        "clearing a row removes it."),
    "form.rows_help.contact_points": ("每行一个联系人；空行会被忽略。",
                                      "One contact point per row; empty rows are ignored."),
    "form.help.languages": ("填写语言代码（如 zh、en）或语言 IRI。",
                            "Language codes (such as zh, en) or language IRIs."),
    "form.help.license": ("许可协议的网址（IRI），如 https://creativecommons.org/licenses/by/4.0/",
                          "The licence's address (IRI), such as "
                          "https://creativecommons.org/licenses/by/4.0/"),
    "btn.add.data_items": ("添加信息项", "Add data item"),
    "btn.add.distributions": ("添加挂接资源", "Add distribution"),
    "btn.add.contact_points": ("添加联系人", "Add contact point"),
    # flash messages
    "flash.logged_in": ("登录成功。", "Signed in."),
    "flash.logged_out": ("已退出登录。", "Signed out."),
    "flash.saved": ("已保存为草稿。", "Saved as a draft."),
    "flash.submitted": ("已提交审核。", "Submitted for review."),
    "flash.withdrawn": ("已撤销。", "Withdrawn."),
    "flash.published": ("已审核通过并发布。", "Approved and published."),
    "flash.returned": ("已退回提供部门。", "Returned to the department."),
    "flash.share_requested": ("共享申请已提交，等待提供部门答复。",
                              "Request filed; the provider will answer."),
    "flash.share_granted": ("无条件共享，已即时授权。", "Shared unconditionally: granted."),
    # errors
    "error.csrf": ("表单已失效或来源不明，请刷新页面后重试。",
                   "The form expired or did not come from this site; reload the page and retry."),
    "error.home": ("返回首页", "Back to the home page"),
    "error.title": ("出错了", "Something went wrong"),
}
UI = words.gathered(_CORE)


def get_lang() -> str:
    if not has_request_context():
        return DEFAULT_LANG
    lang = session.get(SESSION_KEY)
    return lang if lang in LANGS else DEFAULT_LANG


def remember_lang() -> None:
    """Keep ``?lang=zh|en`` in the session for the following pages."""
    lang = request.args.get("lang")
    if lang in LANGS and session.get(SESSION_KEY) != lang:
        session[SESSION_KEY] = lang


def message(key: str) -> Message:
    zh, en = UI[key]
    return Message(zh, en)


def t(key: str, **values: Any) -> str:
    """The UI word ``key`` in the current language, with ``{name}`` placeholders filled."""
    zh, en = UI.get(key, (key, key))
    text = en if get_lang() == "en" else zh
    return text.format(**values) if values else text


def pick(value: Message | dict[str, str] | str) -> str:
    """One side of a bilingual message (a Message or a ``{"zh", "en"}`` dict)."""
    lang = get_lang()
    if isinstance(value, Message):
        return value.en if lang == "en" else value.zh
    if isinstance(value, dict):
        return str(value.get(lang) or value.get(DEFAULT_LANG) or "")
    return str(value)


def label_of(field: Field) -> str:
    return field.label_en if get_lang() == "en" else field.label_zh


def field_label(name: str) -> str:
    """The label of a dataset field (or of a form-only control such as department_code)."""
    field = RECORD_BY_NAME.get(name)
    if field is None:
        return t(f"form.{name}") if f"form.{name}" in UI else name
    return label_of(field)


def concept_label(scheme_name: str, code: str) -> str:
    concepts = scheme(scheme_name)
    return concepts.get(code).label(get_lang()) if code in concepts else code


def state_label(state: str) -> str:
    return t(f"state.{state}")


def role_label(role: str) -> str:
    return t(f"role.{role}") if f"role.{role}" in UI else role


def local_time(value: datetime | None) -> str:
    """A stored (UTC) time as Beijing time, ``YYYY-MM-DD HH:MM``."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def lang_url(lang: str) -> str:
    """The current page in another language."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', lang)])}"


def template_helpers() -> dict[str, Any]:
    return {"t": t, "lang": get_lang(), "pick": pick, "field_label": field_label,
            "concept_label": concept_label, "state_label": state_label,
            "role_label": role_label, "local_time": local_time, "lang_url": lang_url}
