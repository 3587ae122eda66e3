// The live feed: new reports, check-ins that need attention (missed welfare check-ins), escalations and the
// rest of each case's progress. Bursts of similar events (same kind, category and grid within two minutes)
// fold into one entry with a count, so a flood of duplicates does not push everything else off the screen.
import { h, LEVEL_COLOURS } from "./dom.js";
import { ago, categoryName, t } from "./i18n.js";

const GROUP_WINDOW_MS = 2 * 60 * 1000;
const MAX_ITEMS = 200;
const ATTENTION = new Set(["report", "duplicate", "escalate", "return", "rework"]);

export function createFeed(container, { onOpen, compact = false } = {}) {
  const list = h("ol", { class: `feed${compact ? " compact" : ""}`, "data-testid": "feed" });
  const empty = h("p", { class: "muted feed-empty" }, t("feed.empty"));
  container.append(empty, list);
  const groups = new Map(); // key -> {el, count, firstMs, caseIds}
  const seen = new Set();

  function keyOf(ev) {
    const kind = ev.welfare && ev.transition === "report" ? "welfare" : ev.transition;
    return `${kind}|${ev.category_code}|${ev.grid_code || ev.community_code}`;
  }

  function render(ev, count) {
    const kind = ev.welfare && ev.transition === "report" ? "welfare" : ev.transition;
    const title = ev.title || categoryName(ev);
    // Only a 64-hex content address becomes a URL: a trail's evidence must never point this browser elsewhere.
    const thumbs = (ev.photos || []).filter((sha) => typeof sha === "string" && /^[0-9a-f]{64}$/.test(sha))
      .slice(0, compact ? 2 : 4).map((sha) => h("img", {
        class: "thumb", src: `/api/photos/${encodeURIComponent(sha)}`, loading: "lazy", alt: "", width: 56, height: 42,
      }));
    const li = h("li", {
      class: `feed-item t-${kind}${ATTENTION.has(ev.transition) || ev.welfare ? " attention" : ""}`,
      dataset: { case: ev.case_id, transition: ev.transition, eventId: ev.event_id },
      onclick: () => onOpen && onOpen(ev.case_id),
    },
      h("span", { class: "level-dot", style: `background:${LEVEL_COLOURS[ev.level] || "#888"}` }),
      h("div", { class: "feed-body" },
        h("div", { class: "feed-head" },
          h("b", { class: "feed-kind" }, t(kind === "welfare" ? "feed.welfare" : `transition.${kind}`)),
          h("span", { class: "feed-title" }, title),
          count > 1 ? h("span", { class: "feed-count", "data-testid": "feed-count" }, t("feed.times", { n: count })) : null),
        h("div", { class: "feed-meta muted" },
          h("span", { class: "feed-time", dataset: { at: ev.at } }, ago(ev.at)),
          ev.grid_code ? ` · ${ev.grid_code.slice(-3)}` : "",
          ev.actor_name ? ` · ${ev.actor_name}` : "",
          ev.reason ? ` · ${ev.reason}` : "", ev.note ? ` · ${ev.note}` : "")),
      thumbs.length ? h("div", { class: "thumbs" }, thumbs) : null);
    return li;
  }

  function add(ev, { live = true } = {}) {
    if (seen.has(ev.event_id)) return;
    seen.add(ev.event_id);
    empty.hidden = true;
    const key = keyOf(ev);
    const atMs = Date.parse(ev.at) || Date.now();
    const group = groups.get(key);
    if (group && atMs - group.firstMs < GROUP_WINDOW_MS && group.el.isConnected) {
      group.count += 1;
      const el = render(ev, group.count);
      group.el.replaceWith(el);
      group.el = el;
      list.prepend(el);
    } else {
      const el = render(ev, 1);
      groups.set(key, { el, count: 1, firstMs: atMs });
      list.prepend(el);
    }
    if (live) list.firstChild.classList.add("fresh");
    while (list.children.length > MAX_ITEMS) list.lastChild.remove();
  }

  const timer = setInterval(() => {
    for (const el of list.querySelectorAll(".feed-time")) el.textContent = ago(el.dataset.at);
  }, 15000);

  return {
    load(items) { for (const ev of items) add(ev, { live: false }); },
    add,
    destroy() { clearInterval(timer); },
  };
}
