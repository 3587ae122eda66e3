// 案件详情: the reference people quote, where it is, who holds it and the deadline countdown, the photos - what the
// reporters sent (before) apart from what the handler sent when done (after) -, the audit trail with names, and
// the steps this operator's role allows (through the case transitions API; the hub re-checks everything).
// Irreversible steps ask first; every step says what happened in a toast that outlives the reload.
import { api, qs } from "../api.js";
import { h, LEVEL_COLOURS } from "../dom.js";
import { actionLabel, duration, t, timeOf } from "../i18n.js";
import { onLive } from "../live.js";
import { createMap } from "../mapview.js";
import {
  ageText, caseTitle, categoryOptions, categoryText, confirmDialog, data, directory, errorText, gridText,
  noticeToasts, personName, toast,
} from "../ui.js";

const FIELD_ONLY = new Set(["resolve"]); // needs photos and a position taken on site: done from the phone
const CONFIRM = new Set(["close", "return", "not_file", "rework", "suspend"]); // asked before they are sent
const DANGER = new Set(["close", "not_file", "return"]);
const SHA256 = /^[0-9a-f]{64}$/;
const BEFORE = new Set(["report", "duplicate"]); // photos the reporters sent
const AFTER = new Set(["resolve", "auto_resolve"]); // photos of the work done

// A photo's URL, or null: only a 64-hex content address ever becomes part of a URL (evidence comes from the
// trail, and a trail entry like "../welfare/enrolments" must not make this browser fetch another endpoint).
export function photoUrl(sha) {
  return typeof sha === "string" && SHA256.test(sha) ? `/api/photos/${encodeURIComponent(sha)}` : null;
}

/** The people a case may go to, grouped by unit, nearest first: GET /api/cases/{id}/assignees →
 * {groups: [{unit_code, unit_name, relation, people: [{id, name, role, can_receive, is_assignee}]}]}. */
export function assigneeGroups(answer) {
  return (answer?.groups || []).map((g) => ({ ...g, people: g.people || [] }));
}

// A reason in the trail: the hub's own (escalations: urgent, unaccepted, overdue) in words, a person's as written.
const SYSTEM_REASONS = new Set(["urgent", "unaccepted", "overdue"]);
function reasonText(e) {
  if (e.actor === "system" && SYSTEM_REASONS.has(e.reason)) return h("span", { class: "reason" }, t(`escreason.${e.reason}`));
  return data(e.reason, { class: "reason" });
}

// 回访 of the case's latest closing: its answer, else awaiting (until when) or overdue (未回访).
function followupText(f) {
  if (f.state === "answered") return `${t(`followup.${f.answer}`)} · ${t(`fu.channel.${f.channel}`)} · ${timeOf(f.answered_at)}`;
  if (f.state === "skipped") return t("fu.skipped");
  const status = f.overdue ? t("fu.overdue") : f.state === "not_reached" ? t("fu.notReached") : t("fu.pending");
  return `${status} · ${t("fu.dueAt")} ${timeOf(f.due_at)}`;
}

export async function mount(root, ctx, caseId) {
  const box = h("section", { class: "panel case-page", "data-testid": "case-page" });
  root.append(box);
  let view = null, ticker = null, dir = null;
  // What the page shows (state and last change) and how many action forms were opened: a live event the page
  // already shows is no reason to reload, and a reload under way must not wipe a form the operator just opened.
  let shown = null, formsOpened = 0;

  async function load() {
    const opened = formsOpened;
    let c;
    try {
      c = await api.get(`/api/cases/${caseId}`);
    } catch (err) {
      box.replaceChildren(h("p", { class: "error", "data-testid": "case-error" }, t("case.notFound")));
      return;
    }
    const [events, d, sourceRecord, followup] = await Promise.all([
      api.get(`/api/cases/${caseId}/events`).catch(() => []),
      directory(),
      api.get(`/api/records/${c.source_record_id}`).catch(() => null),
      api.get(`/api/cases/${caseId}/followup`).catch(() => null), // 回访 after closing (none before)
    ]);
    if (opened !== formsOpened && box.querySelector(".action-form > *")) {
      box.querySelector(".moved-on")?.removeAttribute("hidden");
      return;
    }
    dir = d;
    shown = { state: c.state, updated: Date.parse(c.updated_at) };
    const who = (id) => (id === "system" ? t("case.system") : personName(dir, id));

    // photos: before (the report and its duplicates) and after (the work done), each with when and by whom
    const before = [], after = [], other = [];
    // each photo once per group; a note citing a before/after photo again does not repeat it under "other"
    const add = (list, sha, e) => { if (photoUrl(sha) && !list.some((p) => p.sha === sha)) list.push({ sha, e }); };
    for (const p of sourceRecord?.payload?.photos || []) add(before, p?.sha256, events.find((e) => e.transition === "report"));
    for (const e of events) {
      if (e.outcome === "rejected") continue;
      for (const sha of e.evidence || []) add(BEFORE.has(e.transition) ? before : AFTER.has(e.transition) ? after : other, sha, e);
    }
    const grouped = new Set([...before, ...after].map((p) => p.sha));
    other.splice(0, other.length, ...other.filter((p) => !grouped.has(p.sha)));

    const remainingEl = h("b", { "data-testid": "remaining" });
    const loadedAt = Date.now();
    const tick = () => {
      if (c.remaining_s == null) { remainingEl.textContent = c.closed_at ? `${t("state.closed")} ${timeOf(c.closed_at)}` : "—"; return; }
      const left = c.remaining_s - (Date.now() - loadedAt) / 1000;
      remainingEl.textContent = left < 0 ? `${t("case.overdue")} ${duration(-left)}` : duration(left);
      remainingEl.classList.toggle("overdue", left < 0);
    };
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    tick();

    const alarmOpen = c.alarm_at && !c.alarm_acked_at;
    const mapEl = h("div", { class: "case-map" });
    const facts = h("dl", { class: "facts" },
      h("dt", {}, t("cases.ref")), h("dd", { "data-testid": "case-ref" }, h("b", {}, c.reference || "—"),
        c.receipt_code ? h("span", { class: "muted" }, ` · ${t("cases.receipt")} ${c.receipt_code}`) : null),
      h("dt", {}, t("case.state")), h("dd", { "data-testid": "case-state" }, t(`state.${c.state}`),
        c.flagged_for_review ? h("a", { class: "badge review", href: `#/triage/${c.id}` }, t("cases.needsReview")) : null),
      h("dt", {}, t("case.level")), h("dd", {}, h("i", { class: "dot", style: `background:${LEVEL_COLOURS[c.level]}` }), t(`level.${c.level}`),
        c.severity ? ` · ${t(`severity.${c.severity}`)}` : ""),
      h("dt", {}, t("case.category")), h("dd", { "data-testid": "case-category" }, categoryText(dir, c.category_code, c)),
      h("dt", {}, t("case.grid")), h("dd", { "data-testid": "case-grid" }, gridText(dir, c)),
      h("dt", {}, t("cases.source")), h("dd", {}, t(`source.${c.source || "device"}`)),
      h("dt", {}, t("cases.reported")), h("dd", {}, `${timeOf(c.created_at)} · ${ageText(c.created_at)}`),
      h("dt", {}, t("case.holder")), h("dd", { "data-testid": "holder" }, c.assignee ? data(personName(dir, c.assignee)) : t("case.none")),
      h("dt", {}, t("case.deadline")), h("dd", {}, c.deadline ? timeOf(c.deadline) : "—"),
      h("dt", {}, t("case.remaining")), h("dd", {}, remainingEl),
      h("dt", {}, t("case.reports")), h("dd", {}, c.report_count),
      followup ? [h("dt", {}, t("nav.followups")), h("dd", { "data-testid": "case-followup" }, followupText(followup))] : null,
      c.escalation ? [h("dt", {}, t("transition.escalate")), h("dd", {}, timeOf(c.escalation.at || c.escalation.events?.at(-1)?.at))] : null);
    const timeline = h("ol", { class: "timeline", "data-testid": "timeline" }, ...events.map((e) =>
      h("li", { class: e.outcome === "rejected" ? "rejected" : "", dataset: { transition: e.transition } },
        h("span", { class: "muted" }, timeOf(e.at)), " ",
        h("b", {}, t(`transition.${e.transition}`)), " · ", data(who(e.actor)),
        e.assignee ? [" → ", data(who(e.assignee))] : null,
        e.category_code && e.transition === "file" && e.category_code !== c.category_code ? ` · ${categoryText(dir, e.category_code)}` : null,
        e.reason ? [" · ", reasonText(e)] : null, e.note ? [" · ", data(e.note)] : null,
        e.outcome === "rejected" ? ` ✕ ${t("case.rejected")}` : "")));
    const photoBlock = (title, list, kind, testid) => h("div", { class: `photo-group ${kind}`, "data-testid": testid },
      h("h4", {}, title, h("span", { class: "muted" }, ` (${list.length})`)),
      h("div", { class: "photos" }, list.length ? list.map(({ sha, e }) => h("figure", { class: "photo-box" },
        h("a", { href: photoUrl(sha), target: "_blank", rel: "noopener" },
          h("img", { class: "photo", src: photoUrl(sha), alt: title, loading: "lazy" })),
        h("figcaption", {}, h("span", { class: `photo-kind ${kind}` }, title),
          e ? [" · ", timeOf(e.at), " · ", data(who(e.actor))] : null)))
        : h("span", { class: "muted" }, t("case.none"))));
    const actions = h("div", { class: "actions", "data-testid": "actions" });
    const alarm = alarmOpen ? h("div", { class: "case-alarm", "data-testid": "case-alarm" },
      h("b", {}, `⚠ ${t("alarm.title")}`), ` · ${timeOf(c.alarm_at)}`,
      h("button", { type: "button", class: "ack", onclick: async (ev) => {
        ev.currentTarget.disabled = true;
        try {
          await api.post(`/api/cases/${caseId}/alarm/ack`, {});
          toast(t("alarm.acked", { ref: c.reference || "" }), "ok");
        } catch (err) { toast(`${t("alarm.ackFailed")}: ${errorText(err)}`, "error"); }
        await load();
      } }, t("alarm.ack"))) : null;
    box.replaceChildren(...[ // (replaceChildren would print a null)
      h("a", { href: "#/cases", class: "back", onclick: (e) => { if (history.length > 1) { e.preventDefault(); history.back(); } } },
        `← ${t("case.back")}`),
      h("h2", {}, h("span", { class: "ref", "data-testid": "case-reference" }, c.reference || ""), " ", caseTitle(dir, c)),
      h("button", { type: "button", class: "stale-hint moved-on", hidden: true, onclick: () => load() }, t("case.movedOn")),
      alarm,
      c.note ? h("p", { class: "case-note" }, data(c.note)) : null,
      h("div", { class: "case-grid" },
        h("div", {}, facts, h("h3", {}, t("case.actions")), actions),
        mapEl),
      h("h3", {}, t("case.photos")),
      h("div", { class: "photo-groups" },
        photoBlock(t("case.photosBefore"), before, "before", "photos-before"),
        photoBlock(t("case.photosAfter"), after, "after", "photos-after"),
        other.length ? photoBlock(t("case.photosOther"), other, "other", "photos-other") : null),
      h("h3", {}, t("case.timeline")), timeline].filter(Boolean));
    if (view) view.destroy();
    view = createMap(mapEl, ctx.config);
    view.setGrids(dir.gridFeatures); // where the case is among the grids
    if (c.lat != null) {
      view.setCases([{ ...c, assignee: null, overdue: c.overdue }]);
      view.map.setView(view.show(c.lat, c.lon), 17);
    }
    await drawActions(actions, c);
  }

  async function drawActions(actions, c) {
    const me = ctx.me;
    if (me.role === "viewer") { actions.append(h("p", { class: "muted" }, t("case.viewerNote"))); return; }
    let allowed;
    try {
      allowed = await api.get(`/api/cases/${caseId}/allowed${qs({ actor: me.person_id })}`);
    } catch (err) {
      actions.append(h("p", { class: "muted" }, me.person_id ? errorText(err) : t("case.noPerson")));
      return;
    }
    const options = allowed.transitions.filter((o) => !FIELD_ONLY.has(o.transition));
    const fieldOnly = allowed.transitions.filter((o) => FIELD_ONLY.has(o.transition));
    if (!options.length) {
      actions.append(h("p", { class: "muted" }, fieldOnly.length ? t("case.fieldOnly") : t("case.noActions")));
      return;
    }
    const form = h("div", { class: "action-form" });
    actions.append(h("div", { class: "buttons" }, ...options.map((o) => h("button", {
      type: "button", class: `action${DANGER.has(o.transition) ? " danger-outline" : ""}`, dataset: { transition: o.transition },
      onclick: () => openForm(form, o, c),
    }, actionLabel(o.transition)))), form,
    fieldOnly.length ? h("p", { class: "muted small" }, t("case.fieldOnly")) : "");
  }

  // 派遣 / 改派: the people near the case first (its grid, then its community ...), those a task reaches first;
  // someone without a phone is marked - the hub can still assign them, but the operator then has to call them.
  async function assigneeSelect(c, wider = false) {
    const select = h("select", { name: "assignee", required: true, "data-testid": "assignee-select" });
    const answer = await api.get(`/api/cases/${caseId}/assignees${wider ? "?wider=true" : ""}`);
    for (const g of assigneeGroups(answer)) {
      const people = g.people.filter((p) => !p.is_assignee && p.id !== c.assignee?.id)
        .sort((a, b) => Number(b.can_receive) - Number(a.can_receive));
      if (!people.length) continue;
      const here = g.relation === "case_grid" ? ` · ${t("case.thisGrid")}` : "";
      select.append(h("optgroup", { label: `${g.unit_name || g.unit_code}${here}`, dataset: { unit: g.unit_code } },
        ...people.map((p) => h("option", {
          value: p.id, class: p.can_receive ? "data" : "data unreachable", translate: "no", dataset: { canReceive: String(p.can_receive) },
        }, `${p.name || p.id} · ${t(`prole.${p.role}`)}${p.can_receive ? "" : ` · ${t("case.noPhone")}`}`))));
    }
    const firstOk = select.querySelector("option[data-can-receive=true]") || select.querySelector("option");
    if (firstOk) firstOk.selected = true;
    if (!select.options.length) select.append(h("option", { value: "", disabled: true, selected: true }, t("case.nobody")));
    return select;
  }

  async function openForm(form, option, c) {
    const mine = ++formsOpened; // a later click wins: an earlier form still fetching its people must not replace it
    const fields = {};
    const rows = [];
    const tr = option.transition;
    if (option.needs.includes("assignee")) {
      try {
        fields.assignee = await assigneeSelect(c);
      } catch (err) {
        toast(errorText(err), "error");
        return;
      }
      const label = h("label", {}, t("case.assignee"), fields.assignee);
      const wider = h("input", { type: "checkbox", name: "wider", onchange: async () => {
        const next = await assigneeSelect(c, wider.checked).catch(() => null);
        if (next) { fields.assignee.replaceWith(next); fields.assignee = next; }
      } });
      rows.push(label, h("label", { class: "check small" }, wider, t("case.wider")),
                h("p", { class: "muted small" }, t("case.noPhoneHint")));
    }
    if (tr === "file") {
      fields.category = h("select", { name: "category" }, ...categoryOptions(dir, c.category_code));
      fields.grid = h("select", { name: "grid" }, ...[...dir.grids.values()].map((g) =>
        h("option", { value: g.code, selected: g.code === c.grid_code, translate: "no", class: "data" }, g.name || g.code)));
      if (!c.grid_code) fields.grid.prepend(h("option", { value: "", selected: true, disabled: true }, t("queue.pickGrid")));
      rows.push(h("label", {}, t("case.grid"), fields.grid), h("label", {}, t("case.category"), fields.category));
    }
    if (option.needs.includes("reason")) {
      fields.reason = h("input", { name: "reason", required: true });
      rows.push(h("label", {}, t("case.reason"), fields.reason));
    }
    fields.note = h("input", { name: "note" });
    rows.push(h("label", {}, t("case.note"), fields.note));
    const submit = h("button", { type: "button", class: DANGER.has(tr) ? "danger" : "primary", dataset: { submit: tr } }, t("case.submit"));
    const problem = h("p", { class: "error small" });
    submit.addEventListener("click", async () => {
      problem.textContent = "";
      if (fields.reason && !fields.reason.value.trim()) { problem.textContent = t("queue.needReason"); fields.reason.focus(); return; }
      if (fields.assignee && !fields.assignee.value) { problem.textContent = t("case.pickAssignee"); return; }
      const chosen = fields.assignee?.selectedOptions[0];
      if (chosen && chosen.dataset.canReceive === "false" && !(await confirmDialog({
        title: t("case.noPhoneTitle", { name: chosen.textContent.split(" · ")[0] }), text: t("case.noPhoneText"),
        ok: actionLabel(tr),
      }))) return;
      if (fields.grid && !fields.grid.value) { problem.textContent = t("queue.pickGrid"); return; }
      if (CONFIRM.has(tr) && !(await confirmDialog({
        title: t("case.confirmTitle", { step: actionLabel(tr), ref: c.reference || "" }),
        text: t(`confirm.${tr}`), ok: actionLabel(tr), danger: DANGER.has(tr),
      }))) return;
      submit.disabled = true;
      try {
        let done;
        const regrid = fields.grid && (fields.grid.value !== c.grid_code || c.flagged_for_review);
        if (regrid) { // filing into another grid (or confirming a flagged one) goes through triage
          done = await api.post(`/api/cases/${caseId}/triage`, { action: "file", grid_code: fields.grid.value,
            category_code: fields.category.value, note: fields.note.value, expected_version: c.version });
        } else {
          const body = { transition: tr, expected_version: c.version, note: fields.note.value };
          if (fields.assignee) body.assignee = fields.assignee.value;
          if (fields.reason) body.reason = fields.reason.value;
          if (fields.category && fields.category.value !== c.category_code) body.category_code = fields.category.value;
          done = await api.post(`/api/cases/${caseId}/transitions`, body);
        }
        toast(t("case.doneStep", { step: t(`transition.${tr}`), ref: c.reference || "" }), "ok");
        noticeToasts(done);
        window.__gridline.refreshTriageCount?.();
        await load();
      } catch (err) {
        problem.textContent = errorText(err);
        toast(`${t("case.failedStep", { step: actionLabel(tr) })}: ${errorText(err)}`, "error");
        submit.disabled = false;
        if (err.status === 409) await load();
      }
    });
    if (mine !== formsOpened) return;
    form.replaceChildren(h("h4", {}, actionLabel(tr)), ...rows, problem,
      h("div", { class: "buttons" }, submit, h("button", { type: "button", onclick: () => form.replaceChildren() }, t("case.cancel"))));
  }

  // A step elsewhere (a phone, another operator) redraws the page - unless the operator is filling in a form:
  // then a hint says the case moved on, and the hub's version check refuses a step made on the old state.
  const off = onLive("case", (ev) => {
    if (ev.case_id !== caseId) return;
    if (shown && ev.state === shown.state && Date.parse(ev.at) <= shown.updated) return; // shown already
    if (box.querySelector(".action-form > *")) box.querySelector(".moved-on")?.removeAttribute("hidden");
    else load();
  });
  await load();
  return () => { off(); clearInterval(ticker); if (view) view.destroy(); };
}
