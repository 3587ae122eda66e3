// 访问日志 (the access audit log): who viewed or changed what - filter by account, route, a resource id (a case, a
// person, a photo...) and time; export the same filter as xlsx or CSV (GET /api/access-log/export). An admin sees
// the rows of the accounts of their subtree; reading and exporting the log is itself logged.
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { getLang, t } from "../i18n.js";
import { data } from "../ui.js";
import { adminFrame, downloadLink, field, shortTime } from "./admin_common.js";

const PAGE = 100;

/** A datetime-local value as an aware ISO time (the browser's zone), or null. */
function aware(value) {
  return value ? new Date(value).toISOString() : null;
}

export async function mount(root, ctx) {
  if (!adminFrame(root, ctx, "accesslog")) return () => {};
  const operators = await api.get("/api/operators").catch(() => []);
  const names = new Map(operators.map((o) => [o.id, o.username]));
  const op = h("select", { "data-testid": "log-operator" }, h("option", { value: "" }, t("adm.all")),
    ...operators.map((o) => h("option", { value: o.id, translate: "no" }, `${o.username} · ${o.display_name}`)));
  const route = h("input", { size: 28, placeholder: "/api/people/{person_id}", list: "adm-routes", translate: "no", "data-testid": "log-route" });
  const resource = h("input", { size: 20, placeholder: t("adm.log.resourceHint"), "data-testid": "log-resource" });
  const since = h("input", { type: "datetime-local", "data-testid": "log-since" });
  const until = h("input", { type: "datetime-local", "data-testid": "log-until" });
  const routes = h("datalist", { id: "adm-routes" });
  const body = h("tbody");
  const summary = h("p", { class: "muted adm-summary", "data-testid": "log-summary" });
  const exports = h("span", { class: "exports" });
  const more = h("button", { type: "button", hidden: true, "data-testid": "log-more" }, t("adm.more"));
  let rows = [];
  const form = h("form", { class: "filters", "data-testid": "log-filters" }, field(t("adm.log.operator"), op), field(t("adm.log.route"), route),
    field(t("adm.log.resource"), resource), field(t("adm.log.since"), since), field(t("adm.log.until"), until),
    h("button", { type: "submit", class: "primary", "data-testid": "log-apply" }, t("adm.filter")), exports);
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  root.append(h("section", { class: "panel" }, h("h2", {}, t("adm.log.title")), h("p", { class: "muted" }, t("adm.log.note")), form, routes, summary,
    h("div", { class: "table-scroll" }, h("table", { class: "adm accesslog", "data-testid": "accesslog" },
      h("thead", {}, h("tr", {}, ...["adm.log.at", "adm.log.operator", "adm.log.method", "adm.log.route", "adm.log.resources",
        "adm.log.status", "adm.log.client"].map((k) => h("th", {}, t(k))))), body)), more));

  const filters = () => ({ operator_id: op.value, route: route.value.trim(), resource_id: resource.value.trim(),
                           since: aware(since.value), until: aware(until.value) });

  async function load(append = false) {
    const page = await api.get(`/api/access-log${qs({ ...filters(), limit: PAGE, before_id: append ? rows[rows.length - 1]?.id : null })}`);
    rows = append ? [...rows, ...page] : page;
    more.hidden = page.length < PAGE;
    const lang = getLang() === "en" ? "en" : "zh-CN";
    exports.replaceChildren(downloadLink(`/api/access-log/export${qs({ ...filters(), format: "xlsx", lang })}`, t("adm.log.xlsx"), "log-xlsx"), " ",
      downloadLink(`/api/access-log/export${qs({ ...filters(), format: "csv", lang })}`, t("adm.log.csv"), "log-csv"));
    summary.textContent = t("adm.log.count", { n: rows.length });
    const known = new Set([...routes.querySelectorAll("option")].map((o) => o.value));
    for (const r of rows) if (!known.has(r.route)) { known.add(r.route); routes.append(h("option", { value: r.route })); }
    body.replaceChildren(...rows.map((r) => h("tr", { "data-entry": r.id, class: r.status >= 400 ? "inactive" : null },
      h("td", {}, shortTime(r.at)),
      h("td", {}, data(r.operator_id ? names.get(r.operator_id) || r.operator_id : r.api_key_id ? `key ${r.api_key_id}` : "—")),
      h("td", { class: "mono" }, r.method), h("td", { class: "mono" }, data(r.route)),
      h("td", { class: "mono" }, data(Object.entries(r.resource_ids).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join("  "))),
      h("td", {}, h("span", { class: `badge ${r.status >= 400 ? "disabled" : "on-duty"}` }, String(r.status))),
      h("td", { class: "mono" }, data(r.client_addr)))));
  }
  more.addEventListener("click", () => load(true));
  await load();
  return () => {};
}
