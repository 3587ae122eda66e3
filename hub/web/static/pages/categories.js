// 案件类别 (CJ/T 214 部件 / 事件): every category with its time limit, handling department, urgent-by-default flag and
// whether it may be filed. The taxonomy is deployment-wide: the top unit's admins edit it here (a row's changes are
// saved together, PATCH /api/categories/{code}); other admins see it read-only.
import { api } from "../api.js";
import { h } from "../dom.js";
import { getLang, t } from "../i18n.js";
import { data, forgetDirectory, toast } from "../ui.js";
import { adminFrame, field, isTop, refusal, scopeChoices } from "./admin_common.js";

const UNITS = ["working_hours", "working_days"];

export async function mount(root, ctx) {
  if (!adminFrame(root, ctx, "categories")) return () => {};
  const [list, choices, policy] = await Promise.all([api.get("/api/categories"), scopeChoices(),
                                                      api.get("/api/categories/levels")]);
  let cats = list;
  const editable = isTop(ctx, choices); // the hub refuses anyone else (403 not_top)
  const body = h("tbody");
  const fKind = h("select", { "data-testid": "cat-kind" }, h("option", { value: "" }, t("adm.all")),
    h("option", { value: "component" }, t("adm.cat.component")), h("option", { value: "event" }, t("adm.cat.event")));
  const fState = h("select", { "data-testid": "cat-state" }, h("option", { value: "" }, t("adm.all")),
    h("option", { value: "on" }, t("adm.cat.enabled")), h("option", { value: "off" }, t("adm.cat.disabled")));
  const fText = h("input", { type: "search", placeholder: t("adm.cat.search"), "data-testid": "cat-search" });
  const summary = h("p", { class: "muted adm-summary", "data-testid": "cat-summary" });
  const departments = h("datalist", { id: "adm-departments" });
  root.append(h("section", { class: "panel" }, h("h2", {}, t("adm.cat.title")),
    h("p", { class: "muted" }, editable ? t("adm.cat.note") : t("adm.cat.readOnly")),
    h("div", { class: "filters" }, field(t("adm.cat.kind"), fKind), field(t("adm.cat.state"), fState), field(t("adm.search"), fText)),
    summary, departments,
    h("div", { class: "table-scroll" }, h("table", { class: "adm categories", "data-testid": "categories" },
      h("thead", {}, h("tr", {}, ...["adm.cat.code", "adm.cat.name", "adm.cat.kind", "adm.cat.limit", "adm.cat.levels", "adm.cat.department",
        "adm.cat.urgent", "adm.cat.enabledCol", "adm.actions"].map((k) => h("th", {}, t(k))))), body))));

  const name = (c) => (getLang() === "en" ? c.name_en || c.name_zh : c.name_zh || c.name_en);

  function draw() {
    departments.replaceChildren(...[...new Set(cats.map((c) => c.department).filter(Boolean))].sort()
      .map((d) => h("option", { value: d })));
    const needle = fText.value.trim().toLowerCase();
    const shown = cats.filter((c) => (!fKind.value || c.kind === fKind.value)
      && (!fState.value || c.enabled === (fState.value === "on"))
      && (!needle || c.code.toLowerCase().includes(needle) || c.name_zh.includes(needle) || c.name_en.toLowerCase().includes(needle)
          || (c.department || "").includes(needle)));
    summary.textContent = t("adm.cat.count", { n: shown.length, off: cats.filter((c) => !c.enabled).length });
    body.replaceChildren(...shown.map(row));
  }

  function row(c) {
    const value = h("input", { type: "number", min: 1, max: 10000, step: 1, value: c.time_limit_value, disabled: !editable, "data-testid": "cat-limit" });
    const unit = h("select", { disabled: !editable, "data-testid": "cat-unit" },
      ...UNITS.map((u) => h("option", { value: u, selected: u === c.time_limit_unit }, t(`adm.cat.${u}`))));
    const dept = h("input", { class: "dept", list: "adm-departments", maxlength: 64, value: c.department || "", disabled: !editable,
                              translate: "no", "data-testid": "cat-dept" });
    const urgent = h("input", { type: "checkbox", checked: c.urgent, disabled: !editable, "data-testid": "cat-urgent" });
    const enabled = h("input", { type: "checkbox", checked: c.enabled, disabled: !editable, "data-testid": "cat-enabled" });
    // the three colours per level: yellow and red at the policy's shares of the limit (a red one past it escalates)
    const levels = h("td", { class: "levels", "data-testid": "cat-levels" });
    const drawLevels = () => {
      if (urgent.checked) { levels.replaceChildren(h("span", { class: "lv red" }, t("adm.cat.redAtOnce"))); return; }
      const n = Number(value.value) || 0;
      const at = (share) => String(Math.round(n * share * 10) / 10);
      levels.replaceChildren(h("span", { class: "lv yellow" }, at(policy.yellow_at)), " / ",
        h("span", { class: "lv red" }, at(policy.red_at)), " / ", h("span", { class: "lv over" }, String(n)), " ",
        h("span", { class: "muted" }, t(`adm.cat.${unit.value}`)));
    };
    drawLevels();
    const save = h("button", { type: "button", class: "small primary", disabled: true, hidden: !editable, "data-testid": "cat-save" }, t("adm.save"));
    const tr = h("tr", { "data-code": c.code, class: c.enabled ? null : "inactive" },
      h("td", { class: "mono" }, c.code), h("td", {}, data(name(c))), h("td", {}, t(`adm.cat.${c.kind}`)),
      h("td", {}, value, " ", unit), levels, h("td", {}, dept), h("td", {}, urgent), h("td", {}, enabled), h("td", { class: "actions" }, save));
    const changes = () => {
      const out = {};
      if (Number(value.value) !== c.time_limit_value || unit.value !== c.time_limit_unit) {
        out.time_limit_value = Number(value.value);
        out.time_limit_unit = unit.value;
      }
      if (dept.value.trim() !== (c.department || "")) out.department = dept.value.trim();
      if (urgent.checked !== c.urgent) out.urgent = urgent.checked;
      if (enabled.checked !== c.enabled) out.enabled = enabled.checked;
      return out;
    };
    const mark = () => {
      drawLevels();
      const dirty = Object.keys(changes()).length > 0;
      save.disabled = !dirty;
      tr.classList.toggle("dirty", dirty);
    };
    for (const el of [value, unit, dept, urgent, enabled]) { el.addEventListener("input", mark); el.addEventListener("change", mark); }
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        const saved = await api.patch(`/api/categories/${encodeURIComponent(c.code)}`, changes());
        cats = cats.map((x) => (x.code === saved.code ? saved : x));
        forgetDirectory();
        toast(t("adm.cat.saved", { name: name(saved) }));
        draw();
      } catch (err) {
        toast(refusal(err), "error");
        mark();
      }
    });
    return tr;
  }

  for (const el of [fKind, fState]) el.addEventListener("change", draw);
  fText.addEventListener("input", draw);
  draw();
  return () => {};
}
