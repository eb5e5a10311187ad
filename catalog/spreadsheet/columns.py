"""Header names beyond the field table: those of real portal exports, those of the 信息项 sheet,
and the headers read on purpose as nothing, each with its reason.

``vocab.fields`` names each field's template header and its common aliases. The portal exports
crawled in ``../shared/corpus/cn-opendata-*`` (13 portals; their crawler's own key map is
``cn-opendata-cnpds/field_mapping.json``) use many more, including the raw English API keys of
the 阿坝州 portal. They are listed here, after the field table's names: when one file has two
headers for the same field, the harvester keeps the column whose name comes first.
"""

from __future__ import annotations

# field -> headers seen in real portal exports (the file noted where only one portal uses it)
PORTAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("名称",                                   # fujian_fuzhou
              "数据目录名称", "资源标题", "资源信息名称",
              "subjectBaseName", "resourceName"),          # sichuan_aba (subjectBaseName)
    "description": ("摘要描述",                         # anhui_chizhou
                    "服务描述",                         # sichuan_meishan
                    "目录摘要", "内容简介", "数据描述",
                    "tableRemark", "remark"),              # sichuan_aba (tableRemark)
    "publisher_name": ("数据来源",                      # fujian_xiamen
                       "资源来源", "发布部门", "提供机构", "所属单位", "数据提供方单位",
                       "资源提供单位", "资源所有权单位", "部门名称", "数源单位/数据提供单位",
                       "orgName", "dataSource"),           # sichuan_aba (orgName)
    # the portals' 主题 / 领域 (theme): matched to the classification where a concept has that
    # name, else the source's default classification applies and the theme becomes a keyword
    "classification": ("重点领域",                      # guangxi_*, anhui_luan, anhui_suzhou
                       "主题名称",                      # guizhou_guiyang
                       "数据领域",                      # sichuan_meishan, jiangxi, anhui_huainan
                       "主题领域",                      # fujian_xiamen
                       "数据主题", "所属主题", "领域", "领域分类", "领域名称", "资源分类名称",
                       "fieldName"),                       # sichuan_aba
    # 数据类型 of anhui_huainan holds file / table / api: the resource form
    "resource_form": ("数据类型", "资源类型"),
    "formats": ("文件类型", "数据下载格式",
                "dataType",                                # sichuan_aba: "xls,xml,json,csv"
                "format", "data_formats"),
    "open_type": ("开放方式",                           # fujian_fuzhou
                  "开放状态", "开放等级",
                  "openTypeName", "openType"),             # sichuan_aba (openTypeName)
    "update_cycle": ("更新频度", "更新时限", "资源更新频率", "资源更新周期",
                     "frequency", "dataUpdatePeriod"),     # sichuan_aba (frequency)
    "issued": ("首次发布日期", "首次发布时间", "目录发布时间", "资源发布日期", "资源出版日期",
               "上传时间",
               "releaseTime", "publishTime",              # sichuan_aba (releaseTime)
               "创建时间"),                             # anhui_huainan, after its 发布时间
    "modified": ("数据更新时间",                        # jiangxi_jiangxi
                 "资源更新日期", "最近更新", "最后更新", "资源发布/更新时间",
                 "updateTime"),                            # sichuan_aba
    "keywords": ("数据标签", "资源标签",
                 "label"),                                 # sichuan_aba
}

# the main sheet's columns for a dataset's contact point and its distribution (挂接资源: a
# file or an interface), one of each a row: column "record field.sub-field" (``vocab.fields``
# ``CONTACT_FIELDS`` / ``DISTRIBUTION_FIELDS``) -> its headers, the template's first. Real
# exports give the provider's phone and e-mail (部门电话, orgEmail …; 联系方式 holds either:
# an address with an @ is read as the e-mail)
SUB_COLUMNS: dict[str, tuple[str, ...]] = {
    "contact_points.name": ("联系人", "联系人姓名", "Contact name"),
    "contact_points.phone": ("联系电话", "部门电话", "联系方式", "提供方联系方式", "技术支持电话",
                             "orgPhone", "departmentContactTel", "Contact phone"),
    "contact_points.email": ("联系邮箱", "电子邮箱", "部门邮箱", "邮箱", "邮箱地址", "技术支持邮箱",
                             "orgEmail", "email", "Contact e-mail"),
    "distributions.access_url": ("访问地址", "接口地址", "服务地址", "Access URL"),
    "distributions.download_url": ("下载地址", "下载链接", "Download URL"),
}

# headers that mean something Mulu's field table has no field for: read as nothing (listed as
# ignored columns in an import), never as an error
_INDUSTRY = ("国民经济行业分类（GB/T 4754），不是信息资源分类；目录中没有行业字段 / the national "
             "industry classification (GB/T 4754), not the resource classification; the catalog "
             "has no industry field")
_VOLUME = ("数据量（条数、文件数）；目录中没有数据量字段 / data volume (rows, files); the catalog "
           "has no data-volume field")
IGNORED_COLUMNS: dict[str, str] = {
    **dict.fromkeys(("所属行业", "行业名称", "行业分类", "行业类型", "数据行业", "国家主题分类",
                     "industry", "industryField", "industryCategory"), _INDUSTRY),
    **dict.fromkeys(("数据量", "数据条数", "数据容量", "资源记录数", "文件数", "dataNumSum",
                     "dataVolume"), _VOLUME),
}

# -- the 信息项 sheet ----------------------------------------------------------------------------

ITEM_SHEETS = ("信息项", "数据项", "信息项目录")   # the first is the template's

# column of the 信息项 sheet -> its meaning; "code" and "title" name the dataset of the item,
# "length" and "primary_key" have no field of their own and are kept in the item's description
ITEM_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("信息资源代码", "资源代码", "目录代码", "资源编码"),
    "title": ("信息资源名称", "资源名称", "数据名称", "数据集名称", "目录名称"),
    "name": ("信息项名称", "数据项名称", "字段名称", "字段名", "字段中文名称", "信息项", "数据项",
             "Data item name", "name"),
    "data_type": ("数据类型", "字段类型", "信息项类型", "数据项类型", "类型", "Data type",
                  "data_type"),
    "description": ("信息项描述", "信息项说明", "字段描述", "字段说明", "说明", "描述", "备注",
                    "含义", "Data item description", "description"),
    "length": ("数据长度", "字段长度", "长度"),
    "primary_key": ("是否主键", "主键"),
}
