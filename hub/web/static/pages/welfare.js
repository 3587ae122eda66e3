// 关爱巡查 (issue 19): today's 1+1+N watch per grid - safe / pending / missed / abnormal with the evidence (kiosk tap,
// helper's look, patrol at the door) and closing a false alarm; the enrolments (enrol, pause while away, end) with
// their helpers and each resident's history (pseudonymous: a staff label, never a name); the patrol checkpoints'
// coverage per grid over the last 7 days with the missed ones; the volunteer-hour ledger (by person, never ranked).
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { getLang, t, timeOf } from "../i18n.js";
import { data, directory, errorText, gridName, gridOptions, personName, toast } from "../ui.js";

const hhmm = (iso) => new Date(iso).toLocaleTimeString(getLang() === "en" ? "en-GB" : "zh-CN",
                                                       { hour: "2-digit", minute: "2-digit", hour12: false });
const sep = () => (getLang() === "en" ? ", " : "、");
const hours = (units) => t("wf.hoursUnit", { h: String(units / 2) });
const STATUS_COLOURS = { checked_in: "#2e8b57", pending: "#d99a00", missed: "#c0392b", abnormal: "#e0262b",
  paused: "#777", not_due: "#999" };

function badge(status) {
  return h("span", { class: "wf-status", "data-testid": "wf-status", dataset: { status },
                     style: `background:${STATUS_COLOURS[status] || "#999"};color:#fff;padding:2px 8px;border-radius:10px` },
           t(`wf.status.${status}`));
}

function evidenceText(e) {
  const signs = e.signs.map((s) => t(`wf.sign.${s}`)).join(sep());
  const verdict = e.verdict === "abnormal" ? ` ${t("wf.status.abnormal")}` : "";
  return `${hhmm(e.at)} ${t(`wf.kind.${e.kind}`)}${verdict}${signs ? ` (${signs})` : ""}`;
}

export async function mount(body, ctx) {
  const dir = await directory();
  const acting = ctx.me && ctx.me.role !== "viewer";
  const today = h("tbody", { "data-testid": "wf-today" });
  const enrolled = h("tbody", { "data-testid": "wf-enrolments" });
  const cover = h("tbody", { "data-testid": "wf-coverage" });
  const missed = h("ul", { "data-testid": "wf-missed" });
  const ledger = h("tbody", { "data-testid": "wf-hours" });
  const counts = h("p", { "data-testid": "wf-counts" });
  const head = (keys) => h("thead", {}, h("tr", {}, ...keys.map((k) => h("th", {}, t(k)))));
  if (!document.querySelector("link[data-welfare-css]")) {
    document.head.append(h("link", { rel: "stylesheet", href: new URL("./welfare.css", import.meta.url).href,
                                     "data-welfare-css": "" }));
  }
  body.append(h("div", { class: "welfare" },
    h("section", { class: "panel" }, h("h2", {}, t("wf.today")), counts,
      h("table", { class: "list" }, head(["wf.grid", "wf.resident", "wf.status", "wf.deadline", "wf.evidence", "wf.case", ""]),
        today)),
    h("section", { class: "panel" }, h("h3", {}, t("wf.enrolments")),
      h("table", { class: "list" }, head(["wf.grid", "wf.resident", "wf.window", "wf.helpers", "wf.state", ""]), enrolled),
      acting ? enrolForm() : ""),
    h("div", { class: "wf-columns" },
      h("section", { class: "panel" }, h("h3", {}, t("wf.coverage")),
        h("table", { class: "list" }, head(["wf.grid", "wf.checkpoints", "wf.visited", "wf.share", "wf.failed", "wf.sessions"]),
          cover),
        h("h4", {}, t("wf.missed")), missed),
      h("section", { class: "panel" }, h("h3", {}, t("wf.hours")),
        h("p", {}, h("a", { class: "button", href: `/api/volunteers/hours/export${qs({ format: "xlsx" })}`, download: "",
                            "data-testid": "wf-export" }, `${t("wf.export")} (xlsx)`), " ",
          h("a", { class: "button", href: `/api/volunteers/hours/export${qs({ format: "csv" })}`, download: "" },
            `${t("wf.export")} (CSV)`)),
        h("table", { class: "list" }, head(["wf.person", "wf.system", "wf.certified", "wf.redeemed", "wf.balance", ""]),
          ledger)))));

  function enrolForm() {
    const key = h("input", { placeholder: t("wf.key"), size: 40, "data-testid": "wf-new-key" });
    const label = h("input", { placeholder: t("wf.label"), "data-testid": "wf-new-label" });
    const grid = h("select", { "data-testid": "wf-new-grid" }, ...gridOptions(dir, ""));
    const start = h("input", { type: "time", value: "07:00" }), end = h("input", { type: "time", value: "10:00" });
    const deadline = h("input", { type: "time", value: "21:00", "data-testid": "wf-new-deadline" });
    const helper = h("input", { placeholder: t("wf.primary"), "data-testid": "wf-new-helper" });
    return h("p", { class: "wf-enrol" }, t("wf.enrol"), " ", key, label, grid, start, end, t("wf.deadline"), deadline, helper,
      h("button", { type: "button", "data-testid": "wf-new-save", onclick: async () => {
        try {
          await api.post("/api/welfare/enrolments", { resident_key: key.value.trim(), label: label.value.trim(),
            grid_code: grid.value, window_start: start.value, window_end: end.value, deadline: deadline.value || null,
            primary_helper: helper.value.trim() });
          toast(t("wf.recorded")); await load();
        } catch (err) { toast(errorText(err), "error"); }
      } }, t("wf.add")));
  }

  function falseAlarm(item, cell) {
    const reason = h("input", { placeholder: t("wf.reason"), size: 24, "data-testid": "wf-fa-reason" });
    const until = h("input", { type: "date", "data-testid": "wf-fa-until", title: t("wf.awayUntil") });
    cell.replaceChildren(reason, until, h("button", { type: "button", "data-testid": "wf-fa-save", onclick: async () => {
      try {
        await api.post(`/api/welfare/enrolments/${item.enrolment_id}/false-alarm`,
                       { day: item.day, reason: reason.value.trim(), away_until: until.value || null });
        toast(t("wf.closed", { reason: reason.value.trim() })); await load();
      } catch (err) { toast(errorText(err), "error"); }
    } }, t("wf.save")));
  }

  async function history(e, row) {
    const days = await api.get(`/api/welfare/enrolments/${e.id}/checks${qs({ limit: 14 })}`);
    row.after(h("tr", { class: "wf-history" }, h("td", { colspan: 6 },
      ...days.map((d) => h("span", { style: "margin-right:10px" }, `${d.day} `, badge(d.status))),
      days.length ? "" : t("wf.noEvidence"))));
  }

  async function load() {
    const [day, enrolments, coverage, gone, balances] = await Promise.all([
      api.get("/api/welfare/checks"), api.get("/api/welfare/enrolments"), api.get("/api/patrols/coverage"),
      api.get("/api/patrols/missed"), api.get("/api/volunteers/hours")]);
    counts.replaceChildren(...Object.entries(day.counts).map(([s, n]) => h("span", { style: "margin-right:12px" }, badge(s), ` ${n}`)));
    today.replaceChildren(...day.items.map((i) => {
      const act = h("td", {});
      if (acting && (i.status === "abnormal" || i.status === "missed")) {
        act.append(h("button", { type: "button", "data-testid": "wf-fa", onclick: () => falseAlarm(i, act) }, t("wf.falseAlarm")));
      }
      if (i.false_alarm) act.append(data(t("wf.closed", { reason: i.false_alarm.reason })));
      return h("tr", { dataset: { enrolment: i.enrolment_id, status: i.status } },
        h("td", {}, data(gridName(dir, i.grid_code))), h("td", {}, data(i.label || "—")), h("td", {}, badge(i.status)),
        h("td", {}, hhmm(i.window_end)),
        h("td", { "data-testid": "wf-evidence" }, i.evidence.length ? i.evidence.map(evidenceText).join(sep()) : t("wf.noEvidence")),
        h("td", {}, i.case_id ? h("a", { href: `#/case/${i.case_id}`, class: "card-ref" }, i.case_id.slice(0, 8)) : "—"), act);
    }));
    if (!day.items.length) today.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, t("wf.none"))));
    enrolled.replaceChildren(...enrolments.map((e) => {
      const row = h("tr", { dataset: { enrolment: e.id } });
      const act = h("td", {}, h("button", { type: "button", onclick: () => history(e, row) }, t("wf.history")));
      if (acting && e.active) {
        act.append(h("button", { type: "button", "data-testid": "wf-pause", onclick: async () => {
          const reason = window.prompt(t("wf.pauseReason"));
          if (reason) { await api.post(`/api/welfare/enrolments/${e.id}/pause`, { reason }); await load(); }
        } }, t("wf.pause")), h("button", { type: "button", onclick: async () => {
          await api.post(`/api/welfare/enrolments/${e.id}/pause`, { reason: t("wf.endReason") }); await load();
        } }, t("wf.end")));
      } else if (acting) {
        act.append(h("button", { type: "button", onclick: async () => { await api.post(`/api/welfare/enrolments/${e.id}/resume`); await load(); } },
          t("wf.resume")));
      }
      const helpers = [personName(dir, e.primary_helper) || e.primary_helper,
                       e.second_helper ? personName(dir, e.second_helper) || e.second_helper : null].filter(Boolean);
      row.append(h("td", {}, data(gridName(dir, e.grid_code))), h("td", {}, data(e.label || "—")),
        h("td", {}, `${e.window_start}–${e.window_end}` + (e.deadline ? ` / ${e.deadline}` : "")),
        h("td", {}, data(helpers.join(sep())), e.informed.length ? ` · ${t("wf.informed", { n: e.informed.length })}` : ""),
        h("td", {}, e.active ? t("wf.active") : data(t("wf.paused", { reason: e.paused_reason }))), act);
      return row;
    }));
    cover.replaceChildren(...coverage.map((g) => h("tr", { dataset: { grid: g.grid_code } },
      h("td", {}, data(gridName(dir, g.grid_code))), h("td", {}, String(g.checkpoints)), h("td", {}, String(g.visited)),
      h("td", {}, h("span", { class: "wf-bar", style: "display:inline-block;width:120px;background:#ddd;height:10px;margin-right:6px" },
        h("span", { style: `display:block;height:10px;width:${Math.round(g.share * 100)}%;background:#2e8b57` })),
        `${Math.round(g.share * 100)}%`),
      h("td", {}, String(g.failed_items)), h("td", {}, String(g.sessions)))));
    if (!coverage.length) cover.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, t("wf.noCheckpoints"))));
    missed.replaceChildren(...gone.map((c) => h("li", { dataset: { checkpoint: c.id } }, data(`${gridName(dir, c.grid_code)} · ${c.name}`))));
    if (!gone.length) missed.append(h("li", { class: "muted" }, t("wf.noMissed")));
    ledger.replaceChildren(...balances.map((b) => {
      const units = h("input", { type: "number", min: 0.5, step: 0.5, value: 1, style: "width:5em" });
      const why = h("input", { placeholder: t("wf.why"), size: 14 });
      const record = (kind) => async () => {
        try {
          await api.post(`/api/volunteers/${b.person_id}/${kind}`, { units: Math.round(Number(units.value) * 2), reason: why.value.trim() });
          toast(t("wf.recorded")); await load();
        } catch (err) { toast(errorText(err), "error"); }
      };
      return h("tr", { dataset: { person: b.person_id } }, h("td", {}, data(b.name || b.person_id)),
        h("td", {}, hours(b.system_units)), h("td", {}, hours(b.certified_units)), h("td", {}, hours(b.redeemed_units)),
        h("td", { "data-testid": "wf-balance" }, hours(b.balance_units)),
        h("td", {}, ...(acting ? [units, why, h("button", { type: "button", onclick: record("certified") }, t("wf.certify")),
                                  h("button", { type: "button", onclick: record("redemptions") }, t("wf.redeem"))] : [])));
    }));
    if (!balances.length) ledger.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, t("wf.noHours"))));
  }
  await load();
  return () => {};
}
