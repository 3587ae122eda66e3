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
    // the map, the feed and the devices page (mapview.js, feed.js, pages/map.js, pages/devices.js)
    "map.needsWork": "待处置 {n}", "map.overdueN": "超期 {n}", "map.suspendedN": "挂起 {n}", "map.checkN": "待核查 {n}",
    "map.legend.fill": "网格底色（待处置案件的最高等级，越深越多）", "map.legend.checkOnly": "仅有待核查",
    "map.legend.pins": "案件", "map.legend.open": "待处置", "map.legend.overdue": "超期", "map.legend.suspended": "挂起",
    "map.legend.check": "已处置待核查", "map.legend.cluster": "聚合（颜色为其中最高等级）", "map.legend.devices": "终端",
    "map.legend.fixed": "固定终端", "map.legend.tail": "巡逻轨迹", "map.legend.closed": "已结案、不予立案的案件不上图",
    "map.openCase": "查看案件", "map.reportedAt": "上报",
    "feed.dupes": "重复上报 {n} 次", "feed.before": "上报照片", "feed.after": "处置照片", "feed.photoUploading": "照片上传中",
    "feed.urgent": "紧急", "feed.system": "系统", "feed.reason.urgent": "紧急直报", "feed.reason.overdue": "超期未办结",
    "feed.reason.unaccepted": "超时未接单", "feed.reason.unassigned": "无可派人员", "dev.unbound": "未绑定", "dev.never": "从未上线",
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
    // casework pages (案件查询, 待研判, 新建案件), the alarm banner, toasts and confirmations
    "nav.cases": "案件查询", "nav.triage": "待研判", "nav.new": "新建案件",
    "ui.any": "全部", "ui.close": "关闭", "ui.confirm": "确定", "ui.conflict": "案件已被他人更新，请刷新后重试",
    "ui.notFound": "不存在或无权查看", "ui.forbidden": "无权执行此操作",
    "oprole.admin": "管理员", "oprole.dispatcher": "调度员", "oprole.supervisor": "督办员", "oprole.viewer": "只读",
    "prole.grid_leader": "网格长", "prole.grid_worker": "网格员", "prole.patrol_volunteer": "巡逻志愿者",
    "prole.dispatcher": "调度员", "prole.supervisor": "督办员", "prole.handler": "处置人员",
    "catkind.component": "部件", "catkind.event": "事件", "catkind.other": "其他",
    "order.newest": "最新上报", "order.oldest": "最早上报", "order.deadline": "时限最近", "order.level": "预警等级",
    "alarm.title": "紧急警报", "alarm.count": "{n} 条未确认", "alarm.ack": "确认收到", "alarm.acked": "已确认警报 {ref}",
    "alarm.ackFailed": "确认失败", "alarm.more": "另有 {n} 条", "alarm.less": "收起", "alarm.case": "案件",
    "cases.title": "案件查询", "cases.searchHint": "案件编号、回执码或内容", "cases.allGrids": "全部网格",
    "cases.allCategories": "全部类别", "cases.anyone": "全部人员", "cases.anySource": "全部来源",
    "cases.device": "上报终端", "cases.deviceHint": "终端编号", "cases.source": "来源", "cases.order": "排序",
    "cases.overdueOnly": "仅超期", "cases.reviewOnly": "仅待研判", "cases.ref": "案件编号", "cases.titleCol": "标题",
    "cases.reported": "上报时间", "cases.receipt": "回执码", "cases.receiptShort": "回执",
    "cases.needsReview": "待研判", "cases.more": "加载更多", "cases.none": "没有符合条件的案件",
    "cases.count": "共 {n} 件，已显示 {shown} 件", "cases.countAbout": "约 {n} 件，已显示 {shown} 件",
    "cases.shown": "已显示 {n} 件", "cases.updated": "有新动态 · 点击刷新", "cases.exact": "精确匹配：", "cases.ambiguous": "{n} 个案件使用此回执码：",
    "cases.preset_overdue": "超期案件", "cases.preset_review": "待研判", "cases.preset_open": "在办案件",
    "cases.preset_clear": "清空条件",
    "queue.title": "待研判", "queue.intro": "以下上报需要人工确认网格或类别后才能立案派遣。",
    "queue.count": "{n} 件待研判", "queue.empty": "暂无待研判的上报", "queue.emptyHint": "全部上报均已处理",
    "queue.candidates": "候选网格", "queue.allGrids": "其他网格", "queue.pickGrid": "请选择网格",
    "queue.position": "上报位置", "queue.fileTitle": "确认网格和类别并立案", "queue.file": "立案",
    "queue.mergeTitle": "并入已有案件", "queue.mergeHint": "输入案件编号或回执码", "queue.find": "查找",
    "queue.mergeNone": "未找到该案件", "queue.merge": "并入", "queue.rejectTitle": "不予立案",
    "queue.rejectHint": "例如：重复上报、不属于网格事项", "queue.reject": "不予立案",
    "queue.needReason": "请填写理由",
    "queue.confirmFile": "确认立案", "queue.confirmFileText": "将 {ref} 立案到「{grid}」，类别「{category}」。",
    "queue.confirmMerge": "确认并案", "queue.confirmMergeText": "将 {ref} 并入 {into}，此上报不再单独处理。",
    "queue.confirmReject": "确认不予立案", "queue.confirmRejectText": "{ref} 将不予立案，此操作不可撤销。",
    "queue.done_file": "{ref} 已立案", "queue.done_merge": "{ref} 已并案", "queue.done_reject": "{ref} 已不予立案",
    "queue.failed": "操作失败",
    "create.title": "新建案件", "create.source": "来源", "create.urgency": "紧急程度",
    "create.pickCategory": "请选择类别", "create.gridFromMap": "在地图上点选位置，或选择网格",
    "create.clickMap": "在右侧地图上点击事发位置（可选）", "create.picked": "已选位置",
    "create.outside": "不在任何网格内，请选择网格", "create.clearPoint": "清除位置", "create.address": "地址",
    "create.addressHint": "门牌、楼栋或地标（可选）", "create.noteHint": "反映的问题和诉求（来电人联系方式不在此记录，请留在热线系统中）",
    "create.photos": "照片", "create.addPhotos": "添加照片", "create.photosHint": "可选，最多 {n} 张，大图会自动压缩",
    "create.tooManyPhotos": "最多 {n} 张照片", "create.badPhoto": "无法读取该图片",
    "create.removePhoto": "移除照片", "create.submit": "创建案件", "create.needCategory": "请选择类别",
    "create.needPlace": "请在地图上点选位置或选择网格", "create.needNote": "请填写情况说明",
    "create.confirmUrgent": "确认创建紧急案件", "create.confirmUrgentText": "紧急案件会立即向上级报警。",
    "create.done": "已创建案件 {ref}", "create.failed": "创建失败",
    "case.photosBefore": "上报照片（处置前）", "case.photosAfter": "处置照片（处置后）", "case.photosOther": "其他照片",
    "case.system": "系统", "case.rejected": "未生效", "case.fieldOnly": "处置反馈需在现场用手机提交（照片和位置）",
    "case.noPhone": "未绑定手机，需电话通知", "case.noPhoneHint": "标注“未绑定手机”的人员收不到终端任务，需电话或当面通知",
    "case.thisGrid": "本网格", "case.otherPeople": "其他人员", "case.pickAssignee": "请选择处置人",
    "case.confirmTitle": "确认{step} {ref}", "case.doneStep": "{ref} {step}成功", "case.failedStep": "{step}失败",
    "case.movedOn": "案件已有新进展 · 点击刷新",
    "escreason.urgent": "紧急案件直报", "escreason.unaccepted": "超时未接单", "escreason.overdue": "超期未办结",
    "case.wider": "显示辖区内全部人员", "case.nobody": "附近没有可派遣的人员",
    "case.noPhoneTitle": "{name} 未绑定手机", "case.noPhoneText": "任务无法推送到其终端，派遣后请电话或当面通知。",
    "confirm.close": "结案后案件不可再处理，请确认处置结果已核查。", "confirm.return": "案件将退回，需重新派遣。",
    "confirm.not_file": "该上报将不予立案，此操作不可撤销。", "confirm.rework": "案件将退回处置人返工。",
    "confirm.suspend": "挂起后处置时限暂停计时。",
    "board.left": "剩余 {t}", "board.more": "还有 {n} 件 · 在案件查询中查看", "board.paused": "已暂停计时",
    "board.toList": "案件查询",
    // the buttons of the case page (imperative; the trail shows transition.* from protocol/labels.py)
    "act.file": "立案", "act.not_file": "不予立案", "act.dispatch": "派遣", "act.reassign": "改派", "act.accept": "接单",
    "act.arrive": "到场", "act.return": "退回", "act.resolve": "处置反馈", "act.verify": "核查", "act.rework": "返工",
    "act.close": "结案", "act.suspend": "挂起", "act.resume": "恢复", "act.note": "备注",
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
    // the map, the feed and the devices page (mapview.js, feed.js, pages/map.js, pages/devices.js)
    "map.needsWork": "{n} to handle", "map.overdueN": "{n} overdue", "map.suspendedN": "{n} suspended",
    "map.checkN": "{n} awaiting check",
    "map.legend.fill": "Grid colour (worst level of the cases to handle; darker = more)",
    "map.legend.checkOnly": "only awaiting check", "map.legend.pins": "Cases", "map.legend.open": "to handle",
    "map.legend.overdue": "overdue", "map.legend.suspended": "suspended", "map.legend.check": "resolved, awaiting check",
    "map.legend.cluster": "cluster (colour = worst level inside)", "map.legend.devices": "Terminals",
    "map.legend.fixed": "fixed terminal", "map.legend.tail": "patrol track",
    "map.legend.closed": "Closed and not-filed cases are not on the map", "map.openCase": "Open case",
    "map.reportedAt": "Reported",
    "feed.dupes": "reported again ×{n}", "feed.before": "Reported (before)", "feed.after": "Resolved (after)",
    "feed.photoUploading": "Photo uploading",
    "feed.urgent": "Urgent", "feed.system": "System", "feed.reason.urgent": "urgent report", "feed.reason.overdue": "overdue",
    "feed.reason.unaccepted": "not accepted in time", "feed.reason.unassigned": "no one to dispatch to",
    "dev.unbound": "unbound", "dev.never": "never connected",
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
    // casework pages (cases, triage, new case), the alarm banner, toasts and confirmations
    "nav.cases": "Cases", "nav.triage": "Triage", "nav.new": "New case",
    "ui.any": "All", "ui.close": "Close", "ui.confirm": "Confirm", "ui.conflict": "Someone else changed this case; reload and try again",
    "ui.notFound": "Not found (or not yours)", "ui.forbidden": "You may not do this",
    "oprole.admin": "Administrator", "oprole.dispatcher": "Dispatcher", "oprole.supervisor": "Supervisor", "oprole.viewer": "View only",
    "prole.grid_leader": "Grid leader", "prole.grid_worker": "Grid worker", "prole.patrol_volunteer": "Patrol volunteer",
    "prole.dispatcher": "Dispatcher", "prole.supervisor": "Supervisor", "prole.handler": "Handler",
    "catkind.component": "Components", "catkind.event": "Events", "catkind.other": "Other",
    "order.newest": "Newest first", "order.oldest": "Oldest first", "order.deadline": "Nearest deadline", "order.level": "Warning level",
    "alarm.title": "Urgent alarm", "alarm.count": "{n} unacknowledged", "alarm.ack": "Acknowledge", "alarm.acked": "Alarm {ref} acknowledged",
    "alarm.ackFailed": "Could not acknowledge", "alarm.more": "{n} more", "alarm.less": "Show fewer", "alarm.case": "Case",
    "cases.title": "Cases", "cases.searchHint": "Reference, receipt code or words", "cases.allGrids": "All grids",
    "cases.allCategories": "All categories", "cases.anyone": "Anyone", "cases.anySource": "Any source",
    "cases.device": "Reporting device", "cases.deviceHint": "device id", "cases.source": "Source", "cases.order": "Sort",
    "cases.overdueOnly": "Overdue only", "cases.reviewOnly": "Needs review only", "cases.ref": "Reference", "cases.titleCol": "Title",
    "cases.reported": "Reported", "cases.receipt": "Receipt code", "cases.receiptShort": "Receipt",
    "cases.needsReview": "Needs review", "cases.more": "Load more", "cases.none": "No case matches",
    "cases.count": "{n} cases, {shown} shown", "cases.countAbout": "about {n} cases, {shown} shown",
    "cases.shown": "{n} shown", "cases.updated": "New activity · click to refresh", "cases.exact": "Exact match:", "cases.ambiguous": "{n} cases share this receipt code:",
    "cases.preset_overdue": "Overdue", "cases.preset_review": "Needs review", "cases.preset_open": "Open cases",
    "cases.preset_clear": "Clear filters",
    "queue.title": "Triage", "queue.intro": "These reports need a person to confirm the grid or category before they are filed and dispatched.",
    "queue.count": "{n} waiting", "queue.empty": "Nothing waiting for triage", "queue.emptyHint": "Every report has been handled",
    "queue.candidates": "Candidate grids", "queue.allGrids": "Other grids", "queue.pickGrid": "Pick a grid",
    "queue.position": "Reported at", "queue.fileTitle": "Confirm grid and category, and file", "queue.file": "File",
    "queue.mergeTitle": "Merge into an existing case", "queue.mergeHint": "Reference or receipt code", "queue.find": "Find",
    "queue.mergeNone": "No such case", "queue.merge": "Merge", "queue.rejectTitle": "Do not file",
    "queue.rejectHint": "e.g. duplicate, not a grid matter", "queue.reject": "Do not file",
    "queue.needReason": "Give a reason",
    "queue.confirmFile": "File this report?", "queue.confirmFileText": "{ref} will be filed in “{grid}” as “{category}”.",
    "queue.confirmMerge": "Merge this report?", "queue.confirmMergeText": "{ref} will be merged into {into} and not handled on its own.",
    "queue.confirmReject": "Do not file this report?", "queue.confirmRejectText": "{ref} will not be filed. This cannot be undone.",
    "queue.done_file": "{ref} filed", "queue.done_merge": "{ref} merged", "queue.done_reject": "{ref} not filed",
    "queue.failed": "Failed",
    "create.title": "New case", "create.source": "Source", "create.urgency": "Urgency",
    "create.pickCategory": "Pick a category", "create.gridFromMap": "Click the map, or pick a grid",
    "create.clickMap": "Click where it is on the map (optional)", "create.picked": "Position",
    "create.outside": "outside every grid: pick one", "create.clearPoint": "Clear position", "create.address": "Address",
    "create.addressHint": "House number, building or landmark (optional)", "create.noteHint": "What the problem is and what is asked (the caller's contact details are not kept here: leave them in the hotline system)",
    "create.photos": "Photos", "create.addPhotos": "Add photos", "create.photosHint": "optional, up to {n}; large photos are resized",
    "create.tooManyPhotos": "At most {n} photos", "create.badPhoto": "This image cannot be read",
    "create.removePhoto": "Remove photo", "create.submit": "Create case", "create.needCategory": "Pick a category",
    "create.needPlace": "Click the map or pick a grid", "create.needNote": "Describe what happened",
    "create.confirmUrgent": "Create an urgent case?", "create.confirmUrgentText": "An urgent case raises the alarm up the chain at once.",
    "create.done": "Case {ref} created", "create.failed": "Could not create the case",
    "case.photosBefore": "Reported photos (before)", "case.photosAfter": "Resolution photos (after)", "case.photosOther": "Other photos",
    "case.system": "System", "case.rejected": "not applied", "case.fieldOnly": "Resolving is done on site from the phone (photos and position)",
    "case.noPhone": "no phone: call them", "case.noPhoneHint": "People marked “no phone” get no task on a terminal: call them or tell them in person",
    "case.thisGrid": "this grid", "case.otherPeople": "Others", "case.pickAssignee": "Pick who takes it",
    "case.confirmTitle": "{step}: {ref}?", "case.doneStep": "{ref}: {step}", "case.failedStep": "{step} failed",
    "case.movedOn": "The case moved on · click to refresh",
    "escreason.urgent": "urgent: reported up at once", "escreason.unaccepted": "not accepted in time", "escreason.overdue": "overdue",
    "case.wider": "Show everyone in my area", "case.nobody": "Nobody nearby to send it to",
    "case.noPhoneTitle": "{name} has no phone", "case.noPhoneText": "The task cannot reach a terminal: call them or tell them in person after assigning.",
    "confirm.close": "A closed case cannot be worked on again. Make sure the result was checked.",
    "confirm.return": "The case goes back and must be dispatched again.",
    "confirm.not_file": "This report will not be filed. This cannot be undone.",
    "confirm.rework": "The case goes back to the handler for rework.",
    "confirm.suspend": "The deadline clock stops while the case is suspended.",
    "board.left": "{t} left", "board.more": "{n} more · see them in Cases", "board.paused": "clock stopped",
    "board.toList": "Cases",
    // the buttons of the case page (imperative; the trail shows transition.* from protocol/labels.py)
    "act.file": "File", "act.not_file": "Do not file", "act.dispatch": "Dispatch", "act.reassign": "Reassign",
    "act.accept": "Accept", "act.arrive": "Arrive", "act.return": "Return", "act.resolve": "Resolve", "act.verify": "Verify",
    "act.rework": "Send back for rework", "act.close": "Close", "act.suspend": "Suspend", "act.resume": "Resume",
    "act.note": "Add a note",
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

/** A case step as a button says it (an imperative), falling back to the trail's word. */
export function actionLabel(transition) {
  const key = `act.${transition}`;
  const own = t(key);
  return own === key ? t(`transition.${transition}`) : own;
}

export function categoryName(item) {
  return (lang === "en" ? item.category_en : item.category_zh) || item.category_zh || item.category_code;
}
