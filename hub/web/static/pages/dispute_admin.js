// Admins edit the dispute assessment (研判标准: each criterion names the colour it sets) and the plan per colour
// (预案: lead role, informed roles, visit interval, time limit, escalation) - data, not code (issue 18).
import { api } from "../api.js";
import { h } from "../dom.js";
import { getLang, t } from "../i18n.js";
import { errorText, toast } from "../ui.js";
import { colour, roleName } from "./services_common.js";

const ROLES = ["community_secretary", "committee_member", "mediator", "grid_leader", "grid_worker", "legal_adviser",
  "supervisor", "street_staff", "community_staff"];
const LEVELS = ["", "community", "street", "district", "city"];
const COLOURS = ["red", "yellow", "blue"];

function planForm(c, plan, done) {
  const lead = h("select", { "data-testid": "plan-lead" }, ...ROLES.map((r) => h("option", { value: r, selected: plan.lead_role === r }, roleName(r))));
  const informed = ROLES.map((r) => h("input", { type: "checkbox", value: r, checked: plan.informed_roles.includes(r) }));
  const limit = h("input", { type: "number", min: 1, max: 365, value: plan.time_limit_days, "data-testid": "plan-limit" });
  const visit = h("input", { type: "number", min: 1, max: 365, value: plan.visit_interval_days, "data-testid": "plan-visit" });
  const up = h("select", { "data-testid": "plan-escalate" }, ...LEVELS.map((lv) => h("option", { value: lv, selected: (plan.escalate_to || "") === lv },
    lv ? t(`svc.need.${lv}`) : t("dsp.none"))));
  const save = h("button", { type: "button", class: "primary", "data-testid": "plan-save", onclick: async () => {
    try {
      await api.put(`/api/disputes/plans/${c}`, { lead_role: lead.value, informed_roles: informed.filter((b) => b.checked).map((b) => b.value),
        time_limit_days: Number(limit.value), visit_interval_days: Number(visit.value), escalate_to: up.value || null });
      toast(t("dsp.saved"));
      done();
    } catch (err) { toast(errorText(err), "error"); }
  } }, t("dsp.save"));
  return h("div", { class: "dsp-dialog", "data-testid": "plan-form" }, h("h3", {}, colour(c), " ", t("dsp.plan")),
    h("label", {}, t("dsp.lead"), lead),
    h("div", { class: "dsp-criteria" }, h("div", {}, t("dsp.informed")), ...informed.map((b) => h("label", {}, b, roleName(b.value)))),
    h("label", {}, t("dsp.limit"), limit), h("label", {}, t("dsp.visit"), visit), h("label", {}, t("dsp.escalate"), up),
    h("div", { class: "buttons" }, save));
}

function criteriaForm(criteria, done) {
  const rows = criteria.map((c) => ({ c, colourSel: h("select", {}, ...COLOURS.map((x) => h("option", { value: x, selected: c.colour === x }, t(`level.${x}`)))),
    on: h("input", { type: "checkbox", checked: c.enabled }) }));
  const fresh = { id: h("input", { type: "text", maxlength: 32, placeholder: "id", "data-testid": "crit-new-id" }),
    zh: h("input", { type: "text", maxlength: 128, placeholder: "中文", lang: "zh-CN", translate: "no", "data-testid": "crit-new-zh" }),
    en: h("input", { type: "text", maxlength: 256, placeholder: "English", translate: "no", "data-testid": "crit-new-en" }),
    colourSel: h("select", { "data-testid": "crit-new-colour" }, ...COLOURS.map((x) => h("option", { value: x }, t(`level.${x}`)))) };
  const save = h("button", { type: "button", class: "primary", "data-testid": "crit-save", onclick: async () => {
    try {
      for (const [i, r] of rows.entries()) {
        if (r.colourSel.value !== r.c.colour || r.on.checked !== r.c.enabled) {
          await api.put(`/api/disputes/criteria/${r.c.id}`, { colour: r.colourSel.value, label_zh: r.c.label_zh, label_en: r.c.label_en,
            enabled: r.on.checked, position: i });
        }
      }
      if (fresh.id.value.trim()) {
        await api.put(`/api/disputes/criteria/${fresh.id.value.trim()}`, { colour: fresh.colourSel.value, label_zh: fresh.zh.value,
          label_en: fresh.en.value || fresh.zh.value, enabled: true, position: rows.length });
      }
      toast(t("dsp.saved"));
      done();
    } catch (err) { toast(errorText(err), "error"); }
  } }, t("dsp.save"));
  const label = (c) => (getLang() === "en" ? c.label_en : c.label_zh);
  return h("div", { class: "dsp-dialog", "data-testid": "criteria-form" }, h("h3", {}, t("dsp.criteriaTitle")),
    ...rows.map((r) => h("div", { class: "dsp-criteria" }, h("label", {}, r.on, r.colourSel, h("span", { translate: "no" }, label(r.c))))),
    h("div", { class: "dsp-criteria" }, h("div", {}, t("dsp.newCriterion")), fresh.id, fresh.zh, fresh.en, fresh.colourSel),
    h("div", { class: "buttons" }, save));
}

/** The admin's buttons under the plan cards; ``reload`` redraws the register page. */
export function adminTools(box, criteria, plans, reload) {
  const area = h("div", {});
  const close = () => { area.replaceChildren(); reload(); };
  box.append(h("div", { class: "vis-filters", "data-testid": "dsp-admin" },
    ...COLOURS.filter((c) => plans[c]).map((c) => h("button", { type: "button", "data-testid": `plan-edit-${c}`,
      onclick: () => area.replaceChildren(planForm(c, plans[c], close)) }, `${t("dsp.edit")} · ${t(`level.${c}`)}`)),
    h("button", { type: "button", "data-testid": "criteria-edit", onclick: () => area.replaceChildren(criteriaForm(criteria, close)) },
      t("dsp.criteriaTitle"))), area);
}
