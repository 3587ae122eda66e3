// 异常消息 (dead letters): what the hub refused, with the reason; open one to see its payload, and replay it after a
// fix - the kept bytes go through the normal ingest path again (hub/mqtt/replay.py) and the page shows what became
// of them: stored, already stored, or refused again with the new reason. A payload is a device's data: shown as
// data (translate="no"), never editable.
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { data, toast } from "../ui.js";
import { adminFrame, field, refusal, shortTime } from "./admin_common.js";

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
  let rows = [];
  root.append(h("div", { class: "adm-split" },
    h("section", { class: "panel" }, h("h2", {}, t("adm.dl.title")), h("p", { class: "muted" }, t("adm.dl.note")),
      h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); load(); } }, field(t("adm.dl.reason"), reason),
        field(t("adm.dl.device"), device), h("button", { type: "submit" }, t("adm.filter"))),
      h("div", { class: "table-scroll" }, h("table", { class: "adm deadletters", "data-testid": "deadletters" },
        h("thead", {}, h("tr", {}, ...["adm.dl.id", "adm.dl.at", "adm.dl.device", "adm.dl.kind", "adm.dl.reason", "adm.dl.detail"]
          .map((k) => h("th", {}, t(k))))), body)), more),
    detail));

  async function load(append = false) {
    const page = await api.get(`/api/dead-letters${qs({ reason: reason.value.trim(), device_id: device.value.trim(), limit: 50,
                                                         before_id: append ? rows[rows.length - 1]?.id : null })}`);
    rows = append ? [...rows, ...page] : page;
    more.hidden = page.length < 50;
    body.replaceChildren(...rows.map((d) => h("tr", { "data-letter": d.id, class: "clickable", onclick: () => inspect(d.id) },
      h("td", { class: "mono" }, String(d.id)), h("td", {}, shortTime(d.received_at)), h("td", {}, data(d.device_id || "—")),
      h("td", { class: "mono" }, data(kindOf(d.topic))), h("td", {}, h("span", { class: "badge review" }, d.reason)),
      h("td", {}, data(d.detail.length > 80 ? `${d.detail.slice(0, 80)}…` : d.detail)))));
  }
  more.addEventListener("click", () => load(true));

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
