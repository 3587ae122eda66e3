// 服务 (issue 18): the KPIs (调解成功率, average time to first contact, follow-up visits done), then one of three tabs:
// 服务队列 - the open service cases per role (legal adviser, mediator, property contact, the control room) and the
// requests (kiosk check-ins, home-visit needs) with their first contact; 纠纷台账 - disputes with both colours and the
// plan per colour (pages/disputes.js); 走访日记 - the home-visit diary (pages/visits.js).
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { t, timeOf } from "../i18n.js";
import { onLive } from "../live.js";
import { data, directory, personName, throttle } from "../ui.js";
import { colour, loadCss, roleName } from "./services_common.js";

const TABS = ["queue", "disputes", "visits"];
const pct = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);

async function drawKpis(box) {
  const k = await api.get("/api/services/kpis");
  const figure = (label, value, testid) => h("div", { class: "svc-figure", "data-testid": testid },
    h("div", { class: "svc-value" }, value), h("div", { class: "muted" }, t(label)));
  box.replaceChildren(h("h3", {}, t("svc.kpis")), h("div", { class: "svc-figures" },
    figure("svc.kpi.success", pct(k.mediation_success_rate), "svc-success-rate"),
    figure("svc.kpi.contact", k.first_contact_avg_minutes ?? "—", "svc-first-contact"),
    figure("svc.kpi.followups", `${k.followups_done} / ${k.followups_due}`, "svc-followups"),
    figure("svc.kpi.requests", k.requests, "svc-requests"), figure("svc.kpi.disputes", k.disputes, "svc-disputes")),
  h("p", { class: "muted" }, t("svc.kpi.formula")));
}

async function mountQueue(body, ctx) {
  const dir = await directory();
  let role = null;
  const queues = h("div", { class: "svc-queues", "data-testid": "svc-queues" });
  const rows = h("tbody", { "data-testid": "svc-requests" });
  body.append(h("h3", {}, t("svc.queues")), queues, h("h3", {}, t("svc.requests")),
    h("table", { class: "list" }, h("thead", {}, h("tr", {}, ...["svc.col.ref", "svc.col.kind", "svc.col.origin",
      "svc.col.role", "svc.col.to", "svc.col.state", "svc.col.colour", "svc.col.opened", "svc.col.contact",
      "svc.col.outcome", ""].map((k) => h("th", {}, k ? t(k) : "")))), rows));
  const canAct = ctx.me.role !== "viewer";

  async function load() {
    const [counts, list] = await Promise.all([api.get("/api/services/queues"),
      api.get(`/api/services/requests${qs({ open: role ? true : undefined })}`)]);
    queues.replaceChildren(...counts.map((q) => h("button", { type: "button", class: `svc-queue${q.role === role ? " active" : ""}`,
      "data-testid": "svc-queue", dataset: { role: q.role || "control" },
      onclick: () => { role = role === q.role ? null : q.role; load(); } },
    roleName(q.role), h("b", {}, q.open))));
    const shown = list.filter((r) => role === null || r.routed_role === role);
    rows.replaceChildren(...shown.map((r) => h("tr", { dataset: { case: r.case_id, kind: r.kind } },
      h("td", {}, h("a", { href: `#/case/${r.case_id}`, class: "card-ref" }, r.case.reference || r.case_id.slice(0, 8))),
      h("td", {}, t(`svc.kind.${r.kind}`)),
      h("td", {}, t(`svc.origin.${r.origin}`)),
      h("td", {}, roleName(r.routed_role)),
      h("td", {}, data(personName(dir, r.case.assignee) || "—")),
      h("td", {}, t(`state.${r.case.state}`)),
      h("td", {}, colour(r.case.level)),
      h("td", {}, timeOf(r.created_at)),
      h("td", {}, timeOf(r.first_contact_at)),
      h("td", {}, r.outcome ? t(`svc.out.${r.outcome}`) : "—"),
      h("td", {}, canAct && r.kind === "mediation"
        ? h("a", { href: `#/services/disputes?case=${r.case_id}`, "data-testid": "svc-register" }, t("svc.register")) : ""))));
    if (!shown.length) rows.append(h("tr", {}, h("td", { colspan: 11, class: "muted" }, t("svc.empty"))));
  }
  await load();
  return load;
}

export async function mount(root, ctx, arg, params) {
  loadCss();
  const tab = TABS.includes(arg) ? arg : "queue";
  const kpis = h("div", { class: "svc-kpis", "data-testid": "svc-kpis" });
  const body = h("div", { class: "svc-body" });
  root.append(h("section", { class: "panel services" },
    h("nav", { class: "svc-tabs" }, ...TABS.map((name) => h("a", { href: `#/services/${name}`,
      class: name === tab ? "active" : "", "data-testid": `svc-tab-${name}` }, t(`svc.tab.${name}`)))),
    kpis, body));
  await drawKpis(kpis);
  let reload;
  if (tab === "queue") reload = await mountQueue(body, ctx);
  else {
    const module = tab === "disputes" ? await import("./disputes.js") : await import("./visits.js");
    reload = await module.mount(body, ctx, params, () => drawKpis(kpis).catch(() => {}));
  }
  const refresh = throttle(() => { drawKpis(kpis).catch(() => {}); reload?.(); }, 3000);
  const off = onLive("case", refresh);
  return () => off();
}
