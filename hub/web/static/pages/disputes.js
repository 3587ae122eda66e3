// 纠纷台账 (issue 18): every dispute with its seriousness colour (the assessment's criteria), its deadline colour (the
// share of its time limit used) and the higher of the two that escalation follows; the plan that applies (lead,
// informed, visit interval, time limit); grading / re-grading with a reason (the plan changes with the colour);
// the outcome (调解成功 with the agreement / 转办 / 诉讼 / 撤回) and the 30-day follow-up visit. Parties' text and
// agreements are private: the API sends them only to the acting roles.
import { api } from "../api.js";
import { h } from "../dom.js";
import { getLang, t, timeOf } from "../i18n.js";
import { data, directory, errorText, personName, toast } from "../ui.js";
import { adminTools } from "./dispute_admin.js";
import { colour, download, roleName, sep } from "./services_common.js";

const TYPES = ["neighbour", "family", "property", "labour", "land", "other"];
const OUTCOMES = ["settled", "transferred", "litigation", "withdrawn"];
const COLOURS = ["red", "yellow", "blue"];

export async function mount(body, ctx, params, changed = () => {}) {
  const dir = await directory();
  const canAct = ctx.me.role !== "viewer" && ctx.me.person_id;
  const [criteria, plans] = await Promise.all([api.get("/api/disputes/criteria"), api.get("/api/disputes/plans")]);
  const form = h("div", { class: "panel dsp-dialog", "data-testid": "dsp-form", hidden: true });
  const rows = h("tbody", { "data-testid": "dsp-register" });
  const label = (c) => (getLang() === "en" ? c.label_en : c.label_zh);
  const lang = getLang() === "en" ? "en" : "zh-CN";
  const admin = h("div", {});
  if (ctx.me.role === "admin") adminTools(admin, criteria, plans, () => window.dispatchEvent(new HashChangeEvent("hashchange")));
  body.append(
    h("h3", {}, t("dsp.plans")),
    h("div", { class: "dsp-plans", "data-testid": "dsp-plans" }, ...COLOURS.filter((c) => plans[c]).map((c) => {
      const p = plans[c];
      return h("div", { class: "dsp-plan", style: `border-left-color:var(--${c}, ${{ red: "#e0262b", yellow: "#f0b400", blue: "#1f6fe0" }[c]})`,
        dataset: { colour: c } },
      h("div", {}, colour(c), " · ", criteria.filter((x) => x.colour === c && x.enabled).map(label).join(sep())),
      h("div", {}, `${t("dsp.lead")}: ${roleName(p.lead_role)} · ${t("dsp.informed")}: ${p.informed_roles.map(roleName).join(sep()) || t("dsp.none")}`),
      h("div", {}, `${t("dsp.limit")}: ${t("dsp.days", { n: p.time_limit_days })} · ${t("dsp.visit")}: ${t("dsp.days", { n: p.visit_interval_days })} · ${t("dsp.escalate")}: ${p.escalate_to ? t(`svc.need.${p.escalate_to}`) : t("dsp.none")}`));
    })),
    admin,
    form,
    h("div", { class: "vis-filters" }, h("h3", {}, t("dsp.title")),
      download(`/api/disputes/export?format=xlsx&lang=${lang}`, `${t("dsp.export")} (xlsx)`, "dsp-export-xlsx"),
      download(`/api/disputes/export?format=csv&lang=${lang}`, `${t("dsp.export")} (CSV)`, "dsp-export-csv")),
    h("table", { class: "list" }, h("thead", {}, h("tr", {}, ...["svc.col.ref", "dsp.type", "dsp.seriousness",
      "dsp.deadline", "dsp.higher", "dsp.lead", "dsp.informed", "dsp.limit", "dsp.due", "dsp.nextVisit", "svc.col.state",
      "dsp.outcome",
      "dsp.followup", ""].map((k) => h("th", {}, k ? t(k) : "")))), rows));

  const people = (ids) => ids.map((p) => personName(dir, p)).join(sep()) || "—";

  function openGrade(caseId, current) {
    const boxes = criteria.filter((c) => c.enabled).map((c) => h("input", { type: "checkbox", value: c.id,
      checked: current ? current.criteria.includes(c.id) : false, "data-testid": `dsp-criterion-${c.id}` }));
    const reason = h("input", { type: "text", maxlength: 500, placeholder: t("dsp.reasonHint"), "data-testid": "dsp-reason" });
    const type = h("select", { "data-testid": "dsp-type" }, ...TYPES.map((x) => h("option", { value: x, selected: current?.dispute_type === x }, t(`svc.type.${x}`))));
    const parties = h("textarea", { rows: 2, maxlength: 1000, placeholder: t("dsp.partyHint"), "data-testid": "dsp-parties" });
    const save = h("button", { type: "button", class: "primary", "data-testid": "dsp-save", onclick: async () => {
      const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
      const payload = { reason: reason.value, criteria: chosen };
      if (!current) {
        payload.dispute_type = type.value;
        payload.parties = parties.value.split("\n").map((s) => s.trim()).filter(Boolean).map((s) => ({ private: s.slice(0, 200) }));
      }
      save.disabled = true;
      try {
        const done = await api.post(`/api/disputes/${caseId}/grade`, payload);
        toast(t("dsp.graded", { c: t(`level.${done.colour}`), lead: personName(dir, done.lead) || "—" }));
        form.hidden = true;
        await load();
      } catch (err) { toast(errorText(err), "error"); save.disabled = false; }
    } }, current ? t("dsp.regrade") : t("dsp.grade"));
    form.replaceChildren(h("h3", {}, current ? t("dsp.regrade") : t("svc.register")),
      current ? null : h("label", {}, t("dsp.type"), type),
      current ? null : h("label", {}, t("dsp.parties"), parties),
      h("div", { class: "dsp-criteria" }, h("div", {}, t("dsp.criteria")),
        ...boxes.map((b, i) => { const c = criteria.filter((x) => x.enabled)[i]; return h("label", {}, b, colour(c.colour), label(c)); })),
      h("label", {}, t("dsp.reason"), reason),
      h("div", { class: "buttons" }, save, h("button", { type: "button", onclick: () => { form.hidden = true; } }, t("case.cancel"))));
    form.hidden = false;
    reason.focus();
  }

  function openOutcome(d) {
    const outcome = h("select", { "data-testid": "dsp-outcome" }, ...OUTCOMES.map((o) => h("option", { value: o }, t(`svc.out.${o}`))));
    const agreement = h("textarea", { rows: 3, maxlength: 2000, "data-testid": "dsp-agreement" });
    const save = h("button", { type: "button", class: "primary", "data-testid": "dsp-outcome-save", onclick: async () => {
      save.disabled = true;
      try {
        await api.post(`/api/disputes/${d.case_id}/outcome`, { outcome: outcome.value, agreement: agreement.value });
        toast(t("dsp.saved"));
        form.hidden = true;
        await load();
        changed(); // 调解成功率 moves
      } catch (err) { toast(errorText(err), "error"); save.disabled = false; }
    } }, t("dsp.setOutcome"));
    form.replaceChildren(h("h3", {}, t("dsp.setOutcome"), " ", h("span", { class: "card-ref" }, d.case.reference || "")),
      h("label", {}, t("dsp.outcome"), outcome), h("label", {}, t("dsp.agreement"), agreement),
      h("div", { class: "buttons" }, save, h("button", { type: "button", onclick: () => { form.hidden = true; } }, t("case.cancel"))));
    form.hidden = false;
  }

  function followupCell(d) {
    if (d.followup_done_at) return t("dsp.followupDone");
    if (!d.followup_due_at) return "—";
    return h("span", {}, t("dsp.followupDue", { t: timeOf(d.followup_due_at) }), " ", canAct
      ? h("button", { type: "button", "data-testid": "dsp-followup-done", onclick: async () => {
        try { await api.post(`/api/disputes/${d.case_id}/followup-done`); await load(); changed(); } catch (err) { toast(errorText(err), "error"); }
      } }, t("dsp.markDone")) : "");
  }

  async function load() {
    const register = await api.get("/api/disputes");
    rows.replaceChildren(...register.map((d) => h("tr", { dataset: { case: d.case_id, colour: d.colour } },
      h("td", {}, h("a", { href: `#/case/${d.case_id}`, class: "card-ref" }, d.case.reference || d.case_id.slice(0, 8))),
      h("td", {}, t(`svc.type.${d.dispute_type}`)),
      h("td", {}, colour(d.colour, "dsp-seriousness")),
      h("td", {}, colour(d.case.level, "dsp-deadline-colour")),
      h("td", {}, colour(d.effective_colour, "dsp-higher")),
      h("td", {}, data(personName(dir, d.lead) || "—")),
      h("td", {}, data(people(d.informed))),
      h("td", {}, t("dsp.days", { n: d.time_limit_days })),
      h("td", {}, timeOf(d.case.deadline)),
      h("td", { class: d.next_visit_due && Date.parse(d.next_visit_due) < Date.now() ? "fu-overdue" : "",
                "data-testid": "dsp-next-visit" }, d.next_visit_due ? timeOf(d.next_visit_due) : "—"),
      h("td", {}, t(`state.${d.case.state}`)),
      h("td", {}, d.outcome ? t(`svc.out.${d.outcome}`) : "—"),
      h("td", {}, followupCell(d)),
      h("td", {}, canAct && !d.outcome ? h("span", {},
        h("button", { type: "button", "data-testid": "dsp-regrade", onclick: () => openGrade(d.case_id, d) }, t("dsp.regrade")), " ",
        h("button", { type: "button", "data-testid": "dsp-set-outcome", onclick: () => openOutcome(d) }, t("dsp.setOutcome"))) : ""))));
    if (!register.length) rows.append(h("tr", {}, h("td", { colspan: 14, class: "muted" }, t("dsp.empty"))));
    return register;
  }
  const register = await load();
  const wanted = params?.get("case");
  if (wanted && canAct && !register.some((d) => d.case_id === wanted)) openGrade(wanted, null);
  return load;
}
