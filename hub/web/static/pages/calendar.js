// 工作日历: a year's days off and 调休 make-up days (the official ones from chinese-calendar, the local ones an admin
// entered, which win), the office hours and the working weekdays. Twelve small months; the top unit's admins click a
// day to make it a local day off or a working day, or to drop the local day (GET/PUT/DELETE /api/calendar).
import { api } from "../api.js";
import { h } from "../dom.js";
import { getLang, t } from "../i18n.js";
import { data, toast } from "../ui.js";
import { adminFrame, field, isTop, refusal, scopeChoices, shortTime } from "./admin_common.js";

const iso = (y, m, d) => `${y}-${String(m + 1).padStart(2, "0")}-${String(d).padStart(2, "0")}`;

export async function mount(root, ctx, arg) {
  if (!adminFrame(root, ctx, "calendar")) return () => {};
  const editable = isTop(ctx, await scopeChoices());
  let year = Number(arg) || new Date().getFullYear();
  const head = h("div", { class: "cal-head" });
  const info = h("div", { "data-testid": "cal-info" });
  const months = h("div", { class: "cal-months", "data-testid": "cal-months" });
  const lists = h("div", { class: "adm-split" });
  root.append(h("section", { class: "panel" }, h("h2", {}, t("adm.cal.title")), head, info, months,
    h("div", { class: "cal-legend" }, h("span", { class: "l-holiday" }, t("adm.cal.holiday")), h("span", { class: "l-workday" }, t("adm.cal.workday")),
      h("span", { class: "l-weekend" }, t("adm.cal.weekend")), h("span", { class: "l-local" }, t("adm.cal.local"))),
    h("p", { class: "muted" }, editable ? t("adm.cal.clickNote") : t("adm.cal.readOnly"))), h("section", { class: "panel" }, lists));

  async function load() {
    const cal = await api.get(`/api/calendar?year=${year}`);
    draw(cal);
  }

  function draw(cal) {
    head.replaceChildren(
      h("button", { type: "button", "data-testid": "cal-prev", onclick: () => { year -= 1; load(); } }, "‹ ", t("adm.cal.prev")),
      h("span", { class: "year", "data-testid": "cal-year" }, String(cal.year)),
      h("button", { type: "button", "data-testid": "cal-next", onclick: () => { year += 1; load(); } }, t("adm.cal.next"), " ›"));
    const hours = cal.office_hours.map((p) => `${p.start}–${p.end}`).join(", ");
    const weekdays = cal.weekdays.map((d) => t(`adm.cal.dow${d}`)).join(" ");
    info.replaceChildren(
      h("p", {}, h("b", {}, t("adm.cal.officeHours")), " ", h("span", { "data-testid": "office-hours" }, hours), " · ",
        h("b", {}, t("adm.cal.weekdays")), " ", weekdays, " · ", t("adm.cal.dayHours", { n: cal.working_day_hours }), " · ",
        data(cal.time_zone)),
      h("p", { class: "muted" }, t("adm.cal.hoursNote")),
      cal.covered ? h("p", { class: "muted", "data-testid": "cal-covered" }, cal.official ? t("adm.cal.official") : t("adm.cal.localOnly"))
        : h("p", { class: "warning-box", "data-testid": "cal-warning" }, t("adm.cal.notCovered", { year: cal.year })));
    const special = new Map([...cal.holidays, ...cal.workdays].map((d) => [d.day, d]));
    const worked = new Set(cal.weekdays);
    months.replaceChildren(...Array.from({ length: 12 }, (_, m) => month(cal.year, m, special, worked)));
    // consecutive days of one holiday (same name, source and note) as one line: 2026-02-15 – 02-23 春节 (9)
    const spans = (days) => {
      const out = [];
      for (const d of days) {
        const last = out[out.length - 1];
        const next = last && new Date(Date.parse(`${last.to}T00:00:00Z`) + 86400000).toISOString().slice(0, 10);
        if (last && next === d.day && last.first.name_zh === d.name_zh && last.first.source === d.source && last.first.note === d.note) {
          last.to = d.day; last.n += 1;
        } else out.push({ first: d, to: d.day, n: 1 });
      }
      return out;
    };
    const item = ({ first: d, to, n }) => h("li", { "data-day": d.day },
      h("span", { class: "mono" }, n > 1 ? `${d.day} – ${to.slice(5)}` : d.day), " ",
      d.name_zh ? data(getLang() === "en" ? d.name_en || d.name_zh : d.name_zh) : null, n > 1 ? ` (${n})` : null, " ",
      d.source === "local" ? h("span", { class: "badge review" }, t("adm.cal.localBadge")) : null,
      d.note ? data(` ${d.note}`, { class: "muted" }) : null,
      d.updated_by ? h("span", { class: "muted" }, ` · ${d.updated_by} ${shortTime(d.updated_at)}`) : null);
    lists.replaceChildren(
      h("div", {}, h("h3", {}, t("adm.cal.holidays", { n: cal.holidays.length })), h("ul", { "data-testid": "cal-holidays" }, ...spans(cal.holidays).map(item))),
      h("div", {}, h("h3", {}, t("adm.cal.workdays", { n: cal.workdays.length })), h("ul", { "data-testid": "cal-workdays" }, ...spans(cal.workdays).map(item))));
  }

  function month(y, m, special, worked) {
    const first = new Date(Date.UTC(y, m, 1));
    const days = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    const lead = (first.getUTCDay() + 6) % 7; // Monday first
    const cells = [...[1, 2, 3, 4, 5, 6, 7].map((d) => h("span", { class: "dow" }, t(`adm.cal.dow${d}`))),
      ...Array.from({ length: lead }, () => h("span", {}))];
    for (let d = 1; d <= days; d += 1) {
      const key = iso(y, m, d);
      const dow = ((new Date(Date.UTC(y, m, d)).getUTCDay() + 6) % 7) + 1;
      const s = special.get(key);
      const cls = [s ? s.kind : worked.has(dow) ? null : "weekend", s?.source === "local" ? "local" : null].filter(Boolean).join(" ");
      cells.push(h("button", { type: "button", class: cls || null, "data-day": key, disabled: !editable,
                               title: s ? `${s.name_zh || ""} ${s.note || ""}`.trim() || t(`adm.cal.${s.kind}`) : null,
                               onclick: () => editDay(key, s) }, String(d)));
    }
    return h("div", { class: "cal-month" }, h("h3", {}, t("adm.cal.month", { y, m: m + 1 })), h("div", { class: "cal-grid" }, ...cells));
  }

  async function editDay(day, current) {
    const kind = h("select", { "data-testid": "day-kind" },
      h("option", { value: "holiday", selected: current?.kind !== "workday" }, t("adm.cal.makeHoliday")),
      h("option", { value: "workday", selected: current?.kind === "workday" }, t("adm.cal.makeWorkday")));
    const note = h("input", { maxlength: 200, value: current?.source === "local" ? current.note : "", placeholder: t("adm.cal.noteHint"), "data-testid": "day-note" });
    const error = h("p", { class: "error" });
    const dlg = h("dialog", { class: "confirm", "data-testid": "day-dialog" }, h("h3", {}, t("adm.cal.dayTitle", { day })),
      current ? h("p", { class: "muted" }, current.source === "local" ? t("adm.cal.isLocal") : t("adm.cal.isOfficial")) : null,
      h("div", { class: "adm-form" }, field(t("adm.cal.kind"), kind), field(t("adm.cal.note"), note), error));
    const close = () => { if (dlg.open) dlg.close(); dlg.remove(); };
    const act = async (fn, done) => {
      try { await fn(); toast(done); close(); await load(); } catch (err) { error.textContent = refusal(err); }
    };
    dlg.append(h("div", { class: "buttons" },
      current?.source === "local" ? h("button", { type: "button", class: "danger-outline", "data-testid": "day-remove",
        onclick: () => act(() => api.del(`/api/calendar/days/${day}`), t("adm.cal.removed", { day })) }, t("adm.cal.remove")) : null,
      h("button", { type: "button", onclick: close }, t("ui.close")),
      h("button", { type: "button", class: "primary", "data-testid": "day-save",
        onclick: () => act(() => api.put(`/api/calendar/days/${day}`, { kind: kind.value, note: note.value.trim() }), t("adm.cal.savedDay", { day })) },
        t("adm.save"))));
    document.body.append(dlg);
    dlg.showModal();
  }

  await load();
  return () => {};
}
