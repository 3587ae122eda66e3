// 任务看板: open cases by state, each column overdue first then the nearest deadline; every card says how old the
// case is and how long is left. A column shows its first cards only (a day's 已处置 pile would bury the rest): the
// whole column is a click away in the case list.
import { api } from "../api.js";
import { h, LEVEL_COLOURS } from "../dom.js";
import { duration, t, timeOf } from "../i18n.js";
import { onLive } from "../live.js";
import { ageText, caseTitle, data, directory, gridName, throttle } from "../ui.js";

const COLUMNS = ["reported", "filed", "dispatched", "accepted", "arrived", "resolved", "verified", "suspended"];
const PER_COLUMN = 30;

function order(a, b) {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  const ra = a.remaining_s ?? Infinity, rb = b.remaining_s ?? Infinity;
  if (ra !== rb) return ra - rb;
  return (b.created_at || "").localeCompare(a.created_at || "");
}

export async function mount(root, ctx) {
  const levels = new Set(["red", "yellow", "blue"]);
  const filters = h("div", { class: "filters" }, ...["red", "yellow", "blue"].map((lv) =>
    h("label", {}, h("input", { type: "checkbox", checked: true, onchange: (e) => {
      if (e.target.checked) levels.add(lv); else levels.delete(lv);
      draw();
    } }), h("i", { class: "dot", style: `background:${LEVEL_COLOURS[lv]}` }), t(`level.${lv}`))),
    h("a", { href: "#/cases", class: "button" }, t("board.toList")));
  const grid = h("div", { class: "board", "data-testid": "board" });
  root.append(h("section", { class: "panel" }, h("h2", {}, t("board.title")), filters, grid));
  let cases = [], byId = new Map(), loadedAt = Date.now();
  let disputes = {}; // case id → its dispute's colours (issue 18, /api/disputes/colours)
  const dir = await directory();

  function remainingText(c) {
    if (c.remaining_s == null) return c.state === "suspended" ? t("board.paused") : t("board.noDeadline");
    const left = c.remaining_s - (Date.now() - loadedAt) / 1000;
    return left < 0 ? `${t("case.overdue")} ${duration(-left)}` : t("board.left", { t: duration(left) });
  }

  function card(c) {
    const who = c.assignee_name || (c.assignee ? dir.people.get(c.assignee)?.name || c.assignee : null);
    return h("div", {
      class: `card${c.overdue ? " overdue" : ""}`, dataset: { case: c.id },
      style: `border-left-color:${LEVEL_COLOURS[c.level]}`, onclick: () => ctx.navigate(`#/case/${c.id}`),
    },
      h("div", { class: "card-title" }, c.reference ? h("span", { class: "card-ref" }, c.reference) : null, caseTitle(dir, c)),
      disputes[c.id] ? h("div", { class: "card-meta", "data-testid": "board-seriousness", dataset: { colour: disputes[c.id].seriousness } },
        h("i", { class: "dot", style: `background:${LEVEL_COLOURS[disputes[c.id].seriousness]}` }),
        t("dsp.chip", { c: t(`level.${disputes[c.id].seriousness}`) })) : null, // 纠纷: seriousness beside the deadline colour
      h("div", { class: "muted card-meta" }, data(c.grid_name || gridName(dir, c.grid_code), { title: c.grid_name || gridName(dir, c.grid_code) })),
      h("div", { class: "card-times" }, h("span", { class: "card-who" }, who ? data(who) : h("span", { class: "muted" }, t("case.none"))),
        h("span", { class: "age muted", title: timeOf(c.created_at) }, ageText(c.created_at))),
      h("div", { class: "remaining", title: c.deadline ? `${t("case.deadline")} ${timeOf(c.deadline)}` : "", dataset: { id: c.id } },
        remainingText(c)));
  }

  function draw() {
    grid.replaceChildren(...COLUMNS.map((state) => {
      const mine = cases.filter((c) => c.state === state && levels.has(c.level)).sort(order);
      const rest = mine.length - PER_COLUMN;
      const chosen = [...levels].map((lv) => `&level=${lv}`).join("");
      return h("div", { class: "column", dataset: { state } },
        h("h3", {}, t(`state.${state}`), h("span", { class: "count" }, mine.length)),
        ...mine.slice(0, PER_COLUMN).map(card),
        rest > 0 ? h("a", { class: "column-more", href: `#/cases?state=${state}${levels.size < 3 ? chosen : ""}&order=deadline`,
                            "data-testid": "column-more" }, t("board.more", { n: rest })) : null);
    }));
    if (!cases.length) grid.append(h("p", { class: "muted" }, t("board.empty")));
  }

  const load = async () => {
    [cases, disputes] = await Promise.all([api.get("/api/map/cases"), api.get("/api/disputes/colours").catch(() => ({}))]);
    byId = new Map(cases.map((c) => [c.id, c]));
    loadedAt = Date.now();
    draw();
  };
  const reload = throttle(load, 1500); // a busy hour's events come several a second
  const off = onLive("case", reload);
  const ticker = setInterval(() => {
    for (const el of grid.querySelectorAll(".remaining")) {
      const c = byId.get(el.dataset.id);
      if (c) el.textContent = remainingText(c);
    }
  }, 1000);
  const ages = setInterval(() => {
    for (const el of grid.querySelectorAll(".card")) {
      const c = byId.get(el.dataset.case);
      const age = el.querySelector(".age");
      if (c && age) age.textContent = ageText(c.created_at);
    }
  }, 30000);
  await load();
  return () => { off(); clearInterval(ticker); clearInterval(ages); };
}
