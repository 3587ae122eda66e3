// 案件查询: every case in scope, found by reference, the kiosk's receipt code or words, narrowed by unit, category,
// state, colour, assignee, reporting device, source, time and the overdue / needs-review flags. The filters live in
// the address (#/cases?state=filed&overdue=1...), so a reload or a shared link shows the same list. Keyset paging:
// "more" asks for the next page after the last row.
import { api, qs } from "../api.js";
import { h, LEVEL_COLOURS } from "../dom.js";
import { getLang, t, timeOf } from "../i18n.js";
import { onLive } from "../live.js";
import {
  ageText, caseTitle, categoryOptions, categoryText, data, directory, errorText, gridText, personName, remainingText,
  throttle,
} from "../ui.js";

const STATES = ["reported", "filed", "dispatched", "accepted", "arrived", "resolved", "verified", "suspended", "closed",
                "not_filed"];
const LEVELS = ["red", "yellow", "blue"];
export const SOURCES = ["device", "open311", "phone", "walk_in", "hotline", "patrol", "system"];
const ORDERS = ["newest", "oldest", "deadline", "level"];
const SINGLE = ["q", "unit", "category", "assignee", "device", "source", "from", "to", "overdue", "flagged", "order"];
const PAGE = 50;
const CODE_LIKE = /^([0-9a-f]{6}|[a-z]{2,4}-\d{8}-\d{3,5}|[0-9a-f-]{36})$/i;

/** The filters from the address's query part. */
export function readFilters(params) {
  const f = { state: params.getAll("state").filter((s) => STATES.includes(s)),
              level: params.getAll("level").filter((l) => LEVELS.includes(l)) };
  for (const k of SINGLE) f[k] = params.get(k) || "";
  if (!ORDERS.includes(f.order)) f.order = "newest";
  return f;
}

/** The API's filter parameters (the list's and the ledger's: GET /api/ledger/cases takes the same). */
export function apiFilters(f) {
  return { q: f.q, unit: f.unit, category: f.category, state: f.state, level: f.level, assignee: f.assignee,
           device: f.device, source: f.source, created_from: dayStart(f.from), created_to: dayEnd(f.to),
           overdue: f.overdue ? "true" : "", flagged: f.flagged ? "true" : "" };
}

export function filtersQuery(f) {
  return qs({ ...f, order: f.order === "newest" ? "" : f.order });
}

// Local midnight of a yyyy-mm-dd, and the midnight after it for "to" (whole days as the operator means them).
const dayStart = (d) => (d ? new Date(`${d}T00:00:00`).toISOString() : "");
const dayEnd = (d) => (d ? new Date(new Date(`${d}T00:00:00`).getTime() + 864e5).toISOString() : "");

// 回访 of a closed case's latest closing, beside its state: the answer, else awaiting / overdue / not reached.
function followupBadge(value) {
  const own = { pending: "fu.pending", overdue: "fu.overdue", not_reached: "fu.notReached", skipped: "fu.skipped" };
  return `${t("nav.followups")}: ${t(own[value] || `followup.${value}`)}`;
}

export async function mount(root, ctx, _arg, params) {
  const f = readFilters(params || new URLSearchParams());
  const dir = await directory();
  let cursor = null, loadedAt = Date.now(), busy = 0, total = null, exactTotal = true;

  // -- the filter bar ---------------------------------------------------------------------------------
  const q = h("input", { type: "search", name: "q", value: f.q, placeholder: t("cases.searchHint"), class: "search",
                         "data-testid": "case-search", autocomplete: "off" });
  // the unit: a whole community (its grids together) or one grid, by name
  const communities = new Map();
  for (const g of [...dir.grids.values()].sort((a, b) => a.code.localeCompare(b.code))) {
    if (!communities.has(g.parent)) communities.set(g.parent, { name: g.parent_name || g.parent, grids: [] });
    communities.get(g.parent).grids.push(g);
  }
  const unit = h("select", { name: "unit" }, h("option", { value: "" }, t("cases.allGrids")),
    ...[...communities.entries()].flatMap(([code, c]) => [
      communities.size > 1 && code ? h("option", { value: code, selected: code === f.unit, translate: "no", class: "data" }, c.name) : null,
      ...c.grids.map((g) => h("option", { value: g.code, selected: g.code === f.unit, translate: "no", class: "data" },
        `${communities.size > 1 ? "\u2003" : ""}${g.name || g.code}`))]).filter(Boolean));
  if (f.unit && !dir.grids.has(f.unit)) unit.append(h("option", { value: f.unit, selected: true }, f.unit));
  const category = h("select", { name: "category" },
    ...categoryOptions(dir, f.category, { includeEmpty: true, emptyLabel: t("cases.allCategories") }));
  const byGrid = new Map();
  for (const p of dir.people.values()) {
    if (!byGrid.has(p.unit)) byGrid.set(p.unit, []);
    byGrid.get(p.unit).push(p);
  }
  const assignee = h("select", { name: "assignee" }, h("option", { value: "" }, t("cases.anyone")),
    ...[...byGrid.entries()].sort(([a], [b]) => String(a).localeCompare(String(b))).map(([code, people]) =>
      h("optgroup", { label: dir.grids.get(code)?.name || code || "—" },
        ...people.map((p) => h("option", { value: p.id, selected: p.id === f.assignee, translate: "no", class: "data" }, p.name)))));
  const devices = h("datalist", { id: "case-devices" });
  const device = h("input", { name: "device", value: f.device, list: "case-devices", placeholder: t("cases.deviceHint"),
                              size: 14, autocomplete: "off" });
  const source = h("select", { name: "source" }, h("option", { value: "" }, t("cases.anySource")),
    ...SOURCES.map((s) => h("option", { value: s, selected: s === f.source }, t(`source.${s}`))));
  const from = h("input", { type: "date", name: "from", value: f.from });
  const to = h("input", { type: "date", name: "to", value: f.to });
  const order = h("select", { name: "order" },
    ...ORDERS.map((o) => h("option", { value: o, selected: o === f.order }, t(`order.${o}`))));
  const overdue = h("input", { type: "checkbox", name: "overdue", checked: f.overdue === "1" || f.overdue === "true" });
  const flagged = h("input", { type: "checkbox", name: "flagged", checked: f.flagged === "1" || f.flagged === "true" });
  const chips = (values, chosen, label, key) => h("div", { class: "chips", role: "group", "aria-label": t(label) },
    h("span", { class: "muted" }, t(label)),
    ...values.map((v) => h("button", {
      type: "button", class: `chip${chosen.includes(v) ? " on" : ""}`, "aria-pressed": String(chosen.includes(v)),
      dataset: { [key]: v },
      onclick: (e) => {
        const i = chosen.indexOf(v);
        if (i >= 0) chosen.splice(i, 1); else chosen.push(v);
        e.currentTarget.classList.toggle("on", i < 0);
        e.currentTarget.setAttribute("aria-pressed", String(i < 0));
        apply();
      },
    }, key === "level" ? h("i", { class: "dot", style: `background:${LEVEL_COLOURS[v]}` }) : null, t(`${key}.${v}`))));

  const preset = (name, values) => h("button", { type: "button", class: "preset", dataset: { preset: name }, onclick: () => {
    Object.assign(f, { q: "", unit: "", category: "", assignee: "", device: "", source: "", from: "", to: "",
                       overdue: "", flagged: "", order: "newest", state: [], level: [] }, values);
    ctx.navigate(`#/cases${filtersQuery(f)}`);
  } }, t(`cases.preset_${name}`));

  const count = h("span", { class: "muted count", "data-testid": "case-count" });
  const exact = h("div", { class: "exact", "data-testid": "exact-match", hidden: true });
  const body = h("tbody");
  const table = h("table", { class: "cases", "data-testid": "case-list" },
    h("thead", {}, h("tr", {}, ...["cases.ref", "cases.titleCol", "case.category", "case.grid", "case.state", "case.level",
                                   "case.holder", "cases.reported", "case.deadline"].map((k) => h("th", {}, t(k))))),
    body);
  const more = h("button", { type: "button", class: "more", "data-testid": "more", hidden: true, onclick: () => load(true) },
                 t("cases.more"));
  const stale = h("button", { type: "button", class: "stale-hint", hidden: true, onclick: () => load() }, t("cases.updated"));
  const error = h("p", { class: "error", hidden: true });
  // 案件台账: the cases these filters match, as an Excel file (a plain link: the session cookie signs it)
  const ledger = h("a", { class: "button ledger", "data-testid": "ledger", download: "" }, t("cases.ledger"));
  const ledgerHref = () => {
    ledger.href = `/api/ledger/cases${qs({ ...apiFilters(f), format: "xlsx", lang: getLang() === "en" ? "en" : "zh-CN" })}`;
  };
  ledgerHref();

  root.append(h("section", { class: "panel cases-page", "data-testid": "cases-page" },
    h("div", { class: "page-head" }, h("h2", {}, t("cases.title")), count, stale, ledger,
      h("div", { class: "presets" }, preset("overdue", { overdue: "1", order: "deadline" }),
        preset("review", { flagged: "1", state: ["reported"] }), preset("open", { state: ["reported", "filed", "dispatched", "accepted", "arrived", "resolved", "verified"] }),
        preset("clear", {}))),
    h("form", { class: "case-filters", onsubmit: (e) => { e.preventDefault(); apply(); } },
      h("div", { class: "row" }, q,
        h("label", {}, t("case.grid"), unit), h("label", {}, t("case.category"), category),
        h("label", {}, t("case.holder"), assignee), h("label", {}, t("cases.source"), source),
        h("label", {}, t("cases.device"), device, devices)),
      h("div", { class: "row" },
        h("label", {}, t("stats.from"), from), h("label", {}, t("stats.to"), to),
        h("label", { class: "check" }, overdue, t("cases.overdueOnly")),
        h("label", { class: "check" }, flagged, t("cases.reviewOnly")),
        h("label", {}, t("cases.order"), order)),
      h("div", { class: "row" }, chips(STATES, f.state, "case.state", "state"), chips(LEVELS, f.level, "case.level", "level"))),
    exact, error, h("div", { class: "table-wrap" }, table), more));

  function apply() {
    Object.assign(f, { q: q.value.trim(), unit: unit.value, category: category.value, assignee: assignee.value,
                       device: device.value.trim(), source: source.value, from: from.value, to: to.value,
                       overdue: overdue.checked ? "1" : "", flagged: flagged.checked ? "1" : "", order: order.value });
    // the address keeps the filters (replaceState: no history entry per keystroke, no re-mount)
    history.replaceState(null, "", `#/cases${filtersQuery(f)}`);
    ledgerHref();
    load();
  }
  let typing = null;
  q.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(apply, 400); });
  device.addEventListener("change", apply);
  for (const el of [unit, category, assignee, source, from, to, order, overdue, flagged]) el.addEventListener("change", apply);

  function row(c) {
    const open = () => ctx.navigate(`#/case/${c.id}`);
    return h("tr", { dataset: { case: c.id }, class: `${c.overdue ? "overdue" : ""}${c.flagged_for_review ? " flagged" : ""}`, onclick: open },
      h("td", { class: "ref" }, h("a", { href: `#/case/${c.id}`, onclick: (e) => e.stopPropagation() }, c.reference || c.id.slice(-8)),
        c.receipt_code ? h("div", { class: "muted small", title: t("cases.receipt") }, `${t("cases.receiptShort")} ${c.receipt_code}`) : null),
      h("td", { class: "title" }, caseTitle(dir, c), c.flagged_for_review ? h("span", { class: "badge review" }, t("cases.needsReview")) : null,
        c.source && c.source !== "device" ? h("span", { class: "badge source" }, t(`source.${c.source}`)) : null,
        c.note && c.note !== c.title ? data(c.note.length > 60 ? `${c.note.slice(0, 60)}…` : c.note, { class: "muted small note" }, "div") : null),
      h("td", {}, categoryText(dir, c.category_code, c)),
      h("td", {}, gridText(dir, c)),
      h("td", {}, h("span", { class: `state s-${c.state}` }, t(`state.${c.state}`)),
        c.followup ? h("span", { class: `fu-badge fu-${c.followup}`, "data-testid": "followup-badge" }, followupBadge(c.followup)) : null),
      h("td", { class: "nowrap" }, h("i", { class: "dot", style: `background:${LEVEL_COLOURS[c.level]}` }), t(`level.${c.level}`)),
      h("td", {}, c.assignee ? data(personName(dir, c.assignee)) : h("span", { class: "muted" }, t("case.none"))),
      h("td", { class: "nowrap", title: timeOf(c.created_at) }, ageText(c.created_at)),
      h("td", { class: `nowrap${c.overdue ? " overdue" : ""}`, title: c.deadline ? timeOf(c.deadline) : "" },
        c.closed_at ? `${t("state.closed")} ${timeOf(c.closed_at)}` : remainingText(c, loadedAt)));
  }

  async function findExact(text) {
    exact.hidden = true;
    if (!CODE_LIKE.test(text)) return;
    const link = (c) => h("span", { class: "match" }, h("a", { href: `#/case/${c.id}`, "data-testid": "exact-link" }, c.reference || c.id),
      " · ", caseTitle(dir, c), " · ", t(`state.${c.state}`));
    try {
      const c = await api.get(`/api/cases/lookup${qs({ q: text })}`);
      if (q.value.trim() !== text) return;
      exact.replaceChildren(h("span", { class: "muted" }, t("cases.exact")), " ", link(c));
      exact.hidden = false;
    } catch (err) {
      // several cases share a kiosk's receipt code: offer each, by reference
      const matches = err.status === 409 ? err.detail?.matches || [] : [];
      if (!matches.length || q.value.trim() !== text) return;
      exact.replaceChildren(h("span", { class: "muted" }, t("cases.ambiguous", { n: matches.length })), " ",
        ...matches.flatMap((m, i) => (i ? [" ｜ ", link(m)] : [link(m)])));
      exact.hidden = false;
    }
  }

  async function load(append = false) {
    const mine = ++busy;
    const params = { ...apiFilters(f), order: f.order, limit: PAGE, cursor: append ? cursor : "",
                     count: append ? "false" : "" };
    if (!append) findExact(f.q);
    let page;
    try {
      page = await api.get(`/api/cases${qs(params)}`);
    } catch (err) {
      if (mine !== busy) return;
      error.textContent = `${t("err.generic")}: ${errorText(err)}`;
      error.hidden = false;
      return;
    }
    if (mine !== busy) return;
    error.hidden = true;
    stale.hidden = true;
    loadedAt = Date.now();
    cursor = page.next_cursor || null;
    const rows = page.items.map(row);
    if (append) body.append(...rows); else body.replaceChildren(...rows);
    if (!append && !page.items.length) body.append(h("tr", {}, h("td", { colspan: 9, class: "muted empty" }, t("cases.none"))));
    more.hidden = !cursor;
    if (!append) { total = page.total ?? page.total_estimate; exactTotal = page.total != null; }
    const shownRows = body.querySelectorAll("tr[data-case]").length;
    count.textContent = total == null ? t("cases.shown", { n: shownRows })
      : t(exactTotal ? "cases.count" : "cases.countAbout", { n: total, shown: shownRows });
  }

  // devices for the reporter filter: id and who holds it
  api.get("/api/map/devices").then((d) => {
    devices.replaceChildren(...d.devices.map((x) => h("option", { value: x.id }, x.owner_name ? `${x.owner_name}` : x.kind ? t(`kind.${x.kind}`) : "")));
  }).catch(() => {});

  const off = onLive("case", throttle(() => { stale.hidden = false; }, 1000));
  await load();
  return () => { off(); clearTimeout(typing); };
}
