"""The words people read for the protocol's shared values, one catalogue per language: case states and transitions,
the three warning levels, task roles and reasons (``TaskBody.why``), report severities, the photo-quality
verdicts, where a case came from and why it waits for triage. The hub's API, Open311, the dashboard
(``/app/labels.js``, generated from this module) and the terminal apps all show these, so there is one wording per
value; screen texts of one app stay in that app's catalogue.

Keys are ``<group>.<value>``: ``state.reported``, ``transition.file``, ``level.red``, ``role.handler``,
``why.update``, ``severity.urgent``, ``photo.too_dark``, ``source.hotline``, ``triage.near_grid``,
``notice.finance`` (a notice's category, 居务公开). Every key is in
every language (tests/protocol/test_labels.py; it also checks the states and transitions against
``hub/cases/states.py``).
Pure data and lookups, no I/O.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

# (key, zh-CN, en): both languages side by side, so an entry cannot be half-written.
_ENTRIES: tuple[tuple[str, str, str], ...] = (
    # case states (hub/cases/states.py; TaskBody.case_state)
    ("state.reported", "已上报", "Reported"),
    ("state.filed", "已立案", "Filed"),
    ("state.not_filed", "不予立案", "Not filed"),
    ("state.dispatched", "已派遣", "Dispatched"),
    ("state.accepted", "已接单", "Accepted"),
    ("state.arrived", "已到场", "On site"),
    ("state.resolved", "已处置", "Resolved"),
    ("state.verified", "已核查", "Verified"),
    ("state.closed", "已结案", "Closed"),
    ("state.suspended", "已挂起", "Suspended"),
    # transitions and the trail entries that change no state (case_events.transition); zh = states.Rule.zh
    ("transition.report", "上报", "New report"),
    ("transition.duplicate", "重复上报并案", "Duplicate report"),
    ("transition.file", "立案", "Filed"),
    ("transition.not_file", "不予立案", "Not filed"),
    ("transition.dispatch", "派遣", "Dispatched"),
    ("transition.reassign", "改派", "Reassigned"),
    ("transition.accept", "接单", "Accepted"),
    ("transition.arrive", "到场", "Arrived"),
    ("transition.return", "退回", "Returned"),
    ("transition.resolve", "处置反馈", "Resolved"),
    ("transition.verify", "核查", "Verified"),
    ("transition.rework", "返工", "Rework"),
    ("transition.close", "结案", "Closed"),
    ("transition.suspend", "挂起", "Suspended"),
    ("transition.resume", "恢复", "Resumed"),
    ("transition.escalate", "升级督办", "Escalated"),
    ("transition.note", "备注", "Note"),
    ("transition.auto_resolve", "系统反馈", "Auto-resolved"),
    ("transition.reopen", "回访不满意返工", "Reopened: resident dissatisfied"),
    # three-colour level of a case (TaskBody.level): the share of its time limit used
    ("level.blue", "蓝色", "Blue"),
    ("level.yellow", "黄色预警", "Yellow"),
    ("level.red", "红色预警", "Red"),
    # what a task's recipient is for (TaskBody.role)
    ("role.handler", "处置", "Handle"),
    ("role.verifier", "核查", "Verify"),
    ("role.informed", "知会", "For information"),
    # why a task message was sent (TaskBody.why), where the value is not a transition (those use transition.*)
    ("why.update", "案件更新", "Case updated"),
    ("why.action_rejected", "操作未生效", "Action not applied"),
    ("why.reminder", "催办", "Reminder"),
    ("why.level", "预警等级变化", "Level changed"),
    # report urgency (IncidentReport.severity)
    ("severity.low", "一般", "Low"),
    ("severity.normal", "普通", "Normal"),
    ("severity.high", "较急", "High"),
    ("severity.urgent", "紧急", "Urgent"),
    # photo-quality verdicts (terminal/camera/pipeline.py QualityIssue): advice shown before a photo is sent
    ("photo.ok", "照片清晰", "Photo looks good"),
    ("photo.too_blurry", "照片模糊，请保持稳定后重拍", "Photo is blurry; hold steady and retake"),
    ("photo.too_dark", "照片太暗，请到光线充足处重拍", "Photo is too dark; find more light and retake"),
    ("photo.too_bright", "照片过曝，请避开强光后重拍", "Photo is overexposed; avoid direct light and retake"),
    # where a case came from (cases.source; hub/store/vocabulary.py CASE_SOURCES)
    ("source.device", "终端上报", "Terminal report"),
    ("source.open311", "网上受理", "Online request"),
    ("source.phone", "来电", "Phone call"),
    ("source.walk_in", "来访", "Walk-in"),
    ("source.hotline", "热线转办", "Hotline transfer"),
    ("source.patrol", "巡查发现", "Found on patrol"),
    ("source.system", "系统生成", "Raised by the hub"),
    # why a reported case waits in the triage queue (待研判) for a person (hub/cases/triage.py)
    ("triage.straddles_boundary", "定位跨网格边界，请确认所属网格",
     "Position straddles a grid boundary: confirm the grid"),
    ("triage.near_grid", "定位在网格外附近，请确认所属网格", "Position just outside the grids: confirm the grid"),
    ("triage.community_fallback", "不在任何网格内，已暂归最近社区",
     "Outside every grid: placed in the nearest community"),
    ("triage.unassigned", "不在任何网格或社区内", "Outside every grid and community"),
    ("triage.unknown_category", "类别未知，请选择类别", "Unknown category: pick one"),
    ("triage.disabled_category", "类别已停用，请另选类别", "Category disabled: pick another"),
    ("triage.low_accuracy", "定位精度低，位置可能不准", "Low position accuracy: the place may be wrong"),
    ("triage.no_grid_leader", "该网格没有网格长，无法自动派遣", "The grid has no grid leader: no automatic dispatch"),
    ("triage.flagged", "待人工确认", "Flagged for review"),
    # categories of a notice (居务公开; protocol/notices.py NOTICE_CATEGORIES): hub, dashboard and kiosk
    ("notice.affairs", "居务公开", "Community affairs"),
    ("notice.finance", "财务公开", "Finances"),
    ("notice.services", "服务事项", "Public services"),
    ("notice.procedures", "办事流程", "How to apply"),
    ("notice.topics", "议题公示", "Topics for discussion"),
    ("notice.general", "通知", "Notices"),
    # 回访 outcomes after a case closes (protocol/followup.py FollowupChoice; hub/followup: 未联系上 by call only)
    ("followup.satisfied", "满意", "Satisfied"),
    ("followup.basically_satisfied", "基本满意", "Basically satisfied"),
    ("followup.dissatisfied", "不满意", "Dissatisfied"),
    ("followup.not_reached", "未联系上", "Not reached"),
)

# TaskBody.why values spelled differently from the transition that causes them (hub/cases/dispatch.py WHY).
_WHY_TRANSITION = {"escalation": "escalate"}

LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    language: MappingProxyType({key: texts[i] for key, *texts in _ENTRIES})
    for i, language in enumerate(LANGUAGES)
})
"""{language: {key: text}}, read-only."""


def language_of(lang: str) -> str:
    """``lang`` as a catalogue language: exact, or by its primary subtag (``zh``, ``zh-Hans`` → ``zh-CN``;
    ``en-GB`` → ``en``). ValueError for a language there is no catalogue for."""
    if lang in LABELS:
        return lang
    primary = lang.replace("_", "-").split("-")[0].lower()
    for language in LANGUAGES:
        if language.split("-")[0] == primary:
            return language
    raise ValueError(f"no labels in {lang!r}; languages: {', '.join(LANGUAGES)}")


def catalogue(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """A copy of one language's whole catalogue."""
    return dict(LABELS[language_of(lang)])


def label(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The text for ``key``; an unknown key comes back as itself (a screen shows it, nothing crashes)."""
    return LABELS[language_of(lang)].get(key, key)


def _value(value: str | Enum) -> str:
    return value.value if isinstance(value, Enum) else value


def _group_label(group: str, value: str | Enum, lang: str) -> str:
    """The label of ``value`` in ``group``; an unknown value comes back as itself (e.g. a state a newer hub added)."""
    value = _value(value)
    return LABELS[language_of(lang)].get(f"{group}.{value}", value)


def state_label(state: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _group_label("state", state, lang)


def transition_label(transition: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _group_label("transition", transition, lang)


def level_label(level: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _group_label("level", level, lang)


def role_label(role: str | Enum, lang: str = DEFAULT_LANGUAGE) -> str:
    return _group_label("role", role, lang)


def severity_label(severity: str | Enum, lang: str = DEFAULT_LANGUAGE) -> str:
    return _group_label("severity", severity, lang)


def photo_label(outcome: str | Enum, lang: str = DEFAULT_LANGUAGE) -> str:
    return _group_label("photo", outcome, lang)


def source_label(source: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _group_label("source", source, lang)


def triage_label(reason: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _group_label("triage", reason, lang)


def notice_category_label(category: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A notice's category in words; an unknown one (a newer hub's) reads as the general category."""
    texts = LABELS[language_of(lang)]
    return texts.get(f"notice.{category}", texts["notice.general"])


def why_label(why: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """``TaskBody.why`` in words: its own ``why.*`` entry, else the transition it is named after; an unknown value
    (a newer hub's) comes back as itself."""
    texts = LABELS[language_of(lang)]
    own = texts.get(f"why.{why}")
    return own if own is not None else texts.get(f"transition.{_WHY_TRANSITION.get(why, why)}", why)


def labels_with_prefix(prefix: str, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """``{value: text}`` of one group, e.g. ``labels_with_prefix("state")`` → ``{"reported": "已上报", ...}``: a
    drop-in for the hand-written ``{value: label}`` dicts the hub had."""
    head = f"{prefix}."
    return {key[len(head):]: text for key, text in LABELS[language_of(lang)].items() if key.startswith(head)}
