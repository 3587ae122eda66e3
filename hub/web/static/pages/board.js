// 任务看板: open cases by state, each column overdue first then the nearest deadline; time left ticks.
import { api } from "../api.js";
import { debounce, h, LEVEL_COLOURS } from "../dom.js";
import { categoryName, duration, t } from "../i18n.js";
import { onLive } from "../live.js";

const COLUMNS = ["reported", "filed", "dispatched", "accepted", "arrived", "resolved", "verified", "suspended"];

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
    } }), h("i", { class: "dot", style: `background:${LEVEL_COLOURS[lv]}` }), t(`level.${lv}`))));
  const grid = h("div", { class: "board", "data-testid": "board" });
  root.append(h("section", { class: "panel" }, h("h2", {}, t("board.title")), filters, grid));
  let cases = [], loadedAt = Date.now();

  function remainingText(c) {
    if (c.remaining_s == null) return t("board.noDeadline");
    const left = c.remaining_s - (Date.now() - loadedAt) / 1000;
    return left < 0 ? `${t("case.overdue")} ${duration(-left)}` : duration(left);
  }

  function draw() {
    grid.replaceChildren(...COLUMNS.map((state) => {
      const mine = cases.filter((c) => c.state === state && levels.has(c.level)).sort(order);
      return h("div", { class: "column", dataset: { state } },
        h("h3", {}, t(`state.${state}`), h("span", { class: "count" }, mine.length)),
        ...mine.map((c) => h("div", {
          class: `card${c.overdue ? " overdue" : ""}`, dataset: { case: c.id },
          style: `border-left-color:${LEVEL_COLOURS[c.level]}`, onclick: () => ctx.navigate(`#/case/${c.id}`),
        },
          h("div", { class: "card-title" }, c.title || categoryName(c)),
          h("div", { class: "muted" }, `${c.grid_code ? c.grid_code.slice(-3) : "—"} · ${c.assignee_name || c.assignee || t("case.none")}`),
          h("div", { class: "remaining", dataset: { id: c.id } }, remainingText(c)))));
    }));
    if (!cases.length) grid.append(h("p", { class: "muted" }, t("board.empty")));
  }

  const load = async () => { cases = await api.get("/api/map/cases"); loadedAt = Date.now(); draw(); };
  const reload = debounce(load, 300);
  const off = onLive("case", reload);
  const ticker = setInterval(() => {
    for (const el of grid.querySelectorAll(".remaining")) {
      const c = cases.find((x) => x.id === el.dataset.id);
      if (c) el.textContent = remainingText(c);
    }
  }, 1000);
  await load();
  return () => { off(); clearInterval(ticker); };
}
