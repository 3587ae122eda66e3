// 走访日记 (法律需求日记, issue 18): the home visits recorded on the phones, per grid and period - who visited, whom
// they met, the needs with the level that must solve each, and the service case each need became (one record, many
// queues). The visit note is private (acting roles only). Export as xlsx / CSV.
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { getLang, t, timeOf } from "../i18n.js";
import { data, directory, gridName, gridOptions, personName } from "../ui.js";
import { download, paren, sep } from "./services_common.js";

const day = (d) => d.toISOString().slice(0, 10);
const PRIVATE = "（仅经办人员可见）"; // what the API sends a viewer instead of the private text (hub/services/views.py)

export async function mount(body, ctx) {
  const dir = await directory();
  const grid = h("select", { "data-testid": "vis-grid" }, ...gridOptions(dir, "", { includeEmpty: true, emptyLabel: t("vis.allGrids") }));
  const from = h("input", { type: "date", value: day(new Date(Date.now() - 30 * 864e5)), "data-testid": "vis-from" });
  const to = h("input", { type: "date", value: day(new Date(Date.now() + 864e5)), "data-testid": "vis-to" });
  const exports = h("span", {});
  const rows = h("tbody", { "data-testid": "vis-diary" });
  body.append(h("h3", {}, t("vis.title")),
    h("div", { class: "vis-filters" }, t("vis.grid"), grid, t("vis.from"), from, t("vis.to"), to,
      h("button", { type: "button", onclick: () => load() }, t("vis.filter")), exports),
    h("table", { class: "list" }, h("thead", {}, h("tr", {}, ...["vis.when", "vis.grid", "vis.building", "vis.worker",
      "vis.met", "vis.needs", "vis.cases", "vis.note"].map((k) => h("th", {}, t(k))))), rows));

  async function load() {
    const filters = { grid: grid.value || undefined, since: from.value ? new Date(from.value).toISOString() : undefined,
                      until: to.value ? new Date(to.value).toISOString() : undefined };
    const lang = getLang() === "en" ? "en" : "zh-CN";
    exports.replaceChildren(download(`/api/visits/export${qs({ ...filters, format: "xlsx", lang })}`, `${t("vis.export")} (xlsx)`, "vis-export-xlsx"),
      " ", download(`/api/visits/export${qs({ ...filters, format: "csv", lang })}`, `${t("vis.export")} (CSV)`, "vis-export-csv"));
    const visits = await api.get(`/api/visits${qs(filters)}`);
    rows.replaceChildren(...visits.map((v) => h("tr", { dataset: { visit: v.id } },
      h("td", {}, timeOf(v.visited_at)),
      h("td", {}, data(gridName(dir, v.grid_code))),
      h("td", {}, data(v.building_code ? v.building_code.slice(-3) : "—", { title: v.building_code || "" })),
      h("td", {}, data(personName(dir, v.worker) || v.device_id)),
      h("td", {}, t(`svc.met.${v.met}`)),
      h("td", {}, v.requests.map((q) => t(`svc.kind.${q.kind}`) + paren(t(`svc.need.${q.need_level || "grid"}`))).join(sep()) || "—"),
      h("td", {}, ...v.requests.map((q) => h("a", { href: `#/case/${q.case_id}`, class: "card-ref", style: "margin-right:6px" }, q.reference || q.case_id.slice(0, 8)))),
      h("td", { class: v.private_note === PRIVATE ? "private" : "" }, v.private_note === PRIVATE ? t("vis.private") : data(v.private_note || "—")))));
    if (!visits.length) rows.append(h("tr", {}, h("td", { colspan: 8, class: "muted" }, t("vis.empty"))));
  }
  await load();
  return load;
}
