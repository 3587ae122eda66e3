// Community services' texts (issue 18: service queues per role, the dispute register with its two colours and the
// plan per colour, the home-visit diary, KPIs), zh-CN first and English complete; merged into the catalogue
// (i18n.js addTexts) when this module loads - main.js imports it first, so the menu entry is translated at once.
import { addTexts } from "./i18n.js";

const KINDS_ZH = { legal: "法律咨询", mediation: "矛盾调解", repair: "维修报修", welfare: "民生救助", other: "其他服务" };
const KINDS_EN = { legal: "Legal advice", mediation: "Mediation", repair: "Repair", welfare: "Welfare", other: "Other" };
const ROLES_ZH = { legal_adviser: "法律顾问", mediator: "调解员（调委会）", property_contact: "物业/维修联系人",
  grid_worker: "网格员", committee_member: "居委会委员", community_secretary: "社区书记", control: "指挥中心",
  grid_leader: "网格长", supervisor: "督办员", street_staff: "街道工作人员", community_staff: "社区工作人员" };
const ROLES_EN = { legal_adviser: "Legal adviser", mediator: "Mediator (committee)", property_contact: "Property / repair contact",
  grid_worker: "Grid worker", committee_member: "Committee member", community_secretary: "Community secretary",
  control: "Control room", grid_leader: "Grid leader", supervisor: "Supervisor", street_staff: "Street office staff",
  community_staff: "Community staff" };
const TYPES_ZH = { neighbour: "邻里纠纷", family: "婚姻家庭", property: "物业纠纷", labour: "劳资纠纷", land: "土地山林", other: "其他" };
const TYPES_EN = { neighbour: "Neighbours", family: "Family", property: "Property management", labour: "Labour", land: "Land",
  other: "Other" };
const OUT_ZH = { settled: "调解成功", transferred: "转办", litigation: "诉讼", withdrawn: "撤回", answered: "已解答", done: "已办结" };
const OUT_EN = { settled: "Settled", transferred: "Transferred", litigation: "Litigation", withdrawn: "Withdrawn",
  answered: "Answered", done: "Done" };
const MET_ZH = { resident: "本人", family: "家属", tenant: "租户", nobody: "未遇" };
const MET_EN = { resident: "Resident", family: "Family", tenant: "Tenant", nobody: "Nobody home" };
const LEVEL_ZH = { grid: "网格", community: "社区", street: "街道", district: "区", city: "市" };
const LEVEL_EN = { grid: "Grid", community: "Community", street: "Street", district: "District", city: "City" };
const p = (prefix, words) => Object.fromEntries(Object.entries(words).map(([k, v]) => [`${prefix}${k}`, v]));

export const SERVICES_TEXTS = {
  "zh-CN": {
    "nav.services": "服务",
    "svc.tab.queue": "服务队列", "svc.tab.disputes": "纠纷台账", "svc.tab.visits": "走访日记",
    ...p("svc.kind.", KINDS_ZH), ...p("svc.role.", ROLES_ZH), ...p("svc.type.", TYPES_ZH), ...p("svc.out.", OUT_ZH),
    ...p("svc.met.", MET_ZH), ...p("svc.need.", LEVEL_ZH),
    "svc.kpis": "近 30 天", "svc.kpi.success": "调解成功率", "svc.kpi.contact": "平均首次联系（分钟）",
    "svc.kpi.followups": "回访完成", "svc.kpi.requests": "服务请求", "svc.kpi.disputes": "纠纷",
    "svc.kpi.formula": "调解成功率 = 调解成功 ÷ 已有结果的纠纷；首次联系 = 经办人接单时间 − 受理时间；回访完成 = 已回访 ÷ 到期（调解成功后 30 天）",
    "svc.queues": "各角色待办", "svc.open": "在办", "svc.requests": "服务请求",
    "svc.col.ref": "案件编号", "svc.col.kind": "类别", "svc.col.origin": "来源", "svc.col.role": "受理角色",
    "svc.col.to": "经办人", "svc.col.state": "状态", "svc.col.colour": "时限颜色", "svc.col.opened": "受理时间",
    "svc.col.contact": "首次联系", "svc.col.outcome": "结果",
    "svc.origin.kiosk": "网格终端机", "svc.origin.visit": "入户走访", "svc.origin.api": "窗口/电话",
    "svc.register": "登记纠纷", "svc.empty": "暂无服务请求",
    "dsp.title": "矛盾纠纷台账", "dsp.seriousness": "严重程度", "dsp.deadline": "时限颜色", "dsp.higher": "预警（取高）",
    "dsp.type": "类型", "dsp.lead": "牵头人", "dsp.informed": "知会", "dsp.plan": "预案", "dsp.limit": "办结时限",
    "dsp.visit": "走访间隔", "dsp.days": "{n} 天", "dsp.due": "期限", "dsp.outcome": "结果", "dsp.followup": "回访",
    "dsp.followupDue": "{t} 回访", "dsp.followupDone": "已回访", "dsp.markDone": "回访完成",
    "dsp.grade": "定级", "dsp.regrade": "重新定级", "dsp.setOutcome": "登记结果", "dsp.empty": "暂无纠纷",
    "dsp.criteria": "研判标准（可多选，取最高颜色）", "dsp.reason": "定级理由", "dsp.reasonHint": "如 一方扬言报复",
    "dsp.parties": "当事人", "dsp.partyCard": "居民卡（已登记）", "dsp.partyText": "文字说明（仅经办人员可见）",
    "dsp.partyHint": "每行一位当事人，不必写真实姓名", "dsp.agreement": "调解协议（仅经办人员可见）",
    "dsp.graded": "已定级为{c}：牵头人 {lead}", "dsp.saved": "已保存", "dsp.plans": "分色预案", "dsp.escalate": "升级",
    "dsp.none": "无", "dsp.gradings": "定级记录", "dsp.export": "导出台账",
    "dsp.criteriaTitle": "研判标准", "dsp.edit": "编辑预案", "dsp.nextVisit": "下次走访", "dsp.chip": "纠纷·{c}", "dsp.save": "保存", "dsp.newCriterion": "新增标准（编号、中文、英文、颜色）",
    "vis.title": "走访日记（法律需求日记）", "vis.when": "走访时间", "vis.grid": "网格", "vis.building": "楼栋",
    "vis.worker": "走访人", "vis.met": "走访对象", "vis.needs": "需求（分级）", "vis.cases": "生成案件", "vis.note": "走访记录",
    "vis.empty": "所选范围内暂无走访", "vis.export": "导出日记", "vis.allGrids": "全部网格", "vis.from": "从", "vis.to": "至",
    "vis.filter": "查询", "vis.private": "（仅经办人员可见）",
  },
  en: {
    "nav.services": "Services",
    "svc.tab.queue": "Service queues", "svc.tab.disputes": "Dispute register", "svc.tab.visits": "Visit diary",
    ...p("svc.kind.", KINDS_EN), ...p("svc.role.", ROLES_EN), ...p("svc.type.", TYPES_EN), ...p("svc.out.", OUT_EN),
    ...p("svc.met.", MET_EN), ...p("svc.need.", LEVEL_EN),
    "svc.kpis": "Last 30 days", "svc.kpi.success": "Mediation success rate", "svc.kpi.contact": "Avg. minutes to first contact",
    "svc.kpi.followups": "Follow-up visits done", "svc.kpi.requests": "Service requests", "svc.kpi.disputes": "Disputes",
    "svc.kpi.formula": "Success rate = settled ÷ disputes with an outcome; first contact = handler's accept − opening; follow-ups = visited ÷ due (30 days after a settlement)",
    "svc.queues": "Open per role", "svc.open": "Open", "svc.requests": "Service requests",
    "svc.col.ref": "Reference", "svc.col.kind": "Kind", "svc.col.origin": "From", "svc.col.role": "Role",
    "svc.col.to": "Handler", "svc.col.state": "State", "svc.col.colour": "Deadline colour", "svc.col.opened": "Opened",
    "svc.col.contact": "First contact", "svc.col.outcome": "Outcome",
    "svc.origin.kiosk": "Kiosk", "svc.origin.visit": "Home visit", "svc.origin.api": "Desk / phone",
    "svc.register": "Register dispute", "svc.empty": "No service requests",
    "dsp.title": "Dispute register", "dsp.seriousness": "Seriousness", "dsp.deadline": "Deadline colour",
    "dsp.higher": "Warning (higher)", "dsp.type": "Type", "dsp.lead": "Lead", "dsp.informed": "Informed", "dsp.plan": "Plan",
    "dsp.limit": "Time limit", "dsp.visit": "Visit every", "dsp.days": "{n} days", "dsp.due": "Deadline",
    "dsp.outcome": "Outcome", "dsp.followup": "Follow-up", "dsp.followupDue": "visit {t}", "dsp.followupDone": "Visited",
    "dsp.markDone": "Visit done", "dsp.grade": "Grade", "dsp.regrade": "Re-grade", "dsp.setOutcome": "Record outcome",
    "dsp.empty": "No disputes", "dsp.criteria": "Assessment (tick all that hold; the highest colour counts)",
    "dsp.reason": "Reason", "dsp.reasonHint": "e.g. one side threatened revenge", "dsp.parties": "Parties",
    "dsp.partyCard": "Resident card (registered)", "dsp.partyText": "Description (handling staff only)",
    "dsp.partyHint": "One party per line; no real names needed", "dsp.agreement": "Agreement (handling staff only)",
    "dsp.graded": "Graded {c}: lead {lead}", "dsp.saved": "Saved", "dsp.plans": "Plan per colour", "dsp.escalate": "Escalate to",
    "dsp.none": "none", "dsp.gradings": "Grading log", "dsp.export": "Export register",
    "dsp.criteriaTitle": "Assessment criteria", "dsp.edit": "Edit plan", "dsp.nextVisit": "Next visit", "dsp.chip": "Dispute: {c}", "dsp.save": "Save", "dsp.newCriterion": "New criterion (id, Chinese, English, colour)",
    "vis.title": "Home-visit diary (legal-needs diary)", "vis.when": "Visited", "vis.grid": "Grid", "vis.building": "Building",
    "vis.worker": "Visitor", "vis.met": "Met", "vis.needs": "Needs (level)", "vis.cases": "Cases opened", "vis.note": "Note",
    "vis.empty": "No visits in this range", "vis.export": "Export diary", "vis.allGrids": "All grids", "vis.from": "From",
    "vis.to": "To", "vis.filter": "Show", "vis.private": "(handling staff only)",
  },
};

addTexts(SERVICES_TEXTS);
