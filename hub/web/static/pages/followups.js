// 回访: closed cases awaiting the resident's follow-up, overdue (未回访) first; log a call (满意 / 基本满意 / 不满意 /
// 未联系上 with a note that stays on the case trail, never public); the latest answers from the kiosks; and
// 回访率 / 满意率 of the last 30 days by grid (formulas beside the figures).
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { t, timeOf } from "../i18n.js";
import { onLive } from "../live.js";
import { categoryText, data, directory, errorText, gridName, throttle, toast } from "../ui.js";

const OUTCOMES = ["satisfied", "basically_satisfied", "dissatisfied", "not_reached"];
const pct = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);

function statusText(f) {
  if (f.overdue) return t("fu.overdue");
  return f.state === "not_reached" ? `${t("fu.notReached")} · ${t("fu.attempts", { n: f.attempts })}` : t("fu.pending");
}

export async function mount(root, ctx) {
  const dir = await directory();
  const canAct = ctx.me.role !== "viewer" && ctx.me.person_id;
  const queue = h("tbody", { "data-testid": "followup-queue" });
  const answers = h("tbody", { "data-testid": "followup-answers" });
  const kpis = h("div", { class: "fu-kpis", "data-testid": "followup-kpis" });
  const form = h("div", { class: "fu-call", "data-testid": "followup-call", hidden: true });
  root.append(h("section", { class: "panel followups" },
    h("h2", {}, t("fu.title")),
    kpis,
    h("div", { class: "fu-columns" },
      h("div", { class: "fu-queue" },
        h("h3", {}, t("fu.queue")),
        h("table", { class: "list" },
          h("thead", {}, h("tr", {}, ...["fu.case", "fu.grid", "fu.closedAt", "fu.dueAt", "fu.status", ""].map((k) => h("th", {}, k ? t(k) : "")))),
          queue),
        form),
      h("div", { class: "fu-answers" },
        h("h3", {}, t("fu.answers")),
        h("table", { class: "list" },
          h("thead", {}, h("tr", {}, ...["fu.case", "fu.answer", "fu.via", "fu.when"].map((k) => h("th", {}, t(k))))),
          answers)))));

  function caseCell(f) {
    return h("td", {}, h("a", { href: `#/case/${f.case_id}`, class: "card-ref" }, f.reference || f.case_id.slice(0, 8)),
      " ", data(f.title || categoryText(dir, f.category_code), { class: "muted" }));
  }

  function openCall(f) {
    const outcome = h("select", { name: "outcome", "data-testid": "followup-outcome" },
      ...OUTCOMES.map((o) => h("option", { value: o }, t(`followup.${o}`))));
    const note = h("textarea", { name: "note", rows: 3, maxlength: 1000, "data-testid": "followup-note",
                                 placeholder: t("fu.notePlaceholder") });
    const save = h("button", { type: "button", class: "primary", "data-testid": "followup-save", onclick: async () => {
      save.disabled = true;
      try {
        const done = await api.post(`/api/cases/${f.case_id}/followup/call`, { outcome: outcome.value, note: note.value });
        toast(done.answer === "dissatisfied" ? t("fu.reopened") : t("fu.saved"), done.answer === "dissatisfied" ? "notice" : "ok");
        form.hidden = true;
        await load();
      } catch (err) {
        toast(errorText(err), "error");
        save.disabled = false;
      }
    } }, t("fu.save"));
    form.replaceChildren(
      h("h3", {}, t("fu.log"), " ", h("span", { class: "card-ref" }, f.reference || "")),
      h("p", { class: "muted" }, f.by_card ? t("fu.byCard") : t("fu.noCard")),
      h("label", {}, t("fu.outcome"), outcome), h("label", {}, t("fu.note"), note),
      h("div", { class: "fu-buttons" }, save,
        h("button", { type: "button", onclick: () => { form.hidden = true; } }, t("case.cancel"))));
    form.hidden = false;
    outcome.focus();
  }

  function drawQueue(rows) {
    queue.replaceChildren(...rows.map((f) => h("tr", { class: f.overdue ? "overdue" : "", dataset: { case: f.case_id } },
      caseCell(f),
      h("td", {}, data(gridName(dir, f.grid_code))),
      h("td", {}, timeOf(f.closed_at)),
      h("td", {}, timeOf(f.due_at)),
      h("td", { class: f.overdue ? "fu-overdue" : "" }, statusText(f)),
      h("td", {}, canAct ? h("button", { type: "button", "data-testid": "followup-log", onclick: () => openCall(f) }, t("fu.log")) : ""))));
    if (!rows.length) queue.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, t("fu.empty"))));
  }

  function drawAnswers(rows) {
    answers.replaceChildren(...rows.map((f) => h("tr", { class: f.answer === "dissatisfied" ? "fu-bad" : "" },
      caseCell(f),
      h("td", {}, t(`followup.${f.answer}`)),
      h("td", {}, t(`fu.channel.${f.channel}`)),
      h("td", {}, timeOf(f.answered_at)))));
    if (!rows.length) answers.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, t("fu.noAnswers"))));
  }

  function drawKpis(report) {
    const [total] = report.total.rows;
    const figure = (label, value, testid) => h("div", { class: "fu-figure", "data-testid": testid },
      h("div", { class: "fu-value" }, value), h("div", { class: "muted" }, t(label)));
    kpis.replaceChildren(
      h("h3", {}, t("fu.kpis")),
      h("div", { class: "fu-figures" },
        figure("fu.rate", pct(total.followup_rate), "followup-rate"),
        figure("fu.satisfaction", pct(total.satisfaction_rate), "satisfaction-rate"),
        figure("fu.due", total.due, "followup-due"), figure("fu.answered", total.answered, "followup-answered"),
        figure("fu.overdueN", total.overdue, "followup-overdue")),
      h("p", { class: "muted fu-formula" }, t("fu.formula")),
      report.grids.rows.length ? h("table", { class: "list fu-by-grid" },
        h("thead", {}, h("tr", {}, ...["fu.grid", "fu.due", "fu.answered", "fu.rate", "fu.satisfaction"].map((k) => h("th", {}, t(k))))),
        h("tbody", {}, ...report.grids.rows.map((r) => h("tr", {},
          h("td", {}, data(gridName(dir, r.key))), h("td", {}, r.due), h("td", {}, r.answered),
          h("td", {}, pct(r.followup_rate)), h("td", {}, pct(r.satisfaction_rate)))))) : null);
  }

  async function load() {
    const end = new Date(Date.now() + 60e3), start = new Date(end - 30 * 864e5);
    const period = { start: start.toISOString(), end: end.toISOString() };
    const [rows, recent, total, grids] = await Promise.all([
      api.get("/api/followups"), api.get("/api/followups/answers"),
      api.get(`/api/followups/kpis${qs(period)}`), api.get(`/api/followups/kpis${qs({ ...period, by: "grid" })}`)]);
    drawQueue(rows);
    drawAnswers(recent);
    drawKpis({ total, grids });
  }
  await load();
  const off = onLive("case", throttle(load, 3000)); // a closing or a reopening changes the queue
  return () => off();
}
