"""The dataset lifecycle, declared once: (state, action) -> next state.

- ``draft``: the department's working copy; ``submitted``: awaiting a governance reviewer;
  ``returned``: sent back with a reason; ``published``: in the catalog; ``withdrawn``: taken out
  (never deleted); ``incomplete`` (待完善): kept from a source or a keep-and-flag import with its
  problems listed — published as it is when its source is an approved harvest source.
- Ingest (``harvest``) lands a record as ``published`` when it has no problems, else as
  ``incomplete``; a steward's edit of any state is a new working copy (``update`` → draft, or
  ``submit`` at once), reviewed before it is published, and a record whose published revision
  has no problems is no longer 待完善.
"""

from __future__ import annotations

from catalog.errors import Conflict, Message

STATES = ("draft", "submitted", "published", "returned", "withdrawn", "incomplete")
LABELS: dict[str, Message] = {
    "draft": Message("草稿", "draft"), "submitted": Message("待审核", "submitted"),
    "published": Message("已发布", "published"), "returned": Message("已退回", "returned"),
    "withdrawn": Message("已撤销", "withdrawn"), "incomplete": Message("待完善", "needs completion"),
}
ACTIONS: dict[str, Message] = {
    "update": Message("修改", "be changed"), "submit": Message("提交审核", "be submitted"),
    "publish": Message("发布", "be published"), "return": Message("退回", "be returned"),
    "withdraw": Message("撤销", "be withdrawn"), "harvest": Message("采集更新", "be harvested"),
    "harvest_flagged": Message("采集更新", "be harvested"),
    "harvest_withdraw": Message("撤销", "be withdrawn"),
}
_EDITABLE = ("draft", "submitted", "published", "returned", "withdrawn", "incomplete")

TRANSITIONS: dict[tuple[str, str], str] = {
    # a steward's edit makes a new working copy of any state; submitting sends it to review
    **{(state, "update"): "draft" for state in _EDITABLE},
    **{(state, "submit"): "submitted" for state in ("draft", "returned", "incomplete")},
    # a governance reviewer decides a submitted working copy
    ("submitted", "publish"): "published",
    ("submitted", "return"): "returned",
    # the department takes a dataset out of the catalog
    **{(state, "withdraw"): "withdrawn" for state in _EDITABLE if state != "withdrawn"},
    # an approved source's record: published as it is, or 待完善 with its problems; a record
    # withdrawn because its source stopped listing it comes back the same way
    **{(state, "harvest"): "published" for state in ("published", "incomplete", "withdrawn")},
    **{(state, "harvest_flagged"): "incomplete"
       for state in ("published", "incomplete", "withdrawn")},
    **{(state, "harvest_withdraw"): "withdrawn" for state in _EDITABLE if state != "withdrawn"},
}
# where a new dataset starts, by how it came in (registration, ingest, with problems or not)
INITIAL = {"draft": "draft", "submit": "submitted", "harvest": "published",
           "harvest_flagged": "incomplete", "import_flagged": "incomplete"}


def next_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; Conflict when the table has no such row."""
    found = TRANSITIONS.get((state, action))
    if found is None:
        label = LABELS.get(state, Message(state, state))
        verb = ACTIONS.get(action, Message(action, action))
        raise Conflict(Message(f"当前状态（{label.zh}）不能{verb.zh}。",
                               f"A dataset in state '{state}' cannot {verb.en}."))
    return found


def ingest_action(problems: int) -> str:
    return "harvest_flagged" if problems else "harvest"
