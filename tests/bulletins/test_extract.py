"""Facts from bulletins: every normalisation rule of the CLI contract (#19), worked by hand on short texts."""

from __future__ import annotations

import datetime as dt

import pytest

from hizone.bulletins.extract import issue_of

from .conftest import facts_of, only

# (text, subject, value, unit, period, qualifier): values worked out by hand from the contract's rules.
EXAMPLES = [
    ("截至2021年底，深圳高新区拥有高新技术企业5450家。", "Z4403", 5450, "家", "2021-12-31", ""),
    ("2021年，天津滨海高新区企业营业收入突破5200亿元。", "Z1201", 5200e8, "元", "2021", "超过"),
    ("今年1-7月，国家高新区实现工业生产总值17.5万亿元。", "national_zones", 17.5e12, "元", "2022-01..07", ""),
    ("湘潭高新区设立2000万元人才奖励资金。", "Z4303", 2000e4, "元", "", ""),
    ("2021年，苏州工业园区实现出口总额1000亿美元。", "Z3205", 1000e8, "美元", "2021", ""),
    ("截至8月31日，国家高新区发布超过5.5万个招聘岗位。", "national_zones", 55000, "个", "2022-08-31", "超过"),
    ("深圳高新区提供产业空间近90万平方米。", "Z4403", 900000, "平方米", "", "近"),
    ("杨凌示范区种子年交易额约8亿元。", "Z6103", 8e8, "元", "", "约"),
    ("深圳高新区覆盖科技企业6000余家。", "Z4403", 6000, "家", "", "余"),
    ("杨凌示范区集聚了科研骨干人才100多名。", "Z6103", 100, "人", "", "余"),
    ("天津滨海高新区高于天津市平均水平20个百分点以上。", "Z1201", 20, "百分点", "", "以上"),
    ("十年来，长沙高新区累计引进重大产业项目410个。", "Z4301", 410, "个", "2012..2021", "累计"),
    ("2021年，国家高新区营业收入同比增长12.9%。", "national_zones", 12.9, "%", "2021", ""),
    ("合肥高新区数字化车间均占合肥市1/4。", "Z3401", 25, "%", "", ""),
    ("十年来，国家高新区内企业营业收入增长2.8倍。", "national_zones", 2.8, "倍", "2012..2021", ""),
    ("2021年，杨凌示范区生产总值是2012年的2.35倍。", "Z6103", 2.35, "倍", "2012..2021", ""),
    ("深圳高新区综合排名第二。", "Z4403", 2, "名次", "", ""),
    ("厦门火炬高新区排名升至全国第14名。", "Z3501", 14, "名次", "", ""),
    ("连云港高新区从创办之初的12平方公里扩至今天。", "Z3217", 12_000_000, "平方米", "", ""),
    ("今年5月，国家高新区营业收入达10万亿元。", "national_zones", 10e12, "元", "2022-05", ""),
    ("去年，国家高新区营业收入达40万亿元。", "national_zones", 40e12, "元", "2021", ""),
    ("2012-2021年，国家高新区营业收入年均增长15.3%。", "national_zones", 15.3, "%", "2012..2021", ""),
    ("截至今年8月底，南阳高新区吸纳应届高校毕业生254人。", "Z4103", 254, "人", "2022-08-31", ""),
    ("深圳高新区研发机构占深圳市比重超四成。", "Z4403", 40, "%", "", "超过"),
    ("国家高新区劳动生产率为全国平均水平的近三倍。", "national_zones", 3, "倍", "", "近"),
    ("苏州高新区累计观看人数达2.9万人次。", "Z3204", 29000, "人次", "", "累计"),
    ("青岛高新区机器人产业集群营业收入超千亿元。", "Z3705", 1000e8, "元", "", "超过"),
    ("深圳高新区拥有高新技术企业5,450家。", "Z4403", 5450, "家", "", ""),
    ("深圳高新区拥有高新技术企业５４５０家。", "Z4403", 5450, "家", "", ""),
    ("青岛高新区审批时限压缩至5个工作日。", "Z3705", 5, "工作日", "", ""),
    ("今年上半年，成都高新区完成固定资产投资430亿元。", "Z5101", 430e8, "元", "2022-01..06", ""),
    ("我国国家高新区数量已达173家。", "national_zones", 173, "家", "", ""),
    ("近5年，国家高新区营业收入年均增长10%。", "national_zones", 10, "%", "2017..2021", ""),
    ("2022年，成都高新区工业增加值增长-3.5%。", "Z5101", -3.5, "%", "2022", ""),
    ("成都高新区位居全国高新区第3位。", "Z5101", 3, "名次", "", ""),
]


@pytest.mark.parametrize(("text", "subject", "value", "unit", "period", "qualifier"), EXAMPLES)
def test_normalisation(text: str, subject: str, value: float, unit: str, period: str, qualifier: str) -> None:
    fact = only(text)
    assert (fact.subject, fact.unit, fact.period, fact.qualifier) == (subject, unit, period, qualifier)
    assert fact.value == pytest.approx(value, rel=1e-9)
    assert fact.quote == text  # one sentence: the quote is all of it


def test_the_issue_date_resolves_this_year_and_last() -> None:
    text = "今年，国家高新区营业收入达50万亿元；去年为47.8万亿元。"
    assert [f.period for f in facts_of(text, dt.date(2023, 3, 1))] == ["2023", "2022"]
    assert [f.period for f in facts_of(text, None)] == ["", ""]  # no date: no year to name


def test_a_comparison_with_last_year_is_no_period() -> None:
    found = facts_of("2021年，成都高新区营业收入同比增长12.3%，增速较去年同期提高2.1个百分点；完成投资430亿元。")
    assert [(f.value, f.unit, f.period) for f in found] == [(12.3, "%", "2021"), (2.1, "百分点", "2021"),
                                                            (430e8, "元", "2021")]


def test_metrics_follow_the_catalog() -> None:
    found = facts_of("2021年，国家高新区营业收入47.8万亿元，同比增长11.7%；拥有高新技术企业11.5万家。")
    assert [(f.metric, f.value) for f in found] == [("revenue", 47.8e12), ("revenue_yoy", 11.7),
                                                    ("high_tech_enterprise_count", 115000)]


def test_growth_from_year_to_year_and_values_at_each_end() -> None:
    found = facts_of("规模以上企业从2012年的67家发展到2021年的228家，同比增长240.3%。")
    assert [(f.value, f.period) for f in found] == [(67, "2012"), (228, "2021"), (240.3, "2012..2021")]


def test_a_number_split_across_a_line_break() -> None:
    text = ("数据显示，截至 2021年年底，深圳高新区拥有高新技术企业 5450\n\n家，年产值超亿元企业970家，"
            "营业收入47.\n8万亿元。")
    found = facts_of(text)
    assert [(f.value, f.unit) for f in found] == [(5450, "家"), (970, "家"), (47.8e12, "元")]
    assert all(f.period == "2021-12-31" and f.subject == "Z4403" for f in found)
    assert found[0].quote == text and "\n" in found[0].quote


def test_page_furniture_inside_a_sentence() -> None:
    text = "深圳高新区拥有高新技术企业\n\n— 12 —\n\n火炬动态 火炬动态\n5450家。\n第 3 页，共 9 页\n"
    fact = only(text)
    assert (fact.subject, fact.value, fact.unit) == ("Z4403", 5450, "家") and fact.quote.endswith("5450家。")


NOT_FACTS = [
    "8月12日，科技部在北京召开国家高新区推进会。",  # a date alone
    "咨询电话：010-58881234，传真：010-58881235。",  # phone numbers
    "天津滨海高新区形成了“113X”高端产业体系。",  # a number inside a name
    "第十一届中国创新创业大赛在深圳高新区举办，共有3万家企业参赛。",  # an ordinal, a contest
    "比如，山东天瑞重工有限公司提供磁悬浮研发工程师等3个科研助理岗位。",  # a single enterprise
    "江苏省高新技术企业达3.7万家。",  # a province
    "全国173家国家高新区管委会有关负责人通过视频连线参加会议。",  # a meeting's attendance
    "青岛高新区推动“1264”战略：“重回前十”1个目标；“先行区”2个任务。",  # the parts of a slogan
    "龙岩高新区研发投入强度4.97%，高于龙岩市1.9%。",  # the city's figure beside the zone's
    "湘潭高新区经过30多年发展，已有5G网络和3D显示。",  # years, and numbers that are names
    "湘潭高新区用6个月出台551人才计划，打造千亿级产业集群。",  # a duration, a name, a scale word
    "龙岩高新区被列入全国第二批企业创新积分试点单位。",  # an ordinal, not a rank
]


@pytest.mark.parametrize("text", NOT_FACTS)
def test_not_facts(text: str) -> None:
    values = [f.value for f in facts_of(text)]
    assert values in ([], [4.97]), values


@pytest.mark.parametrize(("name", "code"), [
    ("深圳高新区", "Z4403"), ("张江", "Z3101"), ("上海张江", "Z3101"), ("张江高新区", "Z3101"),
    ("武汉东湖", "Z4201"), ("东湖高新区", "Z4201"), ("株洲高新区（天元区）", "Z4302"), ("中关村", "Z1101"),
    ("杨凌示范区", "Z6103"), ("成都国家高新区", "Z5101"), ("苏州工业园区", "Z3205"), ("苏州高新区", "Z3204"),
    ("厦门火炬高新区", "Z3501"), ("宜春丰城高新区", "Z3609"), ("丰城高新区", "Z3609"), ("石河子高新区", "Z6503"),
    ("乌鲁木齐高新区（新市区）", "Z6501"),
])
def test_zone_short_forms(name: str, code: str) -> None:
    assert only(f"{name}拥有高新技术企业100家。").subject == code


def test_an_ambiguous_short_form_names_no_zone() -> None:
    # 火炬高新区 could be 厦门, 中山 or 威海 (all 火炬): the article's subject stands
    assert only("火炬高新区拥有高新技术企业100家。").subject == "national_zones"


ARTICLES = """科技部召开国家高新区工作会议

今年1-7月，国家高新区营业收入27.4万亿元。 （供稿：科技部火炬中心）

湘潭高新区加快建设智造谷

这里集聚了企业 3400家，其中高新技术企业 154
家。

主特产业引擎作用凸显

全区拥有国家级平台12个。（供稿：湘潭高新区）

南沙高新区：打造湾区新引擎

截至2021年底，全区拥有高新技术企业800家。（来源：南沙高新区）
"""


def test_the_article_gives_the_subject_and_an_unknown_zone_keeps_its_name() -> None:
    found = facts_of(ARTICLES)
    assert [(f.subject, f.value) for f in found] == [
        ("national_zones", 27.4e12), ("Z4303", 3400), ("Z4303", 154), ("Z4303", 12), ("unknown:南沙高新区", 800)]
    assert found[-1].subject_name == "南沙高新区"
    assert found[1].subject_name == "湘潭高新技术产业开发区"


def test_a_zone_the_registry_does_not_know_where_a_clause_begins_with_it() -> None:
    found = facts_of("国家高新区发展迅速。2021年，南沙高新区拥有高新技术企业800家；深圳高新区拥有5450家。")
    assert [(f.subject, f.subject_name, f.value) for f in found] == [
        ("unknown:南沙高新区", "南沙高新区", 800), ("Z4403", "深圳市高新技术产业园区", 5450)]
    assert only("龙岩高新区入驻孵化企业330家，占入驻高新区企业总数40%以上。".replace("330家，", "")).subject == "Z3507"


def test_a_long_sentence_is_quoted_by_its_clause() -> None:
    clauses = "，".join(f"第{i}项工作扎实推进" for i in range(60))
    text = f"深圳高新区{clauses}；拥有高新技术企业5450家，年产值超亿元企业970家。"
    fact = facts_of(text)[0]
    assert len(text) > 400 and fact.quote == "拥有高新技术企业5450家，年产值超亿元企业970家。"
    assert text[fact.start:fact.end] == fact.quote


def test_issue_from_the_header_or_the_text() -> None:
    assert issue_of("火炬动态\n2022年第9期\n2022年9月20日\n\n深圳高新区…") == ("2022年第9期", dt.date(2022, 9, 20))
    # no header: the latest year at most one past the most mentioned, the latest month and day without a year
    text = "2021年，…。2021年底…。2021年…。力争2030年前实现碳达峰。8月4日，…。2022年 2月，…。8月12日，…。"
    assert issue_of(text) == ("", dt.date(2022, 8, 12))
    assert issue_of("没有日期的文字。") == ("", None)
