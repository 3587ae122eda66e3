// 案件详情: photos full size, where it is, the audit trail, who holds it and the deadline countdown, and the
// transitions this operator's role allows (through the case transitions API; the hub re-checks everything).
import { api, ApiError, qs } from "../api.js";
import { h, LEVEL_COLOURS } from "../dom.js";
import { duration, getLang, t, timeOf } from "../i18n.js";
import { onLive } from "../live.js";
import { createMap } from "../mapview.js";

const FIELD_ONLY = new Set(["resolve"]); // needs photos and a position taken on site: done from the phone
const SHA256 = /^[0-9a-f]{64}$/;

// A photo's URL, or null: only a 64-hex content address ever becomes part of a URL (evidence comes from the
// trail, and a trail entry like "../welfare/enrolments" must not make this browser fetch another endpoint).
export function photoUrl(sha) {
  return typeof sha === "string" && SHA256.test(sha) ? `/api/photos/${encodeURIComponent(sha)}` : null;
}

export async function mount(root, ctx, caseId) {
  const box = h("section", { class: "panel case-page", "data-testid": "case-page" });
  root.append(box);
  let view = null, ticker = null;
  let said = null; // what the last step's answer told the operator (shown once the page has reloaded)

  async function load() {
    let c;
    try {
      c = await api.get(`/api/cases/${caseId}`);
    } catch (err) {
      box.replaceChildren(h("p", { class: "error", "data-testid": "case-error" }, t("case.notFound")));
      return;
    }
    const [events, people] = await Promise.all([
      api.get(`/api/cases/${caseId}/events`).catch(() => []),
      api.get("/api/map/people").catch(() => []),
    ]);
    const names = Object.fromEntries(people.map((p) => [p.id, p.name]));
    const photos = [];
    const source = await api.get(`/api/records/${c.source_record_id}`).catch(() => null);
    for (const p of source?.payload?.photos || []) if (photoUrl(p?.sha256) && !photos.includes(p.sha256)) photos.push(p.sha256);
    for (const e of events) for (const sha of e.evidence || []) if (photoUrl(sha) && !photos.includes(sha)) photos.push(sha);

    const remainingEl = h("b", { "data-testid": "remaining" });
    const loadedAt = Date.now();
    const tick = () => {
      if (c.remaining_s == null) { remainingEl.textContent = "—"; return; }
      const left = c.remaining_s - (Date.now() - loadedAt) / 1000;
      remainingEl.textContent = left < 0 ? `${t("case.overdue")} ${duration(-left)}` : duration(left);
      remainingEl.classList.toggle("overdue", left < 0);
    };
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    tick();

    const mapEl = h("div", { class: "case-map" });
    const facts = h("dl", { class: "facts" },
      h("dt", {}, t("case.state")), h("dd", { "data-testid": "case-state" }, t(`state.${c.state}`)),
      h("dt", {}, t("case.level")), h("dd", {}, h("i", { class: "dot", style: `background:${LEVEL_COLOURS[c.level]}` }), t(`level.${c.level}`)),
      h("dt", {}, t("case.category")), h("dd", {}, c.category_code),
      h("dt", {}, t("case.grid")), h("dd", {}, c.grid_code || c.community_code || "—"),
      h("dt", {}, t("case.holder")), h("dd", { "data-testid": "holder" }, c.assignee ? (c.assignee.name || names[c.assignee.id] || c.assignee.id) : t("case.none")),
      h("dt", {}, t("case.deadline")), h("dd", {}, c.deadline ? timeOf(c.deadline) : "—"),
      h("dt", {}, t("case.remaining")), h("dd", {}, remainingEl),
      h("dt", {}, t("case.reports")), h("dd", {}, c.report_count));
    const timeline = h("ol", { class: "timeline", "data-testid": "timeline" }, ...events.map((e) =>
      h("li", { class: e.outcome === "rejected" ? "rejected" : "" },
        h("span", { class: "muted" }, timeOf(e.at)), " ",
        h("b", {}, t(`transition.${e.transition}`)), " · ", names[e.actor] || e.actor,
        e.assignee ? ` → ${names[e.assignee] || e.assignee}` : "",
        e.reason ? ` · ${e.reason}` : "", e.note ? ` · ${e.note}` : "",
        e.outcome === "rejected" ? " ✕" : "")));
    const actions = h("div", { class: "actions", "data-testid": "actions" });
    box.replaceChildren(
      h("a", { href: "#/board", class: "back" }, `← ${t("case.back")}`),
      h("h2", {}, `${c.title || c.category_code} `, h("small", { class: "muted" }, c.id)),
      c.note ? h("p", {}, c.note) : null,
      h("div", { class: "case-grid" },
        h("div", {}, facts, h("h3", {}, t("case.actions")), actions),
        mapEl),
      h("h3", {}, t("case.photos")),
      h("div", { class: "photos" }, photos.length ? photos.map((sha) =>
        h("a", { href: photoUrl(sha), target: "_blank", rel: "noopener" }, h("img", { class: "photo", src: photoUrl(sha), alt: "" })))
        : h("span", { class: "muted" }, t("case.none"))),
      h("h3", {}, t("case.timeline")), timeline);
    if (view) view.destroy();
    view = createMap(mapEl, ctx.config);
    if (c.lat != null) {
      view.setCases([{ ...c, assignee: null, overdue: c.overdue }]);
      view.map.setView(view.show(c.lat, c.lon), 17);
    }
    await drawActions(actions, c, people);
  }

  async function drawActions(actions, c, people) {
    const me = ctx.me;
    if (me.role === "viewer") { actions.append(h("p", { class: "muted" }, t("case.viewerNote"))); return; }
    let allowed;
    try {
      allowed = await api.get(`/api/cases/${caseId}/allowed${qs({ actor: me.person_id })}`);
    } catch (err) {
      actions.append(h("p", { class: "muted" }, me.person_id ? (err.message || t("err.generic")) : t("case.noPerson")));
      return;
    }
    const options = allowed.transitions.filter((o) => !FIELD_ONLY.has(o.transition));
    if (!options.length) { actions.append(h("p", { class: "muted" }, t("case.noActions"))); return; }
    const form = h("div", { class: "action-form" });
    const message = h("p", { class: "message", "data-testid": "action-message" });
    if (said) {
      message.textContent = said.text;
      if (said.notice) message.classList.add("notice");
      said = null;
    }
    actions.append(h("div", { class: "buttons" }, ...options.map((o) => h("button", {
      type: "button", class: "action", dataset: { transition: o.transition },
      onclick: () => openForm(form, message, o, c, people),
    }, t(`transition.${o.transition}`)))), form, message);
  }

  function openForm(form, message, option, c, people) {
    const fields = {};
    const rows = [];
    if (option.needs.includes("assignee")) {
      fields.assignee = h("select", { name: "assignee" }, ...people
        .filter((p) => p.id !== c.assignee?.id && ["grid_leader", "grid_worker", "handler", "patrol_volunteer"].includes(p.role))
        .map((p) => h("option", { value: p.id }, `${p.name} (${p.id})`)));
      rows.push(h("label", {}, t("case.assignee"), fields.assignee));
    }
    if (option.needs.includes("reason")) {
      fields.reason = h("input", { name: "reason", required: true });
      rows.push(h("label", {}, t("case.reason"), fields.reason));
    }
    fields.note = h("input", { name: "note" });
    rows.push(h("label", {}, t("case.note"), fields.note));
    const submit = h("button", { type: "button", class: "primary", dataset: { submit: option.transition } }, t("case.submit"));
    submit.addEventListener("click", async () => {
      const body = { transition: option.transition, expected_version: c.version, note: fields.note.value };
      if (fields.assignee) body.assignee = fields.assignee.value;
      if (fields.reason) body.reason = fields.reason.value;
      submit.disabled = true;
      try {
        const done = await postTransition(body);
        const notices = (done?.notices || []).map((n) => (getLang() === "en" ? n.en : n.zh) || n.zh || n.en);
        said = { text: [t("case.done"), ...notices].join(" · "), notice: notices.length > 0 };
        message.textContent = said.text;
        await load();
      } catch (err) {
        message.textContent = err instanceof ApiError ? err.message : t("err.generic");
        message.classList.add("error");
        submit.disabled = false;
      }
    });
    form.replaceChildren(h("h4", {}, t(`transition.${option.transition}`)), ...rows,
      h("div", { class: "buttons" }, submit, h("button", { type: "button", onclick: () => form.replaceChildren() }, t("case.cancel"))));
  }

  // The hub takes the actor from the session; a hub that still wants an explicit ``actor`` says so with a
  // validation error naming it, and then gets the signed-in operator's person.
  async function postTransition(body) {
    try {
      return await api.post(`/api/cases/${caseId}/transitions`, body);
    } catch (err) {
      const wantsActor = err.status === 422 && Array.isArray(err.detail)
        && err.detail.some((d) => (d.loc || []).includes("actor") && d.type === "missing");
      if (!wantsActor || !ctx.me.person_id) throw err;
      return api.post(`/api/cases/${caseId}/transitions`, { ...body, actor: ctx.me.person_id });
    }
  }

  const off = onLive("case", (ev) => { if (ev.case_id === caseId) load(); });
  await load();
  return () => { off(); clearInterval(ticker); if (view) view.destroy(); };
}
