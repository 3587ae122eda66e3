// The alarm banner (紧急警报): every unacknowledged urgent case in the operator's scope, on every page, until
// someone acknowledges it. The list is the hub's (GET /api/alarms), so it survives reloads and navigation; it is
// refreshed on live case events and by polling (the live stream may be reconnecting).
import { api } from "./api.js";
import { h, LEVEL_COLOURS } from "./dom.js";
import { t } from "./i18n.js";
import { onLive } from "./live.js";
import { ageText, caseTitle, data, directory, errorText, gridName, noticeToasts, throttle, timeOf, toast } from "./ui.js";

const SHOWN = 3; // more than this fold behind "N more"

export function startAlarms(el, ctx) {
  let alarms = [], expanded = false, stopped = false, dir = null, drawn = "";

  async function load() {
    try {
      const [list, d] = await Promise.all([api.get("/api/alarms"), directory()]);
      alarms = Array.isArray(list) ? list : list.items || [];
      dir = d;
    } catch (err) {
      if (err.status === 401) return;
      alarms = [];
    }
    // Redraw only when the list changed: a button must not be replaced under the operator's pointer.
    const key = JSON.stringify(alarms.map((a) => [a.case_id, a.level, a.title]));
    if (!stopped && key !== drawn) draw();
  }

  async function acknowledge(a, button) {
    button.disabled = true;
    try {
      const done = await api.post(`/api/cases/${a.case_id}/alarm/ack`, {});
      toast(t("alarm.acked", { ref: a.reference || "" }), "ok");
      noticeToasts(done);
      alarms = alarms.filter((x) => x.case_id !== a.case_id);
      draw();
      load();
    } catch (err) {
      button.disabled = false;
      toast(`${t("alarm.ackFailed")}: ${errorText(err)}`, "error");
    }
  }

  function row(a) {
    const button = h("button", { type: "button", class: "ack", "data-testid": "alarm-ack", dataset: { case: a.case_id } }, t("alarm.ack"));
    button.addEventListener("click", () => acknowledge(a, button));
    const place = a.grid_name || (a.grid_code ? gridName(dir, a.grid_code) : null);
    return h("li", { class: "alarm", dataset: { case: a.case_id } },
      h("i", { class: "dot", style: `background:${LEVEL_COLOURS[a.level] || LEVEL_COLOURS.red}` }),
      h("a", { href: `#/case/${a.case_id}`, class: "alarm-ref" }, a.reference || t("alarm.case")),
      caseTitle(dir, a),
      h("span", { class: "alarm-where" }, data(place)),
      h("span", { class: "alarm-time", dataset: { at: a.alarm_at } }, `${timeOf(a.alarm_at)} · ${ageText(a.alarm_at)}`),
      button);
  }

  function draw() {
    drawn = JSON.stringify(alarms.map((a) => [a.case_id, a.level, a.title]));
    el.hidden = alarms.length === 0;
    document.body.classList.toggle("has-alarms", alarms.length > 0);
    if (!alarms.length) { el.replaceChildren(); return; }
    const visible = expanded ? alarms : alarms.slice(0, window.innerHeight < 900 ? SHOWN - 1 : SHOWN); // a 768 px screen
    const more = alarms.length - visible.length;
    el.replaceChildren(
      h("div", { class: "alarm-head" }, h("b", {}, `⚠ ${t("alarm.title")}`),
        h("span", { class: "alarm-count", "data-testid": "alarm-count" }, t("alarm.count", { n: alarms.length }))),
      h("ul", { class: `alarm-list${expanded ? " expanded" : ""}` }, ...visible.map(row)),
      more > 0 || expanded ? h("button", { type: "button", class: "alarm-more", onclick: () => { expanded = !expanded; draw(); } },
        expanded ? t("alarm.less") : t("alarm.more", { n: more })) : "");
  }

  const reload = throttle(load, 1500);
  const offs = [onLive("case", reload), onLive("reset", reload), onLive("hello", reload)];
  const timer = setInterval(load, 20000);
  const ticker = setInterval(() => { // the "minutes ago", in place
    for (const span of el.querySelectorAll(".alarm-time")) span.textContent = `${timeOf(span.dataset.at)} · ${ageText(span.dataset.at)}`;
  }, 30000);
  load();
  return () => { stopped = true; offs.forEach((off) => off()); clearInterval(timer); clearInterval(ticker); el.hidden = true; };
}
