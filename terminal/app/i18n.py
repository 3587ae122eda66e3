"""The one translation catalogue of the terminal apps: every string a person reads, zh-CN first, English beside.

Presenters return keys or already-translated text through :class:`Translator`; .kv files never hold
literal Chinese or English, so switching language is one property change and one refresh.

Words for the protocol's shared values (case states, levels, task roles, severities, photo verdicts) are not
written here: they come from ``protocol.labels``, the catalogue the hub's API and dashboard show too.
"""
from __future__ import annotations

from collections.abc import Mapping

from protocol.labels import LABELS
from terminal.app.i18n_deliberation import DELIBERATION_TEXTS
from terminal.app.i18n_followup import FOLLOWUP_TEXTS
from terminal.app.i18n_kiosk import KIOSK_TEXTS
from terminal.app.i18n_services import SERVICES_TEXTS
from terminal.app.i18n_watch import WATCH_TEXTS

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
    "sync.nothing": ("暂无待上传", "Nothing waiting"),  # never synced and nothing made yet: not "all sent"
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
    "common.colon": ("：", ": "),  # a label's colon: full-width in Chinese only
    "report.position_fixed": ("本终端位置", "This kiosk's place"),
    "report.position_map": ("在地图上选择", "Pick on the map"),
    "report.position_current": ("当前位置（误差约 {acc} 米）", "Where you are now (within {acc} m)"),
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
    "patrol.fixes": ("已记录 {ok} 个位置", "{ok} places recorded"),
    "patrol.skipped": ("（信号弱，{n} 次没记上）", " ({n} skipped: weak signal)"),
    "patrol.no_fix": ("正在找位置…请到开阔处", "Finding your position… step into the open"),
    "patrol.map_hint": ("开始巡逻后，这里会画出走过的路线", "Your route is drawn here once you start"),
    "patrol.confirm_text": ("确定结束这次巡逻吗？已巡逻 {duration}，走了 {distance}",
                            "End this patrol? {duration} so far, {distance} walked"),
    "patrol.confirm_yes": ("确定结束", "Yes, end it"),
    "patrol.delivered": ("。社区已收到", ". The community has it"),
    "patrol.not_delivered": ("。联网后自动交给社区", ". It goes to the community once online"),
    "patrol.map_legend": ("蓝框：本网格　橙线：走过的路　白点：起点　绿点：现在的位置",
                          "Blue: your grid · orange: where you walked · white: start · green: you are here"),
    "patrol.keep_going": ("继续巡逻", "Keep patrolling"),
    "patrol.hazard": ("上报隐患", "Report a hazard"),
    "patrol.summary": ("上次巡逻", "Last patrol"),
    "patrol.summary_text": ("用时 {duration}，走了 {distance}，记录 {places} 个位置（约 {hours} 小时志愿服务）",
                            "{duration}, {distance} walked, {places} places recorded (about {hours} volunteer hours)"),
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
    "tasks.no_photos": ("无照片", "No photos"),
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
    # the phone's task list and detail: chips, banner, photos, map and navigation
    "tasks.badge": ("新任务 {n}", "{n} new"),
    "tasks.banner_new": ("新任务：{title}", "New task: {title}"),
    "tasks.banner_changed": ("任务有更新：{title}", "Task updated: {title}"),
    "tasks.banner_withdrawn": ("任务已撤回：{title}", "Task withdrawn: {title}"),
    "tasks.navigate": ("导航", "Navigate"),
    "tasks.nav_opened": ("已打开导航：{coords}", "Opened in navigation: {coords}"),
    "tasks.nav_manual": ("本机无导航应用，请手动输入坐标：{coords}", "No navigation app here; enter: {coords}"),
    "tasks.photo_tap": ("点击看原图", "Tap for full photo"),
    "tasks.photo_loading": ("原图下载中…", "Downloading…"),
    "tasks.photo_saved": ("原图已存本机", "Saved on phone"),
    "tasks.photo_offline": ("无网络，稍后再试", "Offline; try later"),
    "tasks.photo_not_found": ("平台暂无此照片", "Not on the hub yet"),
    "tasks.photo_refused": ("设备认证失败", "Device login refused"),
    "tasks.photo_bad_data": ("照片校验失败", "Photo failed its check"),
    "tasks.photo_no_hub": ("未配置平台地址", "No hub address set"),
    "tasks.photo_no_preview": ("暂无缩略图", "No preview yet"),
    "tasks.close_photo": ("关闭", "Close"),
    "photo_role.report": ("上报照片", "Report"),
    "photo_role.before": ("处置前", "Before"),
    "photo_role.after": ("处置后", "After"),
    "chip.new": ("新任务", "New"),
    "chip.accepted": ("已接单", "Accepted"),
    "chip.on_site": ("已到场", "On site"),
    "chip.resolved": ("已处置", "Resolved"),
    "chip.withdrawn": ("已撤回", "Withdrawn"),
    "where.far": ("约 {distance} · {direction}", "about {distance} · {direction}"),
    "where.here": ("就在附近", "You are there"),
    "where.no_fix": ("本机暂无定位", "No position on this phone yet"),
    "where.no_place": ("任务无位置", "The task has no place"),
    "where.you": ("我", "Me"),
    "dir.n": ("北", "N"),
    "dir.ne": ("东北", "NE"),
    "dir.e": ("东", "E"),
    "dir.se": ("东南", "SE"),
    "dir.s": ("南", "S"),
    "dir.sw": ("西南", "SW"),
    "dir.w": ("西", "W"),
    "dir.nw": ("西北", "NW"),
    # the protocol's shared words, as the hub shows them: severity.*, quality.* (the photo pipeline's verdicts),
    # and a task's level.*, state.* and role.*
    **_shared("severity"),
    **_shared("photo", "quality"),
    **_shared("level"),
    **_shared("state"),
    **_shared("role"),
    **KIOSK_TEXTS,  # the kiosk's success screen, on-screen input, 查进度 and notices archive
    **FOLLOWUP_TEXTS,  # 回访: the follow-up prompt on a card tap and at 查进度
    **DELIBERATION_TEXTS,  # 议事: topics, votes (one per card) and comments at the kiosk
    **SERVICES_TEXTS,  # 服务: the service check-in's case reference, the phone's home visit (入户走访)
    **WATCH_TEXTS,  # 1+1+N: the helper's watch list (平安 / 异常 and the signs seen)
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
