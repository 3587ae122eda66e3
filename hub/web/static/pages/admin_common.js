// The admin pages' shared parts (issue 20): the tab strip across them, their stylesheet, the refusals the hub
// explains by code, short times, the unit picker (a tree of names, indented by level) and a labelled field.
// Each admin page is its own module (people, categories, calendar, operators, dead letters, access log); the
// texts are in ../i18n_admin.js, merged into the catalogue when it loads.
import "../i18n_admin.js";
import { api } from "../api.js";
import { h } from "../dom.js";
import { getLang, t } from "../i18n.js";
import { errorText } from "../ui.js";

export const ADMIN_TABS = ["people", "categories", "calendar", "operators", "deadletters", "accesslog"];

export function ensureStyles() {
  if (document.querySelector("link[data-admin-css]")) return;
  document.head.append(h("link", { rel: "stylesheet", href: new URL("./admin.css", import.meta.url).href, "data-admin-css": "" }));
}

/** The strip of admin tabs, the current one marked. */
export function adminTabs(current) {
  return h("nav", { class: "admin-tabs", "data-testid": "admin-tabs" },
    ...ADMIN_TABS.map((name) => h("a", { href: `#/${name}`, class: name === current ? "on" : null, "data-tab": name,
                                         "aria-current": name === current ? "page" : null }, t(`adm.tab.${name}`))));
}

/** A page's frame: the tabs and a heading. Non-admins get a short note instead of the page (the API refuses them). */
export function adminFrame(root, ctx, name) {
  ensureStyles();
  root.append(adminTabs(name));
  if (ctx?.me?.role !== "admin") {
    root.append(h("section", { class: "panel" }, h("p", { class: "muted", "data-testid": "admin-only" }, t("adm.adminOnly"))));
    return false;
  }
  return true;
}

/** The units and phones of the admin's scope (GET /api/people/choices), fetched once per page view. */
export function scopeChoices() { return api.get("/api/people/choices"); }

/** Whether the signed-in admin is scoped to the top of the hierarchy (the scope unit has no parent): only they
 * change what applies to the whole deployment (categories, the calendar, Open311 keys). */
export function isTop(ctx, choices) {
  const unit = choices.units.find((u) => u.code === ctx.me.scope_code);
  return Boolean(unit) && !unit.parent_code;
}

/** An API refusal in the operator's language. */
export function refusal(err) { return errorText(err); }

export function shortTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(getLang() === "en" ? "en-GB" : "zh-CN",
    { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
}

export function field(label, control, attrs = {}) {
  return h("label", { class: "adm-field", ...attrs }, h("span", {}, label), control);
}

const DEPTH = { city: 0, district: 1, street: 2, community: 3, grid: 4, building: 5 };

/** <option>s for units, as a tree (names indented by level, the level named, the code on hover). */
export function unitOptions(units, selected, { empty = null } = {}) {
  const top = Math.min(...units.map((u) => DEPTH[u.level] ?? 0));
  const opts = units.map((u) => h("option", { value: u.code, translate: "no", title: u.code, selected: u.code === selected },
    `${"\u3000".repeat(Math.max(0, (DEPTH[u.level] ?? 0) - top))}${u.name} · ${t(`adm.level.${u.level}`)}`));
  return empty === null ? opts : [h("option", { value: "" }, empty), ...opts];
}

/** Units in tree order (each under its parent), from a list sorted by code. */
export function treeOrder(units) {
  const children = new Map();
  const codes = new Set(units.map((u) => u.code));
  for (const u of units) {
    const parent = codes.has(u.parent_code) ? u.parent_code : "";
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(u);
  }
  const out = [];
  const walk = (code) => { for (const u of children.get(code) || []) { out.push(u); walk(u.code); } };
  walk("");
  return out;
}

/** A file download from a GET route (the session cookie goes along): an <a download>. */
export function downloadLink(href, label, testid) {
  return h("a", { class: "button", href, download: "", "data-testid": testid }, label);
}
