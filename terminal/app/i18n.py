"""The one translation catalogue of the terminal apps: every string a person reads, zh-CN first, English beside.

Presenters return keys or already-translated text through :class:`Translator`; .kv files never hold
literal Chinese or English, so switching language is one property change and one refresh.

Words for the protocol's shared values (case states, levels, task roles, severities, photo verdicts) are not
written here: they come from ``protocol.labels``, the catalogue the hub's API and dashboard show too.
"""
from __future__ import annotations

from collections.abc import Mapping

from protocol.labels import LABELS

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def _shared(group: str, as_prefix: str | None = None) -> dict[str, tuple[str, str]]:
    """protocol.labels' ``group`` entries as (zh, en) pairs, keyed ``<as_prefix or group>.<value>`` here."""
    head = f"{group}."
    return {f"{as_prefix or group}.{key[len(head):]}": (LABELS["zh-CN"][key], LABELS["en"][key])
            for key in LABELS["zh-CN"] if key.startswith(head)}


CATALOGUE: dict[str, tuple[str, str]] = {
    # app and profiles
    "app.kiosk": ("网格服务终端", "Grid service kiosk"),
    "app.tablet": ("巡逻平板", "Patrol tablet"),
    "app.phone": ("网格员手机", "Grid worker phone"),
    "common.back": ("返回", "Back"),
    "common.home": ("首页", "Home"),
    "common.submit": ("提交", "Submit"),
    "common.cancel": ("取消", "Cancel"),
    "common.language": ("English", "中文"),  # the button shows the language it switches to
    "common.none": ("暂无", "None yet"),
    "common.note": ("补充说明", "Note"),
    "common.note_hint": ("简要描述（选填）", "Short description (optional)"),
    "common.saved": ("已保存，联网后自动上传", "Saved; it uploads when the network allows"),
    # sync status bar
    "sync.online": ("在线", "Online"),
    "sync.offline": ("离线", "Offline"),
    "sync.hub_offline": ("平台暂不可用", "Hub unavailable"),
    "sync.auth_failed": ("认证失败，请联系管理员", "Login refused; contact the administrator"),
    "sync.waiting": ("待上传 {n} 条", "{n} waiting"),
    "sync.all_sent": ("已全部上传", "All sent"),
    "sync.last": ("上次同步 {when}", "Last sync {when}"),
    "sync.never": ("尚未同步", "Not synced yet"),
    "sync.uploading": ("照片上传中 {done}/{total}", "Uploading photos {done}/{total}"),
    "sync.seconds_ago": ("{n} 秒前", "{n} s ago"),
    "sync.minutes_ago": ("{n} 分钟前", "{n} min ago"),
    "sync.hours_ago": ("{n} 小时前", "{n} h ago"),
    "sync.days_ago": ("{n} 天前", "{n} d ago"),
    # kiosk home
    "kiosk.title": ("{grid} 网格服务终端", "{grid} grid service point"),
    "kiosk.report": ("上报问题", "Report a problem"),
    "kiosk.checkin": ("居民签到 / 办事", "Resident check-in / services"),
    "kiosk.notices": ("网格公告", "Grid notices"),
    "kiosk.idle_hint": ("无操作 {n} 秒后回到首页", "Returns home after {n} s without a touch"),
    # report flow
    "report.title": ("上报问题", "Report a problem"),
    "report.title_hazard": ("上报隐患", "Report a hazard"),
    "report.use_current": ("使用当前定位", "Use my position"),
    "report.step_photo": ("第一步：拍照", "Step 1: photo"),
    "report.step_category": ("第二步：问题类别", "Step 2: category"),
    "report.step_details": ("第三步：说明与位置", "Step 3: details and place"),
    "report.capture": ("拍照", "Take photo"),
    "report.retake": ("重拍", "Retake"),
    "report.no_camera": ("摄像头不可用：{error}", "Camera unavailable: {error}"),
    "report.photo_needed": ("请先拍一张清晰的照片", "Take a clear photo first"),
    "report.photo_ok": ("照片清晰，可以继续", "Photo is clear; carry on"),
    "report.faces_blurred": ("已自动模糊 {n} 张人脸", "{n} face(s) blurred automatically"),
    "report.category_needed": ("请选择问题类别", "Choose a category"),
    "report.category_all": ("全部", "All"),
    "report.severity": ("紧急程度", "Urgency"),
    "report.position": ("位置", "Place"),
    "report.position_fixed": ("本终端位置", "This kiosk's place"),
    "report.position_map": ("在地图上选择", "Pick on the map"),
    "report.position_current": ("当前定位（精度 {acc} 米）", "Current fix (±{acc} m)"),
    "report.position_none": ("暂无定位", "No position yet"),
    "report.position_needed": ("请选择位置", "Choose a place"),
    "report.map_cell": ("已选：第 {row} 行 第 {col} 列", "Picked: row {row}, column {col}"),
    "report.next": ("下一步", "Next"),
    "report.done": ("上报成功！编号 {ref}", "Reported! Reference {ref}"),
    # check-in flow
    "checkin.title": ("居民签到 / 办事", "Resident check-in / services"),
    "checkin.scan": ("扫描居民卡二维码", "Scan the resident card QR"),
    "checkin.scan_none": ("未识别到居民卡，请将二维码对准摄像头", "No card found; hold the QR code up to the camera"),
    "checkin.scanned": ("已识别居民卡", "Card recognised"),
    "checkin.card_hint": ("或输入卡号", "Or type the card number"),
    "checkin.card_use": ("使用卡号", "Use number"),
    "checkin.card_bad": ("卡号格式不正确", "That card number is not valid"),
    "checkin.card_needed": ("请先扫描居民卡或输入卡号", "Scan the card or type its number first"),
    "checkin.kind_needed": ("请选择办理事项", "Choose what you came for"),
    "checkin.done": ("签到成功，谢谢！", "Checked in, thank you!"),
    "checkin.wellbeing": ("每日平安签到", "Daily wellbeing check-in"),
    "checkin.service_legal": ("法律咨询", "Legal consultation"),
    "checkin.service_mediation": ("矛盾调解", "Mediation"),
    "checkin.service_repair": ("维修报修", "Repair request"),
    "checkin.service_other": ("其他服务", "Other service"),
    # notices
    "notices.title": ("网格公告", "Grid notices"),
    "notices.empty": ("暂无公告", "No notices"),
    # patrol (tablet)
    "patrol.title": ("巡逻", "Patrol"),
    "patrol.start": ("开始巡逻", "Start patrol"),
    "patrol.stop": ("结束巡逻", "End patrol"),
    "patrol.idle": ("未在巡逻", "Not on patrol"),
    "patrol.running": ("巡逻中 {duration} · {distance}", "On patrol {duration} · {distance}"),
    "patrol.fixes": ("有效定位 {ok} 个，剔除 {bad} 个", "{ok} fixes kept, {bad} rejected"),
    "patrol.no_fix": ("等待定位…", "Waiting for a position…"),
    "patrol.hazard": ("上报隐患", "Report a hazard"),
    "patrol.summary": ("巡逻小结", "Patrol summary"),
    "patrol.summary_text": ("用时 {duration}，里程 {distance}，计入志愿服务 {hours} 小时",
                            "{duration}, {distance}; {hours} volunteer hours"),
    "patrol.needs_fix": ("还没有定位，无法上报", "No position yet; cannot report"),
    "unit.m": ("{n} 米", "{n} m"),
    "unit.km": ("{n} 公里", "{n} km"),
    "unit.hms": ("{h}小时{m}分{s}秒", "{h}h {m}m {s}s"),
    "unit.ms": ("{m}分{s}秒", "{m}m {s}s"),
    # tasks (phone)
    "tasks.title": ("我的任务", "My tasks"),
    "tasks.empty": ("暂无任务", "No tasks"),
    "tasks.new": ("新", "New"),
    "tasks.unsent": ("{n} 项待上传", "{n} to upload"),
    "tasks.deadline": ("期限 {when}", "Due {when}"),
    "tasks.no_deadline": ("无期限", "No deadline"),
    "tasks.overdue": ("已超时", "Overdue"),
    "tasks.detail": ("任务详情", "Task"),
    "tasks.where": ("地点", "Where"),
    "tasks.photos": ("照片 {n} 张", "{n} photo(s)"),
    "tasks.none_selected": ("请从列表选择任务", "Pick a task from the list"),
    "tasks.accept": ("接单", "Accept"),
    "tasks.arrive": ("到场", "Arrived"),
    "tasks.resolve": ("处置反馈", "Resolve"),
    "tasks.return": ("退回", "Return"),
    "tasks.verify": ("核查", "Verify"),
    "tasks.done_accept": ("已接单", "Accepted"),
    "tasks.done_arrive": ("已记录到场（精度 {acc} 米）", "Arrival recorded (±{acc} m)"),
    "tasks.done_resolve": ("已提交处置反馈", "Resolution sent"),
    "tasks.done_return": ("已退回", "Returned"),
    "tasks.done_verify": ("已核查", "Verified"),
    "tasks.need_position": ("暂无定位，请到开阔处再试", "No position yet; try in the open"),
    "tasks.need_photo": ("请拍一张处置结果照片", "Take a photo of the result"),
    "tasks.need_note": ("请填写处置说明", "Write what was done"),
    "tasks.need_reason": ("请填写退回理由", "Give a reason for returning it"),
    "tasks.not_allowed": ("当前不能执行此操作", "That is not possible now"),
    "tasks.reason_hint": ("退回理由", "Reason"),
    "tasks.result_hint": ("处置说明", "What was done"),
    # the protocol's shared words, as the hub shows them: severity.*, quality.* (the photo pipeline's verdicts),
    # and a task's level.*, state.* and role.*
    **_shared("severity"),
    **_shared("photo", "quality"),
    **_shared("level"),
    **_shared("state"),
    **_shared("role"),
}


class Translator:
    """``t(key, **values)`` in the current language; an unknown key shows itself, never crashes a screen."""

    def __init__(self, language: str = DEFAULT_LANGUAGE, catalogue: Mapping[str, tuple[str, str]] = CATALOGUE):
        self.catalogue = catalogue
        self.language = DEFAULT_LANGUAGE
        self.set_language(language)

    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
        self.language = language

    def toggle(self) -> str:
        self.set_language("en" if self.language == "zh" else "zh")
        return self.language

    def t(self, key: str, **values: object) -> str:
        pair = self.catalogue.get(key)
        if pair is None:
            return key
        text = pair[LANGUAGES.index(self.language)]
        return text.format(**values) if values else text

    def pick(self, zh: str, en: str) -> str:
        """For texts that arrive in both languages (category names, the hub's task titles)."""
        return en if self.language == "en" and en else zh
