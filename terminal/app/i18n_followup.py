"""The kiosk's 回访 texts (the follow-up prompt on a card tap and at 查进度), merged into
:data:`terminal.app.i18n.CATALOGUE`. The answer words (满意 / 基本满意 / 不满意) come from ``protocol.labels``
(``followup.*``), the same the dashboard shows. zh-CN first, English beside."""
from __future__ import annotations

from protocol.labels import LABELS

FOLLOWUP_TEXTS: dict[str, tuple[str, str]] = {
    "followup.title": ("回访", "Follow-up"),
    "followup.question": ("您反映的 {ref} 已办结，您满意吗？", "The problem you reported, {ref}, has been dealt "
                                                          "with. Are you satisfied?"),
    "followup.case": ("{category} · {title}", "{category} · {title}"),
    "followup.words_hint": ("还有什么想说的？（选填）", "Anything to add? (optional)"),
    "followup.later": ("下次再说", "Not now"),
    "followup.thanks": ("感谢您的评价！", "Thank you for your answer!"),
    "followup.thanks_rework": ("已记录，我们会安排重新处理", "Noted: the case goes back for rework"),
    "followup.lookup_prompt": ("该案件已办结，欢迎评价", "This case is closed: tell us how it went"),
    "followup.report_with_card": ("用此卡上报问题", "Report a problem with this card"),
    "followup.card_on_report": ("已刷卡：办结后将请您评价", "Card tapped: once it is dealt with you will be asked "
                                                       "how it went"),
    **{f"followup.choice.{key.split('.', 1)[1]}": (LABELS["zh-CN"][key], LABELS["en"][key])
       for key in LABELS["zh-CN"] if key.startswith("followup.")},
}
