// The live feed: one card per case. A case's events (上报 → 立案 → 派遣 → 接单 ...) fold into its card - the latest
// state up front, the steps so far beneath it - and the card moves to the top when the case moves on. Duplicate
// reports are quiet: they raise a count on the card and neither move nor flash it. Urgent and red cases stand
// out. Photos are labelled: the report's (before) and the resolution's evidence (after); a photo still being
// uploaded (GET /api/photos/<sha> is 404 until its last chunk arrives) shows a placeholder and is retried.
//
// Text from people and from the data (titles, notes, names of people and units) is marked translate="no"
// (class "data"): everything else comes from the catalogue in the operator's language.
import { h, LEVEL_COLOURS } from "./dom.js";
import { ago, categoryName, getLang, t, timeOf } from "./i18n.js";

const MAX_CARDS = 150;
const HISTORY = 7; // steps shown on a card; earlier ones fold into "…"
const QUIET = new Set(["duplicate"]); // counted on the card, which neither moves nor flashes
const AFTER = new Set(["resolve", "auto_resolve"]); // their evidence: the "after" photos
const SHA256 = /^[0-9a-f]{64}$/;
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
const SYSTEM_REASONS = new Set(["urgent", "overdue", "unaccepted", "unassigned"]);

// -- shared pieces (the map's popups use them too) ------------------------------------------------------
/** Text from people or the data, marked so (translate="no", class "data"): never translated, never mistaken
 * for a screen text someone forgot to translate. */
export function dataText(text, attrs = {}) {
  if (text == null || text === "") return null;
  const cls = ["data", attrs.class].filter(Boolean).join(" ");
  return h("span", { ...attrs, class: cls, translate: "no" }, text);
}

/** A case's name in the operator's language: its category's name, and its title when someone typed one (a
 * device report's title is the category's Chinese name: not shown twice, and not in Chinese in English). */
export function caseName(c) {
  const typed = c.title && c.title !== c.category_zh && c.title !== c.category_code ? c.title : null;
  const category = c.welfare ? t("feed.welfare") : categoryName(c);
  return [h("span", { class: "case-category" }, category),
          typed ? " · " : null, typed ? dataText(typed, { class: "case-typed" }) : null];
}

/** The hub writes its own notes in both languages ("紧急：直报至… / urgent: reported up to …", "智能派单
 * auto-dispatch"): the half in the operator's language, or null when ``text`` is not such a note. */
export function systemText(text) {
  if (!text || !CJK.test(text)) return null;
  const m = text.match(/^([^/]*[\u3400-\u9fff][^/]*?)\s*\/\s*([^\u3400-\u9fff]+)$/)
    || text.match(/^([^A-Za-z]*[\u3400-\u9fff][^A-Za-z]*?)\s+([A-Za-z][^\u3400-\u9fff]*)$/);
  if (!m) return null;
  return getLang() === "en" ? m[2].trim() : m[1].trim();
}

/** An event's reason and note as nodes: the hub's own words in the operator's language (a reason code, or the
 * half of a note written in both languages), people's words as data. */
export function eventWords(ev) {
  const out = [];
  const system = ev.actor === "system";
  for (const [text, cls] of [[ev.reason, "feed-reason"], [ev.note, "feed-note"]]) {
    if (!text) continue;
    const own = system && cls === "feed-reason" && SYSTEM_REASONS.has(text) ? t(`feed.reason.${text}`)
      : systemText(text);
    out.push(own != null ? h("span", { class: cls }, own) : dataText(text, { class: cls }));
  }
  return out;
}

const loaded = new Map(); // sha -> the URL it loaded from (the browser has it cached)

/** A photo thumbnail that never shows as a broken image: a grey box while it loads, "photo uploading" while the
 * hub does not have it whole yet (404), retried with a growing pause for as long as it is on screen. */
export function photoThumb(sha, { width = 56, height = 42, cls = "thumb" } = {}) {
  if (typeof sha !== "string" || !SHA256.test(sha)) return null; // only a content address becomes a URL
  const base = `/api/photos/${sha}`;
  const img = (src) => h("img", { class: cls, src, alt: "", width, height, loading: "lazy", dataset: { photo: sha },
                                  style: `width:${width}px;height:${height}px` });
  if (loaded.has(sha)) return img(loaded.get(sha));
  const box = h("span", { class: `${cls} thumb-box loading`, dataset: { photo: sha },
                          style: `width:${width}px;height:${height}px` });
  let tries = 0;
  const attempt = () => {
    if (tries > 0 && !box.isConnected) return; // the card was redrawn or the page left
    const src = tries ? `${base}?try=${tries}` : base; // a new URL: no remembered failure
    tries += 1;
    const probe = new Image();
    probe.onload = () => { loaded.set(sha, src); box.replaceWith(img(src)); };
    probe.onerror = () => {
      if (!box.classList.contains("photo-pending")) {
        box.classList.replace("loading", "photo-pending");
        box.dataset.testid = "photo-pending";
        box.title = t("feed.photoUploading");
        box.replaceChildren(h("span", {}, t("feed.photoUploading")));
      }
      setTimeout(attempt, Math.min(10000, 1000 * 2 ** Math.min(tries, 4)));
    };
    probe.src = src;
  };
  attempt();
  return box;
}

/** A labelled set of photos: ``kind`` "before" (the report's) or "after" (the resolution's evidence). */
export function photoSet(kind, shas, { max = 4, width = 56, height = 42 } = {}) {
  const thumbs = (shas || []).filter((s) => SHA256.test(s)).slice(0, max).map((s) => photoThumb(s, { width, height }));
  if (!thumbs.length) return null;
  return h("figure", { class: `photo-set ${kind}`, dataset: { kind } },
    h("figcaption", {}, t(kind === "after" ? "feed.after" : "feed.before")), h("div", { class: "thumbs" }, thumbs));
}

export function phaseOf(state) {
  if (state === "suspended") return "suspended";
  if (state === "resolved" || state === "verified") return "check";
  if (state === "closed" || state === "not_filed") return "done";
  return "open";
}

// -- the feed -------------------------------------------------------------------------------------------
export function createFeed(container, { onOpen, compact = false } = {}) {
  const list = h("ol", { class: `feed${compact ? " compact" : ""}`, "data-testid": "feed" });
  const empty = h("p", { class: "muted feed-empty" }, t("feed.empty"));
  container.append(empty, list);
  const cards = new Map(); // case id -> {events: [ev, ...] by event id, el, dupes}
  const seen = new Set();
  let held = []; // live events that came before the first page: added after it, so newer stays on top

  // Urgent stands out while the case still needs work; once resolved or closed it is no longer anyone's alarm.
  function urgent(ev, card) {
    if (phaseOf(ev.state) !== "open") return false;
    return ev.level === "red" || ev.alarm || ev.severity === "urgent" || ev.welfare
      || card.events.some((e) => e.transition === "escalate");
  }

  function render(caseId) {
    const card = cards.get(caseId);
    const events = card.events;
    const ev = events[events.length - 1]; // the newest: the case's picture as it is now
    const steps = events.filter((e) => !QUIET.has(e.transition));
    const moving = steps.length ? steps[steps.length - 1] : ev;
    const dupes = Math.max(card.dupes, (ev.report_count || 1) - 1);
    const phase = phaseOf(ev.state);
    const shown = steps.slice(-HISTORY);
    const trail = [];
    if (card.folded || steps.length > shown.length) trail.push(h("span", { class: "feed-step more" }, "…"));
    for (const e of shown) {
      if (trail.length) trail.push(h("span", { class: "arrow", "aria-hidden": "true" }, "→"));
      trail.push(h("span", {
        class: `feed-step t-${e.transition}`, dataset: { transition: e.transition, eventId: e.event_id },
        title: `${timeOf(e.at)}${e.actor_name ? ` · ${e.actor_name}` : ""}`,
      }, t(`transition.${e.transition}`)));
    }
    const after = [...events].reverse().find((e) => AFTER.has(e.transition) && (e.evidence_photos || []).length);
    const photoSize = compact ? { max: 2, width: 48, height: 36 } : { max: 4, width: 64, height: 48 };
    const photos = [photoSet("before", ev.report_photos || ev.photos, photoSize),
                    after ? photoSet("after", after.evidence_photos, photoSize) : null].filter(Boolean);
    const where = ev.grid_name || ev.community_name;
    const who = moving.actor_name;
    const words = eventWords(moving.note === ev.case_note ? { ...moving, note: "" } : moving);
    const meta = [h("span", { class: "feed-time", dataset: { at: moving.at } }, ago(moving.at))];
    if (where) meta.push(" · ", dataText(where, { class: "feed-where", title: ev.grid_code || ev.community_code }));
    if (who) meta.push(" · ", dataText(who, { class: "feed-who" }));
    else if (moving.actor === "system") meta.push(" · ", h("span", { class: "feed-who" }, t("feed.system")));
    for (const w of words) meta.push(" · ", w);
    const isUrgent = urgent(ev, card);
    return h("li", {
      class: ["feed-item", "feed-card", `phase-${phase}`, `level-${ev.level}`, isUrgent ? "urgent" : "",
              ev.welfare ? "welfare" : ""].filter(Boolean).join(" "),
      dataset: { case: caseId, state: ev.state, level: ev.level, transition: moving.transition,
                 events: steps.length, testid: "feed-card" },
      style: `--level:${LEVEL_COLOURS[ev.level] || "#888"}`,
      onclick: () => onOpen && onOpen(caseId),
    },
      h("div", { class: "feed-body" },
        h("div", { class: "feed-head" },
          h("span", { class: "level-dot", title: t(`level.${ev.level}`) }),
          ev.reference ? h("b", { class: "feed-ref", translate: "no" }, ev.reference) : null,
          h("span", { class: "feed-title" }, caseName(ev)),
          h("span", { class: `phase-badge phase-${phase}` }, t(`state.${ev.state}`)),
          isUrgent && (ev.severity === "urgent" || ev.alarm)
            ? h("span", { class: "urgent-badge" }, t("feed.urgent")) : null,
          dupes > 0 ? h("span", { class: "feed-count", "data-testid": "feed-dupes", dataset: { n: dupes } },
            t("feed.dupes", { n: dupes })) : null),
        ev.case_note ? h("div", { class: "feed-case-note" }, dataText(ev.case_note)) : null,
        h("div", { class: "feed-steps", "data-testid": "feed-steps" }, trail),
        h("div", { class: "feed-meta muted" }, meta),
        photos.length ? h("div", { class: "feed-photos" }, photos) : null));
  }

  function add(ev, { live = true } = {}) {
    if (!ev || seen.has(ev.event_id)) return;
    seen.add(ev.event_id);
    empty.hidden = true;
    let card = cards.get(ev.case_id);
    const isNew = !card;
    if (isNew) {
      card = { events: [], el: null, dupes: 0, folded: false };
      cards.set(ev.case_id, card);
    }
    card.events.push(ev);
    card.events.sort((a, b) => a.event_id - b.event_id);
    if (ev.transition === "duplicate") card.dupes += 1;
    if (card.events.length > 40) { card.events.splice(0, card.events.length - 40); card.folded = true; }
    const el = render(ev.case_id);
    const quiet = QUIET.has(ev.transition) && !isNew;
    // Cards stand in the order of their latest step (newest on top), whatever order events arrive in (the first
    // page after live ones, a reload after a reset); a quiet event leaves its card where it is.
    const moving = card.events.filter((e) => !QUIET.has(e.transition));
    card.key = (moving.length ? moving[moving.length - 1] : ev).event_id;
    el.dataset.key = card.key;
    if (quiet && card.el && card.el.isConnected) {
      card.el.replaceWith(el);
    } else {
      if (card.el) card.el.remove();
      let before = list.firstElementChild;
      while (before && Number(before.dataset.key) > card.key) before = before.nextElementSibling;
      list.insertBefore(el, before);
    }
    card.el = el;
    if (live && !quiet) el.classList.add("fresh");
    while (list.children.length > MAX_CARDS) {
      const last = list.lastChild;
      cards.delete(last.dataset.case);
      last.remove();
    }
  }

  const timer = setInterval(() => {
    for (const el of list.querySelectorAll(".feed-time")) el.textContent = ago(el.dataset.at);
  }, 15000);

  return {
    load(items) {
      for (const ev of items) add(ev, { live: false });
      const later = held || [];
      held = null;
      for (const ev of later) add(ev);
    },
    add(ev) { if (held) held.push(ev); else add(ev); },
    cards: () => cards.size,
    destroy() { clearInterval(timer); },
  };
}
