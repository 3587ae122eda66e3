// Shared bits of the 服务 pages: the colour chip, role and kind names, the CSS, and file downloads.
import { h, LEVEL_COLOURS } from "../dom.js";
import { getLang, t } from "../i18n.js";

export function loadCss() {
  if (document.querySelector("link[data-services-css]")) return;
  document.head.append(h("link", { rel: "stylesheet", href: new URL("./services.css", import.meta.url).href,
                                   "data-services-css": "" }));
}

export const colour = (lv, testid) => h("span", { class: "colour", "data-testid": testid, dataset: { colour: lv } },
  h("i", { style: `background:${LEVEL_COLOURS[lv] || "#999"}` }), t(`level.${lv}`));

/** A person role's name: the services' own wording, else the admin pages' role names (i18n_admin.js). */
export function roleName(role) {
  const own = `svc.role.${role || "control"}`;
  if (t(own) !== own) return t(own);
  const admin = `adm.prole.${role}`;
  return t(admin) !== admin ? t(admin) : role;
}

export function download(path, label, testid) {
  return h("a", { class: "button", href: path, download: "", "data-testid": testid }, label);
}

/** A list separator and brackets in the page's language (Chinese ones would leak into the English page). */
export const sep = () => (getLang() === "en" ? ", " : "、");
export const paren = (text) => (getLang() === "en" ? ` (${text})` : `（${text}）`);
