"""The bot's knowledge: the province's operation guide (陕市监发〔2024〕454号 附件
「陕西省特种设备智慧监管平台操作指引」 and the notice's requirements) as short answers,
and each region's office contact (「各地市办事机构：详见系统首页面—办事机构联系方式」).

A question matches the entry whose keywords it contains, the longest keyword
winning; nothing matching means the bot hands the question to the ops group.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from core.extensions import db
from models.orgs import Region

SITE = "http://sxtzsb.sxsei.com/"
MANUAL = "具体操作详见平台操作手册（系统首页面—用户手册）。"


@dataclass(frozen=True)
class Entry:
    key: str
    keywords: tuple[str, ...]
    answer: str


ENTRIES: tuple[Entry, ...] = (
    Entry("registration", ("注册", "立即注册", "开户", "新用户", "注册账号", "单位注册"),
          "【用户注册】系统首页面—“立即注册”。全省特种设备生产（设计、制造、安装、改造、修理）、使用、充装单位和"
          "检验检测机构都应在平台注册；提交后由所在地监管部门审核，审核结果会通过站内消息通知。"
          f"平台地址：{SITE}（推荐谷歌浏览器）。"),
    Entry("unit_info", ("企业信息", "单位信息", "信息维护", "必填项", "基础设置", "修改单位"),
          "【企业信息维护】登陆—工作台—基础设置—“企业信息”。注册完成的企业（含个人）、检验检测机构应填写各数据项，"
          "尤其是必填项。审核通过后所在地区、单位类型和证照号码不能直接修改，请联系属地监管部门。"),
    Entry("people", ("人员管理", "人员信息", "添加人员", "新增人员", "作业人员", "检验人员", "录入人员"),
          "【人员管理】登陆—工作台—基础设置—“人员管理”。请填写本单位人员基本信息：主要负责人、质量安全总监、"
          "质量安全员、安全总监、安全员、作业人员、检验人员、检测人员、质量保证体系人员等。"),
    Entry("inspection", ("检验", "检测", "报检", "定期检验", "监督检验", "自行检测", "检验报告", "检验结果"),
          "【检验检测】登陆—工作台—检验检测—“业务开通、报检、结果管理”等。生产、使用单位须通过平台申报监督检验、"
          "定期检验及电梯自行检测（公用管道、长输管道除外）；检验检测机构通过平台安排计划、录入发现的问题、上传报告。"),
    Entry("lifecycle", ("使用登记", "施工告知", "告知", "变更登记", "停用", "启用", "注销", "报废", "新增设备",
                        "维保合同", "合同备案", "监管业务", "历史设备", "移装", "办理登记", "登记证"),
          "【监管业务】登陆—工作台—监管业务—“新增设备、新增告知、新增登记”等，可办理施工告知、电梯维保合同备案、"
          "使用登记、变更登记、停用启用、注销报废等全生命周期业务。新设备按新增设备、新增告知、新增使用登记的流程办理；"
          "已认领或线下办理过业务的历史设备，先按数据规范补充/录入/导入设备信息，再办理后续业务。"),
    Entry("lpg", ("液化石油气", "液化气", "煤气罐", "lpg", "液化石油气瓶"),
          "【液化石油气瓶使用登记】登陆—工作台—监管业务—“新增设备、新增登记”等。将原使用登记信息及气瓶基本信息汇总表"
          "录入/导入系统（作为集成对接的源头数据）；新站及新购气瓶的使用登记均在平台办理。充装单位按数据对接要求上传"
          "充装前检查、充装记录、充装后复查。"),
    Entry("industrial_cylinder", ("工业气瓶", "氧气瓶", "乙炔瓶", "工业气体", "氮气瓶", "二氧化碳瓶"),
          "【工业气瓶使用登记】登陆—工作台—监管业务—“新增设备、新增登记”等。将原使用登记信息及气瓶基本信息汇总表"
          "录入/导入系统；新站及新购气瓶的使用登记均在平台办理，并按数据对接要求完成充装记录的集成对接。"),
    Entry("cylinder", ("气瓶", "充装", "气瓶登记", "气瓶使用登记"),
          "【气瓶】液化石油气瓶、工业气瓶的使用登记：登陆—工作台—监管业务—“新增设备、新增登记”等；"
          "充装单位按数据对接要求上传充装记录。请说明是液化石油气瓶还是工业气瓶，以便给出详细指引。"),
    Entry("two_rules", ("两个规定", "日管控", "周排查", "周汇报", "月调度", "安全总监", "安全员", "每日检查"),
          "【两个规定】登陆—工作台—两个规定。生产、使用单位须在平台配备安全总监、安全员，并开展日管控、周排查（周汇报）、"
          "月调度三项制度；安全员每日检查，安全总监每周排查，主要负责人每月调度。"),
    Entry("analysis", ("监管分析", "大屏", "特设大屏", "看板", "统计分析", "数据分析", "运营监管"),
          "【运营监管分析】登陆—工作台—特设大屏/监管分析，供各级监管部门查看总览、应急处置、监管业务、检验检测、"
          "安全追溯、液化石油气瓶等主题的分析。"),
    Entry("onecode", ("一码通", "赋码", "二维码", "设备码", "扫码", "认领"),
          "【设备一码通】平台为使用单位的在用设备赋码，扫码可查看设备检验状态与维保信息。发送“查设备 + 码号”可查询一台设备。"),
    Entry("access", ("网址", "访问地址", "网站", "浏览器", "打不开", "登录不上", "登陆不上", "忘记密码"),
          f"【访问平台】地址：{SITE}；推荐谷歌浏览器，也支持 360 极速、Edge 等常见浏览器。"
          "账号或密码问题请联系单位管理员，或发送“转人工 + 问题”。"),
    Entry("integration", ("对接", "集成", "接口", "数据上传"),
          "【数据集成对接】检验检测机构须完成报检信息及检验结果与平台的集成对接；充装单位须完成充装前检查、"
          "充装记录、充装后复查的数据对接。对接文档请联系运维人员获取（发送“转人工 + 单位名称”）。"),
    Entry("rescue", ("96333", "困人", "被困", "电梯故障", "救援", "投诉"),
          "【96333】电梯困人请立即拨打 96333 应急救援电话；故障报修和投诉建议也可拨打 96333。"),
)

OFFICE_WORDS = ("办事机构", "办事处", "电话", "联系", "地址", "窗口", "办公时间", "在哪")
_PUNCT = re.compile(r"[\s，。！？、；：,.!?;:“”\"'（）()【】\[\]]+")


def normalize(text: str) -> str:
    return _PUNCT.sub("", text or "").lower()


def answer(text: str) -> str | None:
    """The operation guide's answer to a question, or None."""
    q = normalize(text)
    best: tuple[int, int, Entry] | None = None
    for order, entry in enumerate(ENTRIES):
        hits = [k for k in entry.keywords if k.lower() in q]
        if not hits:
            continue
        score = max(len(k) for k in hits) * 10 + len(hits)
        if best is None or score > best[0]:
            best = (score, -order, entry)
    return f"{best[2].answer}{MANUAL}" if best else None


def contacts() -> str:
    """The ops contacts of the notice."""
    return (f"运维电话：{current_app.config['BOT_OPS_PHONE']}；运维微信群：zhjgpt2024（添加运维机器人后进群）。\n"
            "省局特种设备局联系人：吕腊松，029-86138283；省风险监测及应急保障中心联系人：李波，029-82472406。\n"
            "各地市办事机构：系统首页面—办事机构联系方式，或发送“某某区办事机构电话”。")


def _region_names(region: Region) -> list[str]:
    names = [region.name]
    for suffix in ("示范区", "市", "区", "县"):
        if region.name.endswith(suffix) and len(region.name) - len(suffix) >= 2:
            names.append(region.name[: -len(suffix)])
            break
    return names


def find_region(text: str) -> Region | None:
    """The region a question names (「雁塔区」, 「雁塔」, 「西安市雁塔区」 -> 雁塔区), the most specific one."""
    q = normalize(text)
    best: tuple[int, int, Region] | None = None
    for region in db.session.scalars(select(Region).where(Region.level != "province")):
        for name in _region_names(region):
            if name in q:
                rank = (len(region.path), len(name))
                if best is None or rank > best[:2]:
                    best = (*rank, region)
    return best[2] if best else None


def office_answer(text: str) -> str | None:
    """A region office's contact when the question asks for one, walking up the supervision path
    to the nearest office that published its contact."""
    if not any(word in text for word in OFFICE_WORDS):
        return None
    region = find_region(text)
    if region is None:
        return None
    current: Region | None = region
    while current is not None and not current.office_phone:
        current = db.session.get(Region, current.supervision_parent_code) if current.supervision_parent_code else None
    if current is None:
        return (f"{region.name}暂未在平台公布办事机构联系方式。可拨打运维电话 {current_app.config['BOT_OPS_PHONE']} 咨询。")
    lines = [f"{region.name}办事机构" + ("" if current.code == region.code else f"（暂由{current.name}受理咨询）") + "："]
    lines.append(current.office_name or f"{current.name}市场监督管理局")
    lines.append(f"电话：{current.office_phone}")
    if current.office_address:
        lines.append(f"地址：{current.office_address}")
    if current.office_hours:
        lines.append(f"办公时间：{current.office_hours}")
    return "\n".join(lines)
