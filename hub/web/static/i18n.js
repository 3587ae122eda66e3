// Every string the dashboard shows, zh-CN first (the default) and English alongside: one catalogue.
// The words for the protocol's shared values - state.*, transition.*, level.*, role.*, why.*, severity.*, photo.* -
// are not written here: labels.js is served by the hub from protocol/labels.py, the catalogue its API, Open311 and
// the terminal apps use too. This file holds the dashboard's own screen texts only.
import { LABELS } from "./labels.js";

const OWN = {
  "zh-CN": {
    "app.title": "网格化指挥中心",
    "nav.map": "实时地图", "nav.feed": "实时动态", "nav.board": "任务看板", "nav.devices": "终端设备",
    "nav.stats": "统计考核", "nav.logout": "退出", "nav.group.residents": "居民服务",
    "nav.units": "单元网格", // pages/units.js keeps its own texts (pages/units_text.js)
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
    "dev.revoked": "已吊销", "dev.summaryRevoked": "，已吊销 {n} 台",
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
    // 设备管理 (pages/devices.js, admins): add, enrolment label, re-issue, revoke, flags
    "devadm.addTitle": "登记新设备", "devadm.deviceId": "设备编号", "devadm.idHint": "如 kiosk-fs-03",
    "devadm.unit": "服务网格/社区", "devadm.community": "社区", "devadm.owner": "使用人（可选）", "devadm.noOwner": "无",
    "devadm.submit": "生成注册码", "devadm.identity": "注册状态", "devadm.id.pending": "待注册",
    "devadm.id.active": "已注册", "devadm.id.revoked": "已吊销", "devadm.id.none": "未登记",
    "devadm.validUntil": "注册码有效至 {t}", "devadm.flag": "异常标记", "devadm.flag.device_mismatch": "冒用其他设备",
    "devadm.flag.rate_limited": "上报过于频繁", "devadm.flagCount": "{n} 次", "devadm.actions": "管理",
    "devadm.reissue": "重发注册码", "devadm.revoke": "吊销", "devadm.clearFlag": "清除标记", "devadm.register": "登记",
    "devadm.reissueTitle": "为 {id} 重发注册码？", "devadm.reissueText": "旧注册码立即失效；已注册的设备在使用新码之前仍可连接。",
    "devadm.revokeTitle": "吊销设备 {id}？", "devadm.revokeText": "设备将被断开且无法再连接，已上报的记录保留；重发注册码可恢复。",
    "devadm.reason": "原因", "devadm.reasonHint": "如 手机遗失", "devadm.revoked": "已吊销 {id}",
    "devadm.clearTitle": "清除 {id} 的异常标记？", "devadm.clearText": "表示此标记已核查处理。", "devadm.flagCleared": "已清除标记",
    "devadm.issued": "注册码已生成", "devadm.once": "注册码只显示这一次，请立即打印标签或记录。", "devadm.print": "打印标签",
    "devadm.labelTitle": "终端注册", "devadm.labelScan": "用终端扫描二维码，或输入注册码", "devadm.code": "注册码",
    "devadm.expires": "有效期至", "devadm.qrAlt": "注册二维码",
    "devadm.err.exists": "该设备编号已登记，请改用“重发注册码”", "devadm.err.bad_device_id": "设备编号无效：只能用小写字母、数字、连字符",
    "devadm.err.owner_elsewhere": "使用人不属于所选网格/社区", "devadm.err.unknown_person": "无此人员",
    "stats.title": "统计考核", "stats.from": "开始", "stats.to": "结束", "stats.group": "分组", "stats.show": "查询",
    "stats.csv": "导出 CSV", "stats.grid": "按网格", "stats.community": "按社区", "stats.category": "按类别",
    "stats.reported": "上报数", "stats.filed": "立案数", "stats.closed": "结案数", "stats.closure": "结案率",
    "stats.onTime": "按期结案率", "stats.rework": "返工率", "stats.accept": "平均接单时长",
    "stats.resolve": "平均处置时长", "stats.overdue": "当前超期", "stats.counts": "案件数量", "stats.rates": "考核比率",
    "stats.times": "处置时长（分钟）", "stats.none": "所选时段无数据", "stats.7d": "近7天", "stats.30d": "近30天",
    "stats.unit": "单位", "stats.allUnits": "本辖区全部", "trend.title": "趋势", "trend.bucket": "统计周期",
    "trend.day": "按日", "trend.week": "按周", "trend.month": "按月", "trend.x.day": "日期", "trend.x.week": "周（周一起）",
    "trend.x.month": "月份", "trend.counts": "案件数量趋势", "trend.rates": "考核比率趋势", "trend.countAxis": "件数",
    "trend.rateAxis": "比率", "trend.note": "各点为该周期的考核合计：结案率、按期结案率按周期内立案的案件计算，返工率按其中已结案的计算",
    "trend.tooMany": "时段太长：按日最多 366 天，请改为按周或按月", "density.title": "上报密度", "density.days": "近{n}天", "density.scale": "共 {total} 件，单格最多 {max} 件",
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
    "cases.needsReview": "待研判", "cases.more": "加载更多", "cases.ledger": "导出台账（Excel）", "cases.none": "没有符合条件的案件",
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
    // 回访 (pages/followups.js); the answers' words are followup.* from protocol/labels.py
    "nav.followups": "回访", "fu.title": "回访与满意度", "fu.queue": "待回访（超期优先）", "fu.answers": "最新评价",
    "fu.kpis": "近 30 天回访率与满意率", "fu.empty": "暂无待回访案件", "fu.noAnswers": "暂无评价",
    "fu.case": "案件", "fu.grid": "网格", "fu.closedAt": "结案时间", "fu.dueAt": "回访期限", "fu.status": "状态",
    "fu.overdue": "未回访（已超期）", "fu.pending": "待回访", "fu.notReached": "未联系上", "fu.attempts": "已拨打 {n} 次",
    "fu.log": "登记回访", "fu.outcome": "回访结果", "fu.note": "回访记录（内部，不公开）",
    "fu.notePlaceholder": "居民原话或情况说明（选填）", "fu.save": "保存", "fu.saved": "回访已登记",
    "fu.reopened": "居民不满意：案件已返工，重新派给原处置人", "fu.byCard": "居民刷卡上报：终端刷卡时也会请其评价",
    "fu.noCard": "非刷卡上报：只能电话回访", "fu.answer": "评价", "fu.via": "方式", "fu.when": "时间",
    "fu.channel.kiosk": "终端刷卡", "fu.channel.lookup": "终端查进度", "fu.channel.call": "电话",
    "fu.rate": "回访率", "fu.satisfaction": "满意率", "fu.due": "应回访", "fu.answered": "已回访", "fu.overdueN": "超期未回访",
    "fu.formula": "回访率 = 已回访 ÷ 应回访（期限已到或已有结果）；满意率 =（满意 + 基本满意）÷ 已回访；未抽中的案件不计",
    "fu.skipped": "未抽中，不回访",
    // 居务公开 (pages/notices.js); the categories are notice.* from protocol/labels.py
    "nav.notices": "居务公开", "ntc.title": "居务公开", "ntc.new": "发布公告", "ntc.empty": "暂无公告",
    "ntc.tab.live": "发布中", "ntc.tab.history": "已撤回/已过期", "ntc.category": "类别", "ntc.noticeTitle": "标题",
    "ntc.target": "发布对象", "ntc.state": "状态", "ntc.version": "版本", "ntc.delivery": "终端送达", "ntc.publishAt": "发布时间",
    "ntc.expiresAt": "截止时间", "ntc.pinned": "置顶", "ntc.pin": "置顶显示", "ntc.text": "正文",
    "ntc.counts": "{kiosks} 台终端 · {delivered} 已送达 · {shown} 已显示",
    "ntc.state.published": "发布中", "ntc.state.scheduled": "定时发布", "ntc.state.expired": "已过期", "ntc.state.withdrawn": "已撤回",
    "ntc.amend": "修改", "ntc.withdraw": "撤回", "ntc.withdrawTitle": "撤回这条公告？",
    "ntc.withdrawText": "公告将从 {n} 台终端上撤下，并保留在历史记录中。", "ntc.withdrawn": "公告已撤回",
    "ntc.failed": "操作失败", "ntc.perKiosk": "各终端情况", "ntc.kiosk": "终端", "ntc.dlState": "情况",
    "ntc.deliveredAt": "送达时间", "ntc.shownAt": "显示时间", "ntc.versions": "版本记录",
    "ntc.dl.queued": "待送达", "ntc.dl.delivered": "已送达", "ntc.dl.shown": "已显示", "ntc.dl.old": "旧版本",
    "ntc.dl.withdrawing": "撤回中", "ntc.dl.withdrawn": "已撤下",
    "ntc.notYet": "未到发布时间，尚未下发", "ntc.noKiosks": "发布对象下没有终端", "ntc.wholeScope": "本辖区全部终端",
    "ntc.amendTitle": "修改公告（发布为第 {v} 版）", "ntc.publishLater": "定时发布（留空为立即）",
    "ntc.addImages": "添加图片", "ntc.imagesHint": "最多 {n} 张，自动压缩后随公告下发", "ntc.removeImage": "移除图片",
    "ntc.publish": "发布", "ntc.publishAmend": "发布新版本", "ntc.published": "已发布到 {n} 台终端",
    "ntc.amended": "已发布第 {v} 版", "ntc.pick": "点击左侧公告查看送达情况，或发布新公告",
    "ntc.pickViewer": "点击左侧公告查看送达情况",
    // 议事 (pages/deliberation.js)
    "nav.deliberation": "议事", "dlb.title": "红福议事馆 · 议事", "dlb.new": "发起议题", "dlb.empty": "暂无议题",
    "dlb.topic": "议题", "dlb.target": "发布对象", "dlb.state": "状态", "dlb.voters": "已投票", "dlb.pending": "待审意见",
    "dlb.state.open": "征求意见中", "dlb.state.voting": "投票中", "dlb.state.closed": "已结束", "dlb.state.withdrawn": "已撤回",
    "dlb.queue": "意见审核（审核通过后在终端公开）", "dlb.queueEmpty": "暂无待审核意见", "dlb.approve": "通过并公开",
    "dlb.reject": "不予公开", "dlb.approved": "意见已公开到终端", "dlb.rejected": "意见不予公开",
    "dlb.pick": "点击左侧议题查看实时计票，或发起新议题", "dlb.tally": "实时计票（每张居民卡一票）",
    "dlb.votersN": "投票人数", "dlb.eligible": "有投票权", "dlb.turnout": "参与率", "dlb.repeat": "重复投票（未计入）", "dlb.changed": "改票（留痕）", "dlb.share": "占投票人数",
    "dlb.elig.residents": "持居民卡的居民", "dlb.elig.representatives": "居民代表", "dlb.changes": "截止前可改票",
    "dlb.noChanges": "不可改票", "dlb.closesAt": "投票截止", "dlb.commentsUntil": "征求意见截止", "dlb.noVote": "本议题不设投票",
    "dlb.grid": "网格", "dlb.comments": "居民意见（{n}）", "dlb.c.pending": "待审核", "dlb.c.approved": "已公开",
    "dlb.c.rejected": "不公开", "dlb.c.invalid": "无效", "dlb.c.late": "逾期", "dlb.closeVote": "结束投票并公布结果", "dlb.resolution": "决议",
    "dlb.resolutionHint": "如：《文明养犬公约》表决通过", "dlb.noticeId": "关联公告编号", "dlb.noticeHint": "居务公开公告编号（选填）",
    "dlb.closed": "投票已结束，结果已发送到终端", "dlb.wholeScope": "本辖区全部终端", "dlb.topicTitle": "标题",
    "dlb.background": "背景说明", "dlb.withVote": "设投票", "dlb.options": "选项（每行一个）", "dlb.eligibility": "投票人",
    "dlb.representatives": "居民代表卡密钥（每行一个）", "dlb.repsHint": "终端生成的居民卡密钥（64位），不填卡号",
    "dlb.eligibleHint": "已知时填写，用于计算参与率", "dlb.defaultOptions": "同意\n不同意\n弃权",
    "dlb.privacy": "居民只以卡密钥（加密哈希）出现；意见原文审核通过前不公开。", "dlb.publish": "发布到终端",
    "dlb.published": "议题已发布，覆盖 {n} 个网格",
    "err.generic": "出错了",
  },
  en: {
    "app.title": "Grid Command Centre",
    "nav.map": "Live map", "nav.feed": "Live feed", "nav.board": "Task board", "nav.devices": "Devices",
    "nav.stats": "Statistics", "nav.logout": "Sign out", "nav.group.residents": "Residents",
    "nav.units": "Units & grids",
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
    "dev.unbound": "unbound", "dev.never": "never connected", "dev.revoked": "revoked",
    "dev.summaryRevoked": ", {n} revoked",
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
    "devadm.addTitle": "Add a device", "devadm.deviceId": "Device ID", "devadm.idHint": "e.g. kiosk-fs-03",
    "devadm.unit": "Serves (grid or community)", "devadm.community": "community", "devadm.owner": "Owner (optional)",
    "devadm.noOwner": "none", "devadm.submit": "Issue enrolment code", "devadm.identity": "Enrolment",
    "devadm.id.pending": "Code pending", "devadm.id.active": "Enrolled", "devadm.id.revoked": "Revoked",
    "devadm.id.none": "Not registered", "devadm.validUntil": "code valid until {t}", "devadm.flag": "Flags",
    "devadm.flag.device_mismatch": "Impersonation", "devadm.flag.rate_limited": "Over rate limit",
    "devadm.flagCount": "{n}×", "devadm.actions": "Admin", "devadm.reissue": "Re-issue code", "devadm.revoke": "Revoke",
    "devadm.clearFlag": "Clear flag", "devadm.register": "Register", "devadm.reissueTitle": "Issue a new code for {id}?",
    "devadm.reissueText": "The old code stops working at once; an enrolled device stays connected until the new code is used.",
    "devadm.revokeTitle": "Revoke device {id}?",
    "devadm.revokeText": "The device is cut off and cannot reconnect; what it already sent stays. A new code brings it back.",
    "devadm.reason": "Reason", "devadm.reasonHint": "e.g. phone lost", "devadm.revoked": "{id} revoked",
    "devadm.clearTitle": "Clear the flag on {id}?", "devadm.clearText": "Marks the flag as looked into.",
    "devadm.flagCleared": "Flag cleared", "devadm.issued": "Enrolment code issued",
    "devadm.once": "The code is shown only this once: print the label or note it now.", "devadm.print": "Print label",
    "devadm.labelTitle": "Device enrolment", "devadm.labelScan": "Scan the QR code with the device, or type the code",
    "devadm.code": "Code", "devadm.expires": "Valid until", "devadm.qrAlt": "Enrolment QR code",
    "devadm.err.exists": "This device ID is already registered: re-issue its code instead",
    "devadm.err.bad_device_id": "Invalid device ID: lowercase letters, digits and hyphens only",
    "devadm.err.owner_elsewhere": "The owner does not belong to the chosen unit", "devadm.err.unknown_person": "No such person",
    "stats.title": "Statistics", "stats.from": "From", "stats.to": "To", "stats.group": "Group by",
    "stats.show": "Show", "stats.csv": "Export CSV", "stats.grid": "By grid", "stats.community": "By community",
    "stats.category": "By category", "stats.reported": "Reported", "stats.filed": "Filed", "stats.closed": "Closed",
    "stats.closure": "Closure rate", "stats.onTime": "On-time closure", "stats.rework": "Rework rate",
    "stats.accept": "Mean time to accept", "stats.resolve": "Mean time to resolve", "stats.overdue": "Overdue now",
    "stats.counts": "Case counts", "stats.rates": "Rates", "stats.times": "Handling times (minutes)",
    "stats.none": "No data in this period", "stats.7d": "Last 7 days", "stats.30d": "Last 30 days",
    "stats.unit": "Unit", "stats.allUnits": "Whole scope", "trend.title": "Trend", "trend.bucket": "Per",
    "trend.day": "Day", "trend.week": "Week", "trend.month": "Month", "trend.x.day": "Day", "trend.x.week": "Week (from Monday)",
    "trend.x.month": "Month", "trend.counts": "Case counts over time", "trend.rates": "Rates over time", "trend.countAxis": "Cases",
    "trend.rateAxis": "Rate", "trend.note": "Each point is its bucket's KPI total: closure and on-time rates of the cases filed in it, rework of those closed",
    "trend.tooMany": "Period too long: at most 366 points; choose weeks or months", "density.title": "Report density", "density.days": "Last {n} days", "density.scale": "{total} reports, at most {max} per cell",
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
    "cases.needsReview": "Needs review", "cases.more": "Load more", "cases.ledger": "Export ledger (Excel)", "cases.none": "No case matches",
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
    // 回访 follow-up (pages/followups.js)
    "nav.followups": "Follow-up", "fu.title": "Follow-up and satisfaction", "fu.queue": "Awaiting follow-up (overdue first)",
    "fu.answers": "Latest answers", "fu.kpis": "Follow-up and satisfaction rates, last 30 days",
    "fu.empty": "No case awaits a follow-up", "fu.noAnswers": "No answers yet",
    "fu.case": "Case", "fu.grid": "Grid", "fu.closedAt": "Closed", "fu.dueAt": "Follow up by", "fu.status": "Status",
    "fu.overdue": "Not followed up (overdue)", "fu.pending": "Awaiting", "fu.notReached": "Not reached",
    "fu.attempts": "{n} call(s)", "fu.log": "Log a call", "fu.outcome": "Outcome", "fu.note": "Call note (internal, never public)",
    "fu.notePlaceholder": "The resident's words or what happened (optional)", "fu.save": "Save", "fu.saved": "Follow-up logged",
    "fu.reopened": "Resident dissatisfied: the case is reopened for rework with its last handler",
    "fu.byCard": "Reported with a card: the kiosks ask the resident on their next tap too",
    "fu.noCard": "Reported without a card: by phone only", "fu.answer": "Answer", "fu.via": "Channel", "fu.when": "When",
    "fu.channel.kiosk": "Kiosk (card tap)", "fu.channel.lookup": "Kiosk (progress lookup)", "fu.channel.call": "Phone call",
    "fu.rate": "Follow-up rate", "fu.satisfaction": "Satisfaction rate", "fu.due": "Due", "fu.answered": "Answered",
    "fu.skipped": "Not sampled: no follow-up",
    "fu.overdueN": "Overdue", "fu.formula": "Follow-up rate = answered / due (window over, or an outcome logged); "
      + "satisfaction rate = (satisfied + basically satisfied) / answered; cases not sampled count nowhere",
    // notices (pages/notices.js)
    "nav.notices": "Notices", "ntc.title": "Public notices", "ntc.new": "New notice", "ntc.empty": "No notices",
    "ntc.tab.live": "Live", "ntc.tab.history": "Withdrawn / expired", "ntc.category": "Category", "ntc.noticeTitle": "Title",
    "ntc.target": "For", "ntc.state": "State", "ntc.version": "Version", "ntc.delivery": "Kiosks", "ntc.publishAt": "Published",
    "ntc.expiresAt": "Expires", "ntc.pinned": "Pinned", "ntc.pin": "Pin to the top", "ntc.text": "Text",
    "ntc.counts": "{kiosks} kiosks · {delivered} delivered · {shown} shown",
    "ntc.state.published": "Live", "ntc.state.scheduled": "Scheduled", "ntc.state.expired": "Expired", "ntc.state.withdrawn": "Withdrawn",
    "ntc.amend": "Amend", "ntc.withdraw": "Withdraw", "ntc.withdrawTitle": "Withdraw this notice?",
    "ntc.withdrawText": "It will be taken off {n} kiosks and kept in the history.", "ntc.withdrawn": "Notice withdrawn",
    "ntc.failed": "Failed", "ntc.perKiosk": "Per kiosk", "ntc.kiosk": "Kiosk", "ntc.dlState": "Status",
    "ntc.deliveredAt": "Delivered", "ntc.shownAt": "Shown", "ntc.versions": "Versions",
    "ntc.dl.queued": "Queued", "ntc.dl.delivered": "Delivered", "ntc.dl.shown": "Shown", "ntc.dl.old": "Old version",
    "ntc.dl.withdrawing": "Withdrawing", "ntc.dl.withdrawn": "Taken off",
    "ntc.notYet": "Not published yet", "ntc.noKiosks": "No kiosks under this target", "ntc.wholeScope": "Every kiosk in",
    "ntc.amendTitle": "Amend (publishes version {v})", "ntc.publishLater": "Publish at (empty: now)",
    "ntc.addImages": "Add images", "ntc.imagesHint": "Up to {n}, made small and sent with the notice",
    "ntc.removeImage": "Remove image", "ntc.publish": "Publish", "ntc.publishAmend": "Publish new version",
    "ntc.published": "Published to {n} kiosks", "ntc.amended": "Version {v} published",
    "ntc.pick": "Open a notice on the left to see its delivery, or publish a new one",
    "ntc.pickViewer": "Open a notice on the left to see its delivery",
    // deliberation (pages/deliberation.js)
    "nav.deliberation": "Deliberation", "dlb.title": "Community deliberation hall", "dlb.new": "New topic",
    "dlb.empty": "No topics", "dlb.topic": "Topic", "dlb.target": "For", "dlb.state": "State", "dlb.voters": "Voted",
    "dlb.pending": "To review", "dlb.state.open": "Open for comments", "dlb.state.voting": "Voting",
    "dlb.state.closed": "Closed", "dlb.state.withdrawn": "Withdrawn",
    "dlb.queue": "Comment review (approved comments are shown on the kiosks)", "dlb.queueEmpty": "No comments to review",
    "dlb.approve": "Approve and publish", "dlb.reject": "Do not publish", "dlb.approved": "Comment published to the kiosks",
    "dlb.rejected": "Comment not published", "dlb.pick": "Open a topic on the left for its live tally, or start a new one",
    "dlb.tally": "Live tally (one vote per resident card)", "dlb.votersN": "Voters", "dlb.eligible": "Eligible",
    "dlb.turnout": "Turnout", "dlb.repeat": "Repeat votes (not counted)",
    "dlb.changed": "Changed votes (audited)", "dlb.share": "Share of voters", "dlb.elig.residents": "Residents with a card",
    "dlb.elig.representatives": "Representatives", "dlb.changes": "Votes may be changed until the close",
    "dlb.noChanges": "No changes", "dlb.closesAt": "Voting closes", "dlb.commentsUntil": "Comments until",
    "dlb.noVote": "This topic has no vote", "dlb.grid": "Grid", "dlb.comments": "Residents' comments ({n})",
    "dlb.c.pending": "To review", "dlb.c.approved": "Published", "dlb.c.rejected": "Not published", "dlb.c.invalid": "Invalid", "dlb.c.late": "Late",
    "dlb.closeVote": "Close the vote and publish the result", "dlb.resolution": "Resolution",
    "dlb.resolutionHint": "e.g. the dog-keeping pact is adopted", "dlb.noticeId": "Notice id",
    "dlb.noticeHint": "id of the notice publishing it (optional)", "dlb.closed": "Vote closed; the result went to the kiosks",
    "dlb.wholeScope": "Every kiosk in", "dlb.topicTitle": "Title", "dlb.background": "Background",
    "dlb.withVote": "With a vote", "dlb.options": "Options (one per line)", "dlb.eligibility": "Who votes",
    "dlb.representatives": "Representatives' card keys (one per line)",
    "dlb.repsHint": "card keys (64 hex) made by a kiosk, never card numbers",
    "dlb.eligibleHint": "when known, for the turnout", "dlb.defaultOptions": "For\nAgainst\nAbstain",
    "dlb.privacy": "Residents appear only as card keys (keyed hashes); a comment's text stays private until approved.",
    "dlb.publish": "Publish to the kiosks", "dlb.published": "Topic published to {n} grids",
    "err.generic": "Something went wrong",
  },
};

// The shared words first, the dashboard's own beside them (a key in both would be drift: tests/hub/web refuse it).
const CATALOGUE = Object.fromEntries(Object.keys(OWN).map((l) => [l, { ...(LABELS[l] || {}), ...OWN[l] }]));

let lang = localStorage.getItem("gridline.lang") || "zh-CN";
if (!CATALOGUE[lang]) lang = "zh-CN";

export function getLang() { return lang; }

/** A feature's own texts ({ "zh-CN": {...}, en: {...} } from an i18n_<feature>.js), merged into the catalogue when
 * that module loads. A key the catalogue already has with another text keeps its first text and is listed in
 * TEXT_CLASHES (tests/hub/web/test_admin_texts.py fails on any). */
export const TEXT_CLASHES = [];
export function addTexts(texts) {
  for (const l of Object.keys(CATALOGUE)) {
    for (const [key, text] of Object.entries(texts[l] || {})) {
      if (key in CATALOGUE[l] && CATALOGUE[l][key] !== text) {
        TEXT_CLASHES.push(`${l} ${key}`);
        console.warn(`i18n: ${key} is defined twice`);
        continue;
      }
      CATALOGUE[l][key] = text;
    }
  }
}

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
