// Watch and patrol texts (issue 19: the 1+1+N welfare watch with helpers' observations, patrol checkpoint coverage,
// the volunteer-hour ledger), zh-CN first and English complete; merged into the catalogue (i18n.js addTexts) when
// this module loads - main.js imports it first, so the menu entry is translated at once.
import { addTexts } from "./i18n.js";

const STATUS_ZH = { checked_in: "平安", pending: "待确认", missed: "未确认", abnormal: "异常", paused: "暂停", not_due: "非关注日" };
const STATUS_EN = { checked_in: "Safe", pending: "Pending", missed: "Missed", abnormal: "Something wrong", paused: "Paused",
  not_due: "Not due" };
const KIND_ZH = { checkin: "终端签到", observation: "帮扶人探视", patrol: "巡逻上门" };
const KIND_EN = { checkin: "Kiosk tap", observation: "Helper's look", patrol: "Patrol at the door" };
const SIGN_ZH = { curtains: "窗帘", lights: "灯光", water: "用水", power: "用电", gas: "燃气", spoke: "交谈" };
const SIGN_EN = { curtains: "curtains", lights: "lights", water: "water", power: "power", gas: "gas", spoke: "spoke" };
const p = (prefix, words) => Object.fromEntries(Object.entries(words).map(([k, v]) => [`${prefix}${k}`, v]));

export const WATCH_TEXTS = {
  "zh-CN": {
    "nav.welfare": "关爱巡查",
    "coverage.title": "巡查覆盖（近{n}天）", "coverage.share": "{visited}/{all} 个巡查点 · {pct}%",
    "coverage.none": "暂无设有巡查点的网格",
    ...p("wf.status.", STATUS_ZH), ...p("wf.kind.", KIND_ZH), ...p("wf.sign.", SIGN_ZH),
    "wf.today": "今日关爱（1+1+N）", "wf.day": "日期", "wf.grid": "网格", "wf.resident": "关爱对象", "wf.status": "状态",
    "wf.evidence": "依据", "wf.case": "案件", "wf.deadline": "确认截止", "wf.none": "暂无登记的关爱对象",
    "wf.noEvidence": "暂无", "wf.falseAlarm": "误报关闭", "wf.reason": "原因（如：在女儿家小住）",
    "wf.awayUntil": "外出至（可选）", "wf.save": "保存", "wf.closed": "已记录误报：{reason}",
    "wf.enrolments": "登记名单", "wf.window": "签到时段", "wf.helpers": "帮扶人（1+1+N）", "wf.state": "状态",
    "wf.active": "关注中", "wf.paused": "暂停：{reason}", "wf.pause": "暂停", "wf.resume": "恢复", "wf.end": "结束关注",
    "wf.history": "历史", "wf.informed": "知会 {n} 人", "wf.enrol": "登记关爱对象", "wf.key": "居民卡密钥（终端生成）",
    "wf.label": "标签（不含姓名）", "wf.primary": "第一帮扶人", "wf.add": "登记", "wf.pauseReason": "暂停原因",
    "wf.endReason": "结束关注", "wf.coverage": "巡查点覆盖（近 7 天）", "wf.checkpoints": "巡查点", "wf.visited": "已巡查",
    "wf.share": "覆盖率", "wf.failed": "不合格项", "wf.sessions": "巡逻次数", "wf.missed": "未巡查的巡查点",
    "wf.noMissed": "全部已巡查", "wf.noCheckpoints": "尚未设置巡查点",
    "wf.hours": "志愿服务时长（按人员排列，不排名）", "wf.person": "人员", "wf.system": "信用时", "wf.certified": "荣誉时",
    "wf.redeemed": "已兑换", "wf.balance": "余额", "wf.hoursUnit": "{h} 小时", "wf.export": "导出时长台账",
    "wf.certify": "认定荣誉时", "wf.redeem": "登记兑换", "wf.units": "时长（小时，半小时为单位）", "wf.why": "事由",
    "wf.noHours": "暂无志愿者", "wf.recorded": "已记录",
  },
  en: {
    "nav.welfare": "Watch & patrol",
    "coverage.title": "Patrol coverage (last {n} days)", "coverage.share": "{visited}/{all} checkpoints · {pct}%",
    "coverage.none": "No grid has checkpoints",
    ...p("wf.status.", STATUS_EN), ...p("wf.kind.", KIND_EN), ...p("wf.sign.", SIGN_EN),
    "wf.today": "Today's watch (1+1+N)", "wf.day": "Day", "wf.grid": "Grid", "wf.resident": "Resident", "wf.status": "Status",
    "wf.evidence": "Evidence", "wf.case": "Case", "wf.deadline": "Confirm by", "wf.none": "Nobody is enrolled",
    "wf.noEvidence": "None yet", "wf.falseAlarm": "Close as false alarm", "wf.reason": "Reason (e.g. staying at her daughter's)",
    "wf.awayUntil": "Away until (optional)", "wf.save": "Save", "wf.closed": "False alarm recorded: {reason}",
    "wf.enrolments": "Enrolments", "wf.window": "Check-in window", "wf.helpers": "Helpers (1+1+N)", "wf.state": "State",
    "wf.active": "Watched", "wf.paused": "Paused: {reason}", "wf.pause": "Pause", "wf.resume": "Resume", "wf.end": "End watch",
    "wf.history": "History", "wf.informed": "{n} informed", "wf.enrol": "Enrol a resident", "wf.key": "Resident card key (from a kiosk)",
    "wf.label": "Label (no name)", "wf.primary": "First helper", "wf.add": "Enrol", "wf.pauseReason": "Why paused",
    "wf.endReason": "Watch ended", "wf.coverage": "Checkpoint coverage (last 7 days)", "wf.checkpoints": "Checkpoints",
    "wf.visited": "Visited", "wf.share": "Coverage", "wf.failed": "Failed items", "wf.sessions": "Patrols",
    "wf.missed": "Checkpoints not visited", "wf.noMissed": "All visited", "wf.noCheckpoints": "No checkpoints defined yet",
    "wf.hours": "Volunteer hours (by person, never ranked)", "wf.person": "Person", "wf.system": "Logged",
    "wf.certified": "Certified", "wf.redeemed": "Redeemed", "wf.balance": "Balance", "wf.hoursUnit": "{h} h",
    "wf.export": "Export hours ledger", "wf.certify": "Add certified hours", "wf.redeem": "Record redemption",
    "wf.units": "Hours (in half hours)", "wf.why": "Reason", "wf.noHours": "No volunteers yet", "wf.recorded": "Recorded",
  },
};

addTexts(WATCH_TEXTS);
