// The 单元网格 page's own screen texts, zh-CN first and English complete (kept beside the page rather than in
// i18n.js, which holds the shell's and the shared pages' texts; the menu entry nav.units is there).
import { getLang } from "../i18n.js";

const TEXT = {
  "zh-CN": {
    title: "单元与网格", adminsOnly: "仅管理员可管理单元与网格",
    "level.city": "市", "level.district": "区", "level.street": "街道", "level.community": "社区",
    "level.grid": "网格", "level.building": "楼栋",
    import: "导入 GeoJSON", export: "导出 GeoJSON", importDone: "已导入：新建 {created}，更新 {updated}（{datum}）",
    importFailed: "导入失败", "datum.wgs84": "WGS-84", "datum.gcj02": "GCJ-02，已转换为 WGS-84",
    "datum.bd09": "BD-09，已转换为 WGS-84", code: "编码", parent: "上级", rename: "重命名", renamed: "已重命名",
    addChild: "新建下级{level}", name: "名称", codeAuto: "编码（留空自动编号）", create: "新建", created: "已新建 {code}",
    editOutline: "编辑边界", saveOutline: "保存边界", cancel: "取消", saved: "边界已保存，派单按新边界执行",
    dragHint: "拖动顶点调整边界；保存前自动检查重叠与空隙", noOutline: "该网格尚无边界：在地图上绘制，或导入 GeoJSON",
    drawOutline: "绘制边界", finishDrawing: "完成绘制", drawHint: "在地图上依次点击边界的各个角点（靠近相邻网格角点时自动吸附）",
    multi: "多部分边界请通过导入修改", problems: "边界检查", noProblems: "无重叠、无空隙",
    overlap: "与 {other} 重叠 {share}（约 {area} 平方米）", gap: "社区内空隙约 {area} 平方米",
    refused: "有重叠，未保存", select: "在左侧选择一个单元", buildings: "楼栋 {n} 个", units: "下级 {n} 个",
    legendGrid: "网格", legendSelected: "选中", legendOverlap: "重叠", legendGap: "空隙",
  },
  en: {
    title: "Units and grids", adminsOnly: "Only admins manage units and grids",
    "level.city": "City", "level.district": "District", "level.street": "Street", "level.community": "Community",
    "level.grid": "Grid", "level.building": "Building",
    import: "Import GeoJSON", export: "Export GeoJSON", importDone: "Imported: {created} new, {updated} updated ({datum})",
    importFailed: "Import failed", "datum.wgs84": "WGS-84", "datum.gcj02": "GCJ-02, converted to WGS-84",
    "datum.bd09": "BD-09, converted to WGS-84", code: "Code", parent: "Parent", rename: "Rename", renamed: "Renamed",
    addChild: "New {level} below", name: "Name", codeAuto: "Code (empty: next number)", create: "Create",
    created: "Created {code}", editOutline: "Edit outline", saveOutline: "Save outline", cancel: "Cancel",
    saved: "Outline saved; reports now route by it", dragHint: "Drag the corners; overlaps and gaps are checked as you go",
    noOutline: "No outline yet: draw one on the map or import a GeoJSON", multi: "Multi-part outlines: change them by import",
    drawOutline: "Draw outline", finishDrawing: "Finish",
    drawHint: "Click the corners on the map in turn (they snap to a neighbouring grid's corners)",
    problems: "Outline check", noProblems: "No overlaps, no gaps", overlap: "Overlaps {other} by {share} (about {area} m²)",
    gap: "Gap in the community, about {area} m²", refused: "Overlaps: not saved", select: "Pick a unit on the left",
    buildings: "{n} buildings", units: "{n} units below",
    legendGrid: "Grid", legendSelected: "Selected", legendOverlap: "Overlap", legendGap: "Gap",
  },
};

/** This page's text in the operator's language (zh-CN when a key is missing), with {name} placeholders filled. */
export function say(key, vars = {}) {
  let s = TEXT[getLang()]?.[key] ?? TEXT["zh-CN"][key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

export const TEXT_KEYS = TEXT; // for a completeness check
