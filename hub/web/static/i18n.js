// Every string the dashboard shows, zh-CN first (the default) and English alongside: one catalogue.
// The words for the protocol's shared values - state.*, transition.*, level.*, role.*, why.*, severity.*, photo.* -
// are not written here: labels.js is served by the hub from protocol/labels.py, the catalogue its API, Open311 and
// the terminal apps use too. This file holds the dashboard's own screen texts only.
import { LABELS } from "./labels.js";

const OWN = {
  "zh-CN": {
    "app.title": "网格化指挥中心",
    "nav.map": "实时地图", "nav.feed": "实时动态", "nav.board": "任务看板", "nav.devices": "终端设备",
    "nav.stats": "统计考核", "nav.logout": "退出",
    "login.title": "指挥中心登录", "login.username": "用户名", "login.password": "密码", "login.submit": "登录",
    "login.failed": "登录失败", "login.locked": "账号已临时锁定，请稍后再试",
    "login.ended": "会话已结束（账号停用或密码已更改），请重新登录",
    "live.open": "实时连接", "live.reconnecting": "重新连接中…", "live.closed": "已断开",
    "feed.title": "实时动态", "feed.empty": "暂无动态", "feed.times": "{n} 条相似",
    "map.legend": "图例", "map.grid": "网格", "map.open": "在办 {n} 件", "map.overdue": "超期 {n} 件",
    "map.online": "在线", "map.offline": "离线", "map.patrol": "巡逻人员", "map.terminal": "终端",
    "map.noTiles": "无底图（可在设置中配置瓦片地址）",
    "feed.welfare": "独居老人未签到",
    "case.title": "案件详情", "case.holder": "当前处置人", "case.deadline": "处置时限", "case.remaining": "剩余时间",
    "case.overdue": "已超期", "case.none": "无", "case.timeline": "处置过程", "case.photos": "现场照片",
    "case.actions": "操作", "case.reason": "理由", "case.note": "说明", "case.assignee": "处置人",
    "case.submit": "确定", "case.cancel": "取消", "case.viewerNote": "只读账号，不能操作",
    "case.noPerson": "账号未关联人员，不能操作", "case.noActions": "当前无可执行操作",
    "case.level": "等级", "case.state": "状态", "case.category": "类别", "case.grid": "网格", "case.reports": "上报次数",
    "case.done": "操作成功", "case.back": "返回", "case.notFound": "案件不存在或无权查看",
    "board.title": "任务看板", "board.empty": "无在办案件", "board.noDeadline": "未定时限",
    "dev.title": "终端设备", "dev.id": "设备", "dev.kind": "类型", "dev.unit": "所属单元", "dev.owner": "使用人",
    "dev.state": "状态", "dev.lastSeen": "最后通信", "dev.outbox": "待发记录", "dev.photos": "待传照片",
    "dev.battery": "电量", "dev.version": "版本", "dev.skew": "时钟偏差", "dev.stale": "失联",
    "dev.summary": "共 {n} 台，在线 {on} 台，失联 {stale} 台",
    "kind.kiosk": "自助终端", "kind.tablet": "巡逻平板", "kind.phone": "手机",
    "stats.title": "统计考核", "stats.from": "开始", "stats.to": "结束", "stats.group": "分组", "stats.show": "查询",
    "stats.csv": "导出 CSV", "stats.grid": "按网格", "stats.community": "按社区", "stats.category": "按类别",
    "stats.reported": "上报数", "stats.filed": "立案数", "stats.closed": "结案数", "stats.closure": "结案率",
    "stats.onTime": "按期结案率", "stats.rework": "返工率", "stats.accept": "平均接单时长",
    "stats.resolve": "平均处置时长", "stats.overdue": "当前超期", "stats.counts": "案件数量", "stats.rates": "考核比率",
    "stats.times": "处置时长（分钟）", "stats.none": "所选时段无数据", "stats.7d": "近7天", "stats.30d": "近30天",
    "unit.min": "分钟", "unit.h": "小时", "unit.d": "天", "ago": "{t}前", "later": "{t}后",
    "err.generic": "出错了",
  },
  en: {
    "app.title": "Grid Command Centre",
    "nav.map": "Live map", "nav.feed": "Live feed", "nav.board": "Task board", "nav.devices": "Devices",
    "nav.stats": "Statistics", "nav.logout": "Sign out",
    "login.title": "Control room sign-in", "login.username": "User name", "login.password": "Password",
    "login.submit": "Sign in", "login.failed": "Sign-in failed", "login.locked": "Account locked; try again later",
    "login.ended": "Your session ended (account disabled or password changed); please sign in again",
    "live.open": "Live", "live.reconnecting": "Reconnecting…", "live.closed": "Disconnected",
    "feed.title": "Live feed", "feed.empty": "Nothing yet", "feed.times": "{n} similar",
    "map.legend": "Legend", "map.grid": "Grid", "map.open": "{n} open", "map.overdue": "{n} overdue",
    "map.online": "online", "map.offline": "offline", "map.patrol": "Patrol", "map.terminal": "Terminal",
    "map.noTiles": "No base map (set a tile URL in the settings)",
    "feed.welfare": "Missed elderly check-in",
    "case.title": "Case", "case.holder": "Held by", "case.deadline": "Deadline", "case.remaining": "Time left",
    "case.overdue": "Overdue", "case.none": "none", "case.timeline": "Timeline", "case.photos": "Photos",
    "case.actions": "Actions", "case.reason": "Reason", "case.note": "Note", "case.assignee": "Assignee",
    "case.submit": "Confirm", "case.cancel": "Cancel", "case.viewerNote": "View-only account: no actions",
    "case.noPerson": "Account not linked to a person: no actions", "case.noActions": "No action possible now",
    "case.level": "Level", "case.state": "State", "case.category": "Category", "case.grid": "Grid",
    "case.reports": "Reports", "case.done": "Done", "case.back": "Back", "case.notFound": "No such case (or not yours)",
    "board.title": "Task board", "board.empty": "No open cases", "board.noDeadline": "no deadline",
    "dev.title": "Devices", "dev.id": "Device", "dev.kind": "Kind", "dev.unit": "Unit", "dev.owner": "Owner",
    "dev.state": "State", "dev.lastSeen": "Last seen", "dev.outbox": "Outbox", "dev.photos": "Photos pending",
    "dev.battery": "Battery", "dev.version": "App version", "dev.skew": "Clock skew", "dev.stale": "stale",
    "dev.summary": "{n} devices, {on} online, {stale} stale",
    "kind.kiosk": "Kiosk", "kind.tablet": "Patrol tablet", "kind.phone": "Phone",
    "stats.title": "Statistics", "stats.from": "From", "stats.to": "To", "stats.group": "Group by",
    "stats.show": "Show", "stats.csv": "Export CSV", "stats.grid": "By grid", "stats.community": "By community",
    "stats.category": "By category", "stats.reported": "Reported", "stats.filed": "Filed", "stats.closed": "Closed",
    "stats.closure": "Closure rate", "stats.onTime": "On-time closure", "stats.rework": "Rework rate",
    "stats.accept": "Mean time to accept", "stats.resolve": "Mean time to resolve", "stats.overdue": "Overdue now",
    "stats.counts": "Case counts", "stats.rates": "Rates", "stats.times": "Handling times (minutes)",
    "stats.none": "No data in this period", "stats.7d": "Last 7 days", "stats.30d": "Last 30 days",
    "unit.min": "min", "unit.h": "h", "unit.d": "d", "ago": "{t} ago", "later": "in {t}",
    "err.generic": "Something went wrong",
  },
};

// The shared words first, the dashboard's own beside them (a key in both would be drift: tests/hub/web refuse it).
const CATALOGUE = Object.fromEntries(Object.keys(OWN).map((l) => [l, { ...(LABELS[l] || {}), ...OWN[l] }]));

let lang = localStorage.getItem("gridline.lang") || "zh-CN";
if (!CATALOGUE[lang]) lang = "zh-CN";

export function getLang() { return lang; }

export function setLang(value) {
  lang = CATALOGUE[value] ? value : "zh-CN";
  localStorage.setItem("gridline.lang", lang);
  document.documentElement.lang = lang;
  applyStatic();
}

export function t(key, vars = {}) {
  let s = CATALOGUE[lang][key] ?? CATALOGUE["zh-CN"][key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

// Elements marked data-i18n get their text from the catalogue (the static shell of index.html).
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

export function duration(seconds) {
  const s = Math.abs(seconds);
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))}${t("unit.min")}`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}${t("unit.h")}${Math.round((s % 3600) / 60)}${t("unit.min")}`;
  return `${Math.floor(s / 86400)}${t("unit.d")}${Math.round((s % 86400) / 3600)}${t("unit.h")}`;
}

export function ago(iso, nowMs = Date.now()) {
  if (!iso) return "—";
  const secs = (nowMs - Date.parse(iso)) / 1000;
  return secs < 45 ? (lang === "en" ? "just now" : "刚刚") : t("ago", { t: duration(secs) });
}

export function timeOf(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "zh-CN", { hour12: false });
}

export function categoryName(item) {
  return (lang === "en" ? item.category_en : item.category_zh) || item.category_zh || item.category_code;
}
