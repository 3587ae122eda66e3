// Shared pieces of the casework pages: toasts that survive a reload, a confirmation dialog, the names behind the
// codes (grids, categories, people) and the marking of data.
//
// Data versus screen text: whatever came from people or from the data (titles, notes, names of people and grids
// typed by an administrator) is wrapped by data() - translate="no" - and everything else on screen comes from
// the catalogue (i18n.js). The English-completeness test (tests/e2e/test_casework_pages.py) reads every text
// node outside [translate=no] and fails on CJK characters: a label someone forgot to translate shows up there.
import { api, ApiError } from "./api.js";
import { h } from "./dom.js";
import { ago, getLang, t, timeOf, duration } from "./i18n.js";

export function data(text, attrs = {}, tag = "span") {
  const cls = ["data", attrs.class].filter(Boolean).join(" ");
  return h(tag, { ...attrs, class: cls, translate: "no" }, text == null || text === "" ? "—" : text);
}

// -- errors in the operator's language ----------------------------------------------------------------
export function errorText(err) {
  if (!(err instanceof ApiError)) return t("err.generic");
  const d = err.detail;
  if (d && typeof d === "object" && !Array.isArray(d) && (d.zh || d.en)) return (getLang() === "en" ? d.en : d.zh) || d.zh || d.en;
  if (Array.isArray(d)) return d.map((x) => `${(x.loc || []).slice(1).join(".")}: ${x.msg}`).join("; ");
  if (err.status === 409) return t("ui.conflict");
  if (err.status === 404) return t("ui.notFound");
  if (err.status === 403) return t("ui.forbidden");
  return typeof d === "string" && d ? d : `${t("err.generic")} (${err.status})`;
}

// -- toasts ------------------------------------------------------------------------------------------
// Kept in sessionStorage until they expire, so a page reload or re-render right after an action does not
// wipe what the operator was told.
const TOAST_KEY = "gridline.toasts";
const shown = new Map(); // id -> element

function stored() {
  try { return JSON.parse(sessionStorage.getItem(TOAST_KEY) || "[]").filter((x) => x.until > Date.now()); } catch { return []; }
}
function store(list) { sessionStorage.setItem(TOAST_KEY, JSON.stringify(list)); }

function box() {
  let el = document.getElementById("toasts");
  if (!el) { el = h("div", { id: "toasts", "aria-live": "polite" }); document.body.append(el); }
  return el;
}

function render(item) {
  if (shown.has(item.id)) return;
  const close = () => dismiss(item.id);
  const el = h("div", { class: `toast ${item.kind}`, role: item.kind === "error" ? "alert" : "status",
                        "data-testid": "toast", dataset: { kind: item.kind } },
    h("span", { class: "toast-text" }, item.text),
    h("button", { type: "button", class: "toast-close", "aria-label": t("ui.close"), title: t("ui.close"), onclick: close }, "×"));
  shown.set(item.id, el);
  box().append(el);
  setTimeout(close, Math.max(0, item.until - Date.now()));
}

export function dismiss(id) {
  store(stored().filter((x) => x.id !== id));
  shown.get(id)?.remove();
  shown.delete(id);
}

/** Tell the operator something: kind ok | error | notice. Errors stay longer. */
export function toast(text, kind = "ok", ms = kind === "error" ? 15000 : kind === "notice" ? 12000 : 10000) {
  const item = { id: `${Date.now()}-${Math.random().toString(16).slice(2, 8)}`, text, kind, until: Date.now() + ms };
  store([...stored(), item].slice(-6));
  render(item);
  return item.id;
}

/** What the hub says about a step it applied (CaseOut.notices: {code, zh, en}), each as a toast. */
export function noticeToasts(answer) {
  for (const n of answer?.notices || []) toast((getLang() === "en" ? n.en : n.zh) || n.zh || n.en, "notice");
}

/** Show the toasts a reload interrupted. */
export function restoreToasts() { for (const item of stored()) render(item); }

// -- confirmation -------------------------------------------------------------------------------------
/** A modal question; resolves true when confirmed. ``body`` may hold extra nodes (what will happen). */
export function confirmDialog({ title, text = "", body = null, ok = t("ui.confirm"), danger = false }) {
  return new Promise((resolve) => {
    const okBtn = h("button", { type: "button", class: danger ? "danger" : "primary", "data-testid": "confirm-ok" }, ok);
    const cancel = h("button", { type: "button", "data-testid": "confirm-cancel" }, t("case.cancel"));
    const dlg = h("dialog", { class: "confirm", "data-testid": "confirm" },
      h("h3", {}, title), text ? h("p", {}, text) : null, body,
      h("div", { class: "buttons" }, cancel, okBtn));
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      if (dlg.open) dlg.close();
      dlg.remove();
      resolve(value);
    };
    okBtn.addEventListener("click", () => finish(true));
    cancel.addEventListener("click", () => finish(false));
    dlg.addEventListener("cancel", (e) => { e.preventDefault(); finish(false); }); // Esc
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

// -- the names behind the codes -------------------------------------------------------------------------
// One directory per page view: grids (with geometry), people, categories; fetched together, cached briefly.
let cached = null, cachedAt = 0;

export async function directory({ fresh = false } = {}) {
  if (!fresh && cached && Date.now() - cachedAt < 60000) return cached;
  const [grids, people, categories] = await Promise.all([
    api.get("/api/map/grids").catch(() => ({ features: [] })),
    api.get("/api/map/people").catch(() => []),
    api.get("/api/categories").catch(() => []),
  ]);
  const dir = {
    grids: new Map(grids.features.map((f) => [f.properties.code, { ...f.properties, geometry: f.geometry }])),
    people: new Map(people.map((p) => [p.id, p])),
    categories: new Map((Array.isArray(categories) ? categories : categories.items || []).map((c) => [c.code, c])),
    gridFeatures: grids,
  };
  cached = dir;
  cachedAt = Date.now();
  return dir;
}

export function forgetDirectory() { cached = null; }

/** A category's name in the current language: from the directory, else from names on the item, else the code. */
export function categoryText(dir, code, item = {}) {
  const c = dir?.categories.get(code);
  const en = getLang() === "en";
  const zh = c?.name_zh || item.category_zh || item.category_name_zh;
  const eng = c?.name_en || item.category_en || item.category_name_en;
  return (en ? eng || zh : zh || eng) || code || "—";
}

/** Where a case is: its grid's name (or its community's when it has no grid), as data - names are typed by an
 * administrator. The names on the item (the API's grid_name / community_name) come first. */
export function gridText(dir, c) {
  if (c.grid_code) return data(c.grid_name || dir?.grids.get(c.grid_code)?.name || c.grid_code, { title: c.grid_code });
  return data(c.community_name || c.community_code, { title: c.community_code || "" });
}

export function gridName(dir, code) { return code ? dir?.grids.get(code)?.name || code : "—"; }

export function personName(dir, ref) {
  if (!ref) return null;
  if (typeof ref === "object") return ref.name || dir?.people.get(ref.id)?.name || ref.id;
  return dir?.people.get(ref)?.name || ref;
}

/** A case's title: a device report's title is its category's Chinese name, shown in the operator's language;
 * a title someone typed is data. */
export function caseTitle(dir, c) {
  const cat = dir?.categories.get(c.category_code);
  const auto = !c.title || c.title === cat?.name_zh || c.title === c.category_zh || c.title === c.category_name_zh;
  return auto ? h("span", { class: "case-title" }, categoryText(dir, c.category_code, c))
    : data(c.title, { class: "case-title" });
}

/** Categories as <optgroup>s by kind (部件/事件), names only; ``current`` selected. */
export function categoryOptions(dir, current, { includeEmpty = false, emptyLabel = "" } = {}) {
  const groups = new Map();
  const list = [...dir.categories.values()].filter((c) => c.enabled !== false || c.code === current)
    .sort((a, b) => a.code.localeCompare(b.code));
  for (const c of list) {
    const kind = c.kind || "other";
    if (!groups.has(kind)) groups.set(kind, []);
    groups.get(kind).push(h("option", { value: c.code, selected: c.code === current }, categoryText(dir, c.code)));
  }
  const out = includeEmpty ? [h("option", { value: "" }, emptyLabel || t("ui.any"))] : [];
  if (current && !dir.categories.has(current)) out.push(h("option", { value: current, selected: true }, current));
  for (const [kind, options] of groups) out.push(h("optgroup", { label: t(`catkind.${kind}`) }, ...options));
  return out;
}

/** Grids as options (names; the code as a tooltip). */
export function gridOptions(dir, current, { includeEmpty = false, emptyLabel = "" } = {}) {
  const out = includeEmpty ? [h("option", { value: "" }, emptyLabel || t("ui.any"))] : [];
  for (const g of [...dir.grids.values()].sort((a, b) => a.code.localeCompare(b.code))) {
    out.push(h("option", { value: g.code, selected: g.code === current, title: g.code, translate: "no", class: "data" }, g.name || g.code));
  }
  return out;
}

/** Run ``fn`` at most once per ``ms`` (the last call is not lost): live events come in bursts. */
export function throttle(fn, ms) {
  let timer = null, last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => { timer = null; last = Date.now(); fn(); }, wait);
  };
}

// -- times ----------------------------------------------------------------------------------------------
export function ageText(iso) { return iso ? ago(iso) : "—"; }

/** Time left to a case's deadline (or how long overdue), from remaining_s read at ``loadedAt``. */
export function remainingText(c, loadedAt = Date.now()) {
  if (c.remaining_s == null) return c.deadline ? timeOf(c.deadline) : t("board.noDeadline");
  const left = c.remaining_s - (Date.now() - loadedAt) / 1000;
  return left < 0 ? `${t("case.overdue")} ${duration(-left)}` : t("later", { t: duration(left) });
}

export { timeOf };
