// 异常消息 (dead letters): what the hub refused, with the reason; open one to see its payload, and replay it after a
// fix - the kept bytes go through the normal ingest path again (hub/mqtt/replay.py) and the page shows what became
// of them: stored, already stored, or refused again with the new reason. A payload is a device's data: shown as
// data (translate="no"), never editable.
//
// After an outage there may be hundreds: tick several (the header box ticks every row shown) and replay them, or
// replay every letter matching the filter that was never replayed (counted first, confirmed with the count, at most
// 500 per run: POST /api/dead-letters/replay). The summary says how many were replayed, refused again (with the new
// reasons) and skipped (out of scope, cut payload ...); a letter refused again is kept, with a new one beside it.
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { confirmDialog, data, toast } from "../ui.js";
import { adminFrame, field, refusal, shortTime } from "./admin_common.js";

const SKIP_REASONS = ["not_found", "truncated", "not_a_message", "error"]; // hub/mqtt/replay.py replay_many

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

const kindOf = (topic) => topic.split("/up/")[1] || topic.split("/").slice(-1)[0];

function outcomeBadge(outcome) {
  return h("span", { class: `badge outcome-${outcome}`, "data-outcome": outcome }, t(`adm.dl.outcome.${outcome}`));
}

export async function mount(root, ctx, arg) {
  if (!adminFrame(root, ctx, "deadletters")) return () => {};
  const reason = h("input", { placeholder: t("adm.dl.reasonHint"), "data-testid": "dl-reason", size: 16 });
  const device = h("input", { placeholder: t("adm.dl.deviceHint"), "data-testid": "dl-device", size: 18 });
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true, "data-testid": "dl-more" }, t("adm.more"));
  const detail = h("section", { class: "panel", "data-testid": "dl-detail" }, h("p", { class: "muted" }, t("adm.dl.pick")));
  const pickAll = h("input", { type: "checkbox", "aria-label": t("adm.dl.pickAll"), title: t("adm.dl.pickAll"), "data-testid": "dl-pick-all" });
  const picked = new Set();
  const pickedText = h("span", { class: "muted", "data-testid": "dl-picked" });
  const replayPicked = h("button", { type: "button", class: "primary", disabled: true, "data-testid": "dl-replay-picked" }, t("adm.dl.replayPicked"));
  const replayAll = h("button", { type: "button", "data-testid": "dl-replay-all" }, t("adm.dl.replayAll"));
  const bulkBox = h("div", { class: "bulk-result", "data-testid": "dl-bulk-result", hidden: true });
  let rows = [];
  let applied = { reason: "", device_id: "" }; // the filter the shown rows were loaded with
  root.append(h("div", { class: "adm-split" },
    h("section", { class: "panel" }, h("h2", {}, t("adm.dl.title")), h("p", { class: "muted" }, t("adm.dl.note")),
      h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); load(); } }, field(t("adm.dl.reason"), reason),
        field(t("adm.dl.device"), device), h("button", { type: "submit" }, t("adm.filter"))),
      h("div", { class: "adm-form bulk-bar", "data-testid": "dl-bulk" }, replayPicked, pickedText, replayAll),
      bulkBox,
      h("div", { class: "table-scroll" }, h("table", { class: "adm deadletters", "data-testid": "deadletters" },
        h("thead", {}, h("tr", {}, h("th", {}, pickAll), ...["adm.dl.id", "adm.dl.at", "adm.dl.device", "adm.dl.kind", "adm.dl.reason", "adm.dl.detail"]
          .map((k) => h("th", {}, t(k))))), body)), more),
    detail));

  function showPicked() {
    pickedText.textContent = t("adm.dl.picked", { n: picked.size });
    replayPicked.disabled = picked.size === 0;
    const shown = rows.map((d) => d.id);
    pickAll.checked = shown.length > 0 && shown.every((id) => picked.has(id));
    pickAll.indeterminate = !pickAll.checked && shown.some((id) => picked.has(id));
    for (const box of body.querySelectorAll("input[type=checkbox]")) box.checked = picked.has(Number(box.dataset.id));
  }
  pickAll.addEventListener("change", () => {
    for (const d of rows) { if (pickAll.checked) picked.add(d.id); else picked.delete(d.id); }
    showPicked();
  });

  async function load(append = false) {
    if (!append) applied = { reason: reason.value.trim(), device_id: device.value.trim() };
    const page = await api.get(`/api/dead-letters${qs({ ...applied, limit: 50, before_id: append ? rows[rows.length - 1]?.id : null })}`);
    rows = append ? [...rows, ...page] : page;
    if (!append) for (const id of [...picked]) if (!rows.some((d) => d.id === id)) picked.delete(id); // a new filter: its rows only
    more.hidden = page.length < 50;
    body.replaceChildren(...rows.map((d) => {
      const box = h("input", { type: "checkbox", "data-id": d.id, "data-testid": "dl-pick", "aria-label": t("adm.dl.pickOne", { id: d.id }) });
      box.addEventListener("click", (e) => e.stopPropagation()); // ticking is not opening
      box.addEventListener("change", () => { if (box.checked) picked.add(d.id); else picked.delete(d.id); showPicked(); });
      return h("tr", { "data-letter": d.id, class: "clickable", onclick: () => inspect(d.id) },
        h("td", { class: "pick", onclick: (e) => { e.stopPropagation(); box.click(); } }, box),
        h("td", { class: "mono" }, String(d.id)), h("td", {}, shortTime(d.received_at)), h("td", {}, data(d.device_id || "—")),
        h("td", { class: "mono" }, data(kindOf(d.topic))), h("td", {}, h("span", { class: "badge review" }, d.reason)),
        h("td", {}, data(d.detail.length > 80 ? `${d.detail.slice(0, 80)}…` : d.detail)));
    }));
    showPicked();
  }
  more.addEventListener("click", () => load(true));

  // -- many at once ------------------------------------------------------------------------------------
  const whyText = (item) => (item.outcome === "skipped" && SKIP_REASONS.includes(item.reason) ? t(`adm.dl.why.${item.reason}`)
    : item.outcome === "conflict" || item.outcome === "rejected" ? t(`adm.dl.outcome.${item.outcome}`) : item.reason);

  function showBulk(out) {
    const failed = out.items.filter((i) => i.outcome === "skipped" || ["dead", "conflict", "rejected"].includes(i.outcome));
    const reasons = new Map();
    for (const i of failed) reasons.set(whyText(i), (reasons.get(whyText(i)) || 0) + 1);
    bulkBox.replaceChildren(...[
      h("h3", {}, t("adm.dl.bulkResult")),
      h("p", { class: "bulk-counts" },
        h("span", { class: "badge outcome-stored", "data-testid": "dl-bulk-replayed", "data-n": out.replayed }, t("adm.dl.bulkReplayed", { n: out.replayed })), " ",
        h("span", { class: "badge outcome-dead", "data-testid": "dl-bulk-refused", "data-n": out.refused_again }, t("adm.dl.bulkRefused", { n: out.refused_again })), " ",
        h("span", { class: "badge", "data-testid": "dl-bulk-skipped", "data-n": out.skipped }, t("adm.dl.bulkSkipped", { n: out.skipped }))),
      reasons.size ? h("p", { "data-testid": "dl-bulk-reasons" }, t("adm.dl.bulkReasons"), " ",
        ...[...reasons].map(([why, n]) => h("span", { class: "badge review" }, `${why} × ${n}`))) : null,
      failed.length ? h("ul", { class: "bulk-failed" }, ...failed.slice(0, 20).map((i) => h("li", {},
        h("a", { href: `#/deadletters/${i.id}`, class: "mono" }, `#${i.id}`), " ", outcomeBadge(i.outcome), " ", data(whyText(i)),
        i.new_dead_letter_id ? h("span", { class: "muted" }, " ", t("adm.dl.bulkNew", { id: i.new_dead_letter_id })) : null))) : null,
      out.remaining ? h("p", { class: "muted", "data-testid": "dl-bulk-remaining" }, t("adm.dl.bulkRemaining", { n: out.remaining })) : null,
    ].filter(Boolean));
    bulkBox.hidden = false;
  }

  async function runBulk(request) {
    replayPicked.disabled = replayAll.disabled = true;
    try {
      const out = await api.post("/api/dead-letters/replay", request);
      picked.clear();
      await load();
      showBulk(out);
    } catch (err) { toast(refusal(err), "error"); }
    replayAll.disabled = false;
    showPicked();
  }

  replayPicked.addEventListener("click", async () => {
    const ids = [...picked].sort((a, b) => a - b);
    if (!ids.length) return;
    const ok = await confirmDialog({ title: t("adm.dl.bulkTitlePicked", { n: ids.length }), text: t("adm.dl.bulkText"),
                                     ok: t("adm.dl.bulkOk", { n: ids.length }) });
    if (ok) await runBulk({ ids });
  });

  replayAll.addEventListener("click", async () => {
    let counted;
    try { counted = await api.get(`/api/dead-letters/unreplayed${qs(applied)}`); } catch (err) { toast(refusal(err), "error"); return; }
    if (!counted.count) { toast(t("adm.dl.bulkNone")); return; }
    const over = counted.count > counted.cap;
    const n = over ? counted.cap : counted.count;
    const filter = [applied.reason && `${t("adm.dl.reason")} ${applied.reason}`, applied.device_id && `${t("adm.dl.device")} ${applied.device_id}`]
      .filter(Boolean).join(" · ");
    const ok = await confirmDialog({
      title: t("adm.dl.bulkTitleAll", { n: counted.count }), text: t("adm.dl.bulkText"), ok: t("adm.dl.bulkOk", { n }),
      body: h("div", { "data-testid": "dl-bulk-confirm", "data-count": counted.count },
        h("p", {}, filter ? t("adm.dl.bulkFilter") : t("adm.dl.bulkNoFilter"), filter ? data(filter) : null),
        h("p", { class: "muted" }, t("adm.dl.bulkAllNote")),
        over ? h("p", { class: "warn", "data-testid": "dl-bulk-cap" }, t("adm.dl.bulkCap", { cap: counted.cap })) : null) });
    if (ok) {
      await runBulk({ match: applied, up_to_id: counted.up_to_id, ...(over ? { limit: counted.cap } : {}) });
    }
  });

  async function inspect(id, result = null) {
    for (const tr of body.querySelectorAll("tr")) tr.classList.toggle("selected", tr.dataset.letter === String(id));
    let d;
    try { d = await api.get(`/api/dead-letters/${id}`); } catch (err) { toast(refusal(err), "error"); return; }
    const replay = h("button", { type: "button", class: "primary", disabled: !d.replayable, "data-testid": "dl-replay" }, t("adm.dl.replay"));
    replay.addEventListener("click", async () => {
      replay.disabled = true;
      try {
        const done = await api.post(`/api/dead-letters/${id}/replay`);
        await load();
        await inspect(id, done);
      } catch (err) { toast(refusal(err), "error"); replay.disabled = false; }
    });
    const resultBox = result ? h("div", { class: `replay-result`, "data-testid": "dl-result", "data-outcome": result.replay.outcome },
      h("p", {}, t("adm.dl.result"), " ", outcomeBadge(result.replay.outcome), " ", t(`adm.dl.explain.${result.replay.outcome}`)),
      result.new_letter ? h("p", {}, t("adm.dl.newLetter", { id: result.new_letter.id }), " ",
        h("span", { class: "badge review" }, result.new_letter.reason), " ", data(result.new_letter.detail)) : null) : null;
    detail.replaceChildren(h("div", {}, h("h2", {}, t("adm.dl.letter", { id: d.id })), resultBox,
      h("dl", { class: "adm-dl" },
        h("dt", {}, t("adm.dl.at")), h("dd", {}, shortTime(d.received_at)),
        h("dt", {}, t("adm.dl.device")), h("dd", {}, data(d.device_id || "—")),
        h("dt", {}, t("adm.dl.topic")), h("dd", { class: "mono" }, data(d.topic)),
        h("dt", {}, t("adm.dl.reason")), h("dd", {}, h("span", { class: "badge review" }, d.reason), " ", data(d.detail)),
        h("dt", {}, t("adm.dl.size")), h("dd", {}, t("adm.dl.bytes", { n: d.payload_size }))),
      h("h3", {}, t("adm.dl.payload")), h("pre", { class: "payload", translate: "no", "data-testid": "dl-payload" }, pretty(d.payload_preview)),
      h("p", { class: "muted" }, d.replayable ? t("adm.dl.replayNote") : t("adm.dl.notReplayable")), replay,
      d.replays.length ? h("div", {}, h("h3", {}, t("adm.dl.history")), h("ul", { "data-testid": "dl-history" },
        ...d.replays.map((r) => h("li", {}, shortTime(r.at), " ", outcomeBadge(r.outcome),
          r.outcome === "dead" ? data(` ${r.detail}`) : null)))) : null));
  }

  await load();
  if (arg) await inspect(Number(arg));
  return () => {};
}
