"""The web UI through the Flask test client: sign-in, the dataset form, review, detail, guards."""

from __future__ import annotations

import html
from typing import Any

from werkzeug.datastructures import MultiDict

from catalog.actors import SYSTEM
from tests.factories import MARKET, PUBLIC_SECURITY, World, record


def form_pairs(data: dict[str, Any], **extra: str) -> list[tuple[str, str]]:
    """A record as a browser would post the generated form."""
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        if name == "data_items":
            for item in value:
                for sub in ("name", "data_type", "description"):
                    pairs.append((f"data_items-{sub}", item.get(sub, "")))
        elif isinstance(value, list):
            pairs.append((name, "，".join(value) if name == "keywords" else "\n".join(value)))
        else:
            pairs.append((name, value))
    # one blank data-item row, as the form always offers
    pairs += [("data_items-name", ""), ("data_items-data_type", ""),
              ("data_items-description", "")]
    return pairs + list(extra.items())


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


# -- sign in ------------------------------------------------------------------------------------


def test_login_and_logout(browser, world: World):
    page = browser.get("/login")
    assert page.status_code == 200 and "用户登录" in text(page)
    response = browser.login("steward")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = text(browser.get("/"))
    assert "steward" in home and "数据管理员" in home and "登录成功" in home
    assert browser.post("/logout", form_page="/").status_code == 302
    home = text(browser.get("/"))
    assert "已退出登录" in home and 'action="/logout"' not in home


def test_wrong_password_shows_message_on_form(browser, world: World):
    response = browser.login("steward", "not-the-password")
    assert response.status_code == 401
    body = text(response)
    assert "用户名或密码错误" in body and 'value="steward"' in body
    assert "Traceback" not in body
    with browser.client.session_transaction() as session:
        assert "user_id" not in session


def test_login_follows_local_next_only(browser, world: World):
    response = browser.get("/datasets/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/datasets/new"
    signed_in = browser.post("/login", {"username": "steward", "password": "steward-password",
                                        "next": "/datasets/new"})
    assert signed_in.headers["Location"] == "/datasets/new"
    other = browser.post("/login", {"username": "steward", "password": "steward-password",
                                    "next": "//evil.example/x"})
    assert other.headers["Location"] == "/"


# -- guards -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(browser, world: World):
    for url in ("/datasets/new", "/review"):
        response = browser.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_staff_gets_403_on_new_dataset(browser_as, world: World):
    staff = browser_as("staff")
    response = staff.get("/datasets/new")
    assert response.status_code == 403
    body = text(response)
    assert "需要以下角色之一" in body and "Traceback" not in body
    posted = staff.post("/datasets/new", form_pairs(record()), form_page="/")
    assert posted.status_code == 403
    assert staff.get("/review").status_code == 403
    assert world.services.datasets.list(world.admin).total == 0


def test_post_without_csrf_token_is_refused(browser_as, app, world: World):
    steward = browser_as("steward")
    missing = steward.client.post("/datasets/new", data=MultiDict(form_pairs(record())))
    assert missing.status_code == 400
    assert "表单已失效" in text(missing)
    wrong = steward.client.post("/datasets/new",
                                data=MultiDict([*form_pairs(record()), ("csrf_token", "forged")]))
    assert wrong.status_code == 400
    assert app.test_client().post("/login", data={"username": "steward",
                                                  "password": "steward-password"}).status_code == 400
    assert world.services.datasets.list(world.admin).total == 0


# -- the dataset form ---------------------------------------------------------------------------


def test_form_is_generated_from_the_field_table(browser_as, world: World):
    body = text(browser_as("steward").get("/datasets/new"))
    for label in ("信息资源名称", "信息资源分类", "共享类型", "共享依据", "更新周期", "密级",
                  "信息项名称", "数据类型", "保存草稿", "提交审核"):
        assert label in body
    assert '<textarea id="f-description"' in body          # long text
    assert '<select id="f-share_type"' in body and ">有条件共享</option>" in body
    assert '<input type="date" id="f-issued"' in body
    assert "多个值用逗号或换行分隔" in body                    # formats, keywords, related
    assert "有条件共享、不予共享必须注明法律法规或政策依据" in body  # help_zh
    assert 'value="安徽省公安厅"' in body                      # the steward's department


def test_steward_registers_and_submits_then_reviewer_publishes(browser_as, world: World):
    steward = browser_as("steward")
    data = record(data_items=[{"name": "姓名", "data_type": "string", "description": "公民姓名"},
                              {"name": "出生日期", "data_type": "date"}])
    response = steward.post("/datasets/new", form_pairs(data, action="submit"),
                            form_page="/datasets/new")
    assert response.status_code == 302, text(response)
    stored = world.services.datasets.list(world.steward).items
    assert len(stored) == 1
    view = stored[0]
    assert response.headers["Location"] == f"/datasets/{view.id}"
    assert view.state == "submitted"
    assert view.record["data_items"] == data["data_items"]
    assert view.record["formats"] == ["CSV", "JSON"] and view.record["keywords"] == ["人口", "户籍"]
    assert {k: v for k, v in view.record.items()
            if k not in ("publisher_name", "publisher_code", "resource_code")} == data
    assert "已提交审核" in text(steward.get(response.headers["Location"]))

    reviewer = browser_as("reviewer")
    queue = text(reviewer.get("/review"))
    assert "全省常住人口基本信息" in queue and "审核通过并发布" in queue
    published = reviewer.post(f"/datasets/{view.id}/review",
                              {"action": "publish", "next": "/review"}, form_page="/review")
    assert published.status_code == 302 and published.headers["Location"] == "/review"
    assert world.services.datasets.get(world.reviewer, view.id).state == "published"
    assert "暂无待审核的信息资源" in text(reviewer.get("/review"))

    staff = browser_as("staff")  # another department
    detail = staff.get(f"/datasets/{view.id}")
    assert detail.status_code == 200
    body = text(detail)
    assert "全省常住人口基本信息" in body and "已发布" in body
    assert 'class="actions"' not in body  # no edit, submit or review buttons for staff


def test_save_draft_then_submit_from_detail(browser_as, world: World):
    steward = browser_as("steward")
    response = steward.post("/datasets/new", form_pairs(record(), action="save"),
                            form_page="/datasets/new")
    assert response.status_code == 302
    dataset_id = response.headers["Location"].rsplit("/", 1)[-1]
    assert world.services.datasets.get(world.steward, dataset_id).state == "draft"
    detail = text(steward.get(f"/datasets/{dataset_id}"))
    assert "已保存为草稿" in detail and "草稿" in detail and "提交审核" in detail
    submitted = steward.post(f"/datasets/{dataset_id}/submit", form_page="/")
    assert submitted.status_code == 302
    assert world.services.datasets.get(world.steward, dataset_id).state == "submitted"
    again = steward.post(f"/datasets/{dataset_id}/submit", form_page="/")
    assert again.status_code == 302
    assert "不能提交审核" in text(steward.get(f"/datasets/{dataset_id}"))


def test_invalid_form_rerenders_with_messages_in_chinese(browser_as, world: World):
    steward = browser_as("steward")
    data = record(title=None, share_basis=None)
    response = steward.post("/datasets/new", form_pairs(data, action="submit"),
                            form_page="/datasets/new")
    assert response.status_code == 422
    body = text(response)
    assert "表单有以下问题" in body
    assert "缺少必填字段。" in body
    assert "有条件共享必须注明共享依据（法律法规或政策文件）。" in body
    # the user's values are kept
    assert data["description"] in body and 'value="公民姓名"' in body
    assert '<option value="conditional" selected>' in body
    assert world.services.datasets.list(world.admin).total == 0


def test_invalid_form_messages_in_english(browser_as, world: World):
    steward = browser_as("steward")
    steward.get("/?lang=en")
    response = steward.post("/datasets/new", form_pairs(record(title=None, share_basis=None),
                                                        action="submit"),
                            form_page="/datasets/new")
    assert response.status_code == 422
    body = text(response)
    assert "Please correct the following" in body
    assert "Missing data for required field." in body
    assert "A legal or policy basis is required for 'Conditional sharing'." in body
    assert "缺少必填字段" not in body
    assert world.services.datasets.list(world.admin).total == 0


def test_data_item_errors_are_placed_on_their_row(browser_as, world: World):
    steward = browser_as("steward")
    data = record(data_items=[{"name": "姓名", "data_type": "string"},
                              {"data_type": "date", "description": "没有名称"}])
    response = steward.post("/datasets/new", form_pairs(data), form_page="/datasets/new")
    assert response.status_code == 422
    body = text(response)
    assert 'href="#item-1-name"' in body and "信息项 2 · 信息项名称" in body
    assert world.services.datasets.list(world.admin).total == 0


def test_edit_keeps_code_and_records_a_revision(browser_as, world: World):
    view = world.services.datasets.register(world.steward, record())
    steward = browser_as("steward")
    form = text(steward.get(f"/datasets/{view.id}/edit"))
    assert 'value="101001/000001"' in form and "readonly" in form
    assert "姓名\n" not in form and 'value="姓名"' in form
    changed = form_pairs({**view.record, "title": "全省常住人口基本信息（2024版）"},
                         action="save", note="更新名称")
    response = steward.post(f"/datasets/{view.id}/edit", changed, form_page="/")
    assert response.status_code == 302, text(response)
    current = world.services.datasets.get(world.steward, view.id)
    assert current.revision == 2 and current.record["title"].endswith("（2024版）")
    detail = text(steward.get(f"/datasets/{view.id}"))
    revisions = detail.split("修订记录")[1]
    assert "更新名称" in revisions and "信息资源名称" in revisions and "首次登记" in revisions
    other = browser_as("steward_other")
    assert other.get(f"/datasets/{view.id}/edit").status_code == 404


# -- detail, review and withdraw ----------------------------------------------------------------


def test_detail_page_shows_labels_concepts_items_and_downloads(browser_as, world: World):
    view = world.services.datasets.register(world.steward, record())
    steward = browser_as("steward")
    body = text(steward.get(f"/datasets/{view.id}"))
    for label in ("信息资源代码", "共享类型", "信息资源分类", "更新周期", "信息项名称", "数据类型"):
        assert f">{label}<" in body
    assert "有条件共享" in body and "101001 人口基本信息" in body and "接口服务" in body
    assert "每日" in body and "字符型" in body and "日期型" in body and "内部" in body
    assert "101001/000001" in body and "草稿" in body
    for fmt in ("ttl", "rdf", "jsonld"):
        assert f'href="/dataset/{view.id}.{fmt}"' in body
    assert f'href="/datasets/{view.id}/edit"' in body and "撤销" in body
    english = text(steward.get(f"/datasets/{view.id}?lang=en"))
    assert "Resource code" in english and "Conditional sharing" in english
    assert "Character" in english and "Draft" in english


def test_reviewer_returns_with_reason(browser_as, world: World):
    view = world.services.datasets.register(world.steward, record(), submit=True)
    reviewer = browser_as("reviewer")
    detail = text(reviewer.get(f"/datasets/{view.id}"))
    assert "退回" in detail and "审核通过并发布" in detail and "修改</a>" not in detail
    no_reason = reviewer.post(f"/datasets/{view.id}/review", {"action": "return"}, form_page="/")
    assert no_reason.status_code == 302
    assert "退回必须说明理由" in text(reviewer.get(f"/datasets/{view.id}"))
    assert world.services.datasets.get(world.reviewer, view.id).state == "submitted"
    returned = reviewer.post(f"/datasets/{view.id}/review",
                             {"action": "return", "reason": "请补充信息项说明"}, form_page="/")
    assert returned.status_code == 302
    steward_view = text(browser_as("steward").get(f"/datasets/{view.id}"))
    assert "已退回" in steward_view and "请补充信息项说明" in steward_view


def test_steward_cannot_review_and_reviewer_cannot_edit(browser_as, world: World):
    view = world.services.datasets.register(world.steward, record(), submit=True)
    steward = browser_as("steward")
    assert steward.post(f"/datasets/{view.id}/review", {"action": "publish"},
                        form_page="/").status_code == 403
    reviewer = browser_as("reviewer")
    assert reviewer.get(f"/datasets/{view.id}/edit").status_code == 403
    assert world.services.datasets.get(world.reviewer, view.id).state == "submitted"


def test_withdraw_hides_dataset_from_other_departments(browser_as, world: World):
    datasets = world.services.datasets
    view = datasets.register(world.steward, record(), submit=True)
    datasets.review(world.reviewer, view.id, "publish")
    staff = browser_as("staff")
    assert staff.get(f"/datasets/{view.id}").status_code == 200
    response = browser_as("steward").post(f"/datasets/{view.id}/withdraw",
                                          {"reason": "停止采集"}, form_page="/")
    assert response.status_code == 302
    assert datasets.get(world.steward, view.id).state == "withdrawn"
    assert staff.get(f"/datasets/{view.id}").status_code == 404


# -- lists, home and language -------------------------------------------------------------------


def test_list_filters_and_pagination(browser_as, world: World):
    datasets = world.services.datasets
    for n in range(23):
        datasets.register(world.steward, record(title=f"人口数据集{n:02d}"))
    datasets.register(world.admin, record(title="企业登记信息", classification="102002"),
                      department_code=MARKET)
    steward = browser_as("steward")
    first = text(steward.get("/datasets"))
    assert "共 23 条" in first and "第 1 / 2 页" in first and "下一页" in first
    second = text(steward.get("/datasets?page=2"))
    assert "第 2 / 2 页" in second and second.count("人口数据集") == 3
    filtered = text(steward.get(f"/datasets?q=数据集05&department={PUBLIC_SECURITY}&state=draft"))
    assert "共 1 条" in filtered and "人口数据集05" in filtered
    assert "共 0 条" in text(steward.get("/datasets?state=published"))
    assert "共 23 条" in text(steward.get("/datasets?state=bogus&page=x"))


def test_home_counts_search_and_language_switch(browser, browser_as, world: World):
    datasets = world.services.datasets
    view = datasets.register(world.steward, record(security_level="public"), submit=True)
    datasets.review(world.reviewer, view.id, "publish")
    datasets.register(world.steward, record(title="流动人口登记信息"))
    anonymous = text(browser.get("/"))
    assert "政务信息资源目录" in anonymous and 'action="/search"' in anonymous  # full-text search
    assert "全省常住人口基本信息" in anonymous and "流动人口登记信息" not in anonymous
    steward = browser_as("steward")
    home = text(steward.get("/"))
    assert "本部门信息资源" in home and "安徽省公安厅" in home
    assert "共 1 条" in text(steward.get("/datasets?q=流动"))
    english = text(steward.get("/?lang=en"))
    assert "Your department's datasets" in english and "Sign out" in english
    assert 'href="/?lang=zh"' in english
    assert "Datasets you can see" in text(steward.get("/"))  # kept in the session
    assert "本部门信息资源" in text(steward.get("/?lang=zh"))
    reviewer_home = text(browser_as("reviewer").get("/"))
    assert "待审核信息资源" in reviewer_home and "审核队列" in reviewer_home


def test_error_pages_are_bilingual_and_have_no_trace(browser, world: World):
    missing = browser.get("/datasets/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    body = text(missing)
    assert "信息资源不存在或无权查看" in body and "登录" in body
    browser.get("/?lang=en")
    assert "No such dataset" in text(browser.get("/datasets/not-a-uuid"))


def test_admin_registers_for_a_chosen_department(browser_as, world: World):
    admin = browser_as("admin")
    form = text(admin.get("/datasets/new"))
    assert 'name="department_code"' in form and "安徽省市场监督管理局" in form
    missing = admin.post("/datasets/new", form_pairs(record()), form_page="/")
    assert missing.status_code == 422 and "管理员登记时必须指定部门" in text(missing)
    response = admin.post("/datasets/new", form_pairs(record(), department_code=MARKET),
                          form_page="/")
    assert response.status_code == 302
    [view] = world.services.datasets.list(SYSTEM).items
    assert view.department_code == MARKET


def test_static_assets_are_local(browser, world: World):
    page = text(browser.get("/"))
    assert 'href="/static/mulu.css"' in page and 'src="/static/mulu.js"' in page
    assert "cdn" not in page.lower() and 'src="http' not in page and 'href="http' not in page
    for asset in ("/static/mulu.css", "/static/mulu.js"):
        response = browser.get(asset)
        assert response.status_code == 200 and response.data
        response.close()


def test_data_item_columns_use_their_own_labels(browser_as, world: World):
    body = text(browser_as("steward").get("/datasets/new?lang=en"))
    assert "Data item name" in body and "Data item description" in body
    assert 'aria-label="Summary"' not in body
    assert "<template" in body and 'class="js-add-item"' in body


def test_editing_in_the_form_keeps_what_the_form_does_not_show(browser_as, world: World):
    """Spatial and temporal coverage, access rights … have no widget: a form edit carries them
    over rather than dropping them (tests/web/test_dcat_form.py: the shown DCAT values)."""
    extra = {"spatial": [{"uri": "http://sws.geonames.org/1818058/"}],
             "temporal": [{"start_date": "2020-01-01", "end_date": "2024-12-31"}],
             "access_rights": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
             "conforms_to": ["http://example.gov.cn/standard/1"]}
    view = world.services.datasets.register(world.steward, {**record(), **extra})
    steward = browser_as("steward")
    shown = {k: v for k, v in view.record.items() if k not in extra}   # what the form posts
    changed = form_pairs({**shown, "title": "全省常住人口基本信息（修订）"}, action="save")
    assert steward.post(f"/datasets/{view.id}/edit", changed, form_page="/").status_code == 302
    current = world.services.datasets.get(world.steward, view.id).record
    assert current["title"].endswith("（修订）")
    assert {k: current[k] for k in extra} == extra
