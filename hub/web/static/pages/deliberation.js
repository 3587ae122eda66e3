// 议事 (红福议事馆): topics the control room opens for the kiosks of a unit (title, background, comment period, an
// optional vote: options, who votes - every resident card or the representatives listed by card key - and whether a
// vote may be changed), the moderation queue of residents' comments (private until approved), each topic's live
// tally (one vote per card), turnout per grid, and closing the vote with its resolution (and a notice's id).
import { api } from "../api.js";
import { h } from "../dom.js";
import { getLang, t, timeOf } from "../i18n.js";
import { data, directory, errorText, toast } from "../ui.js";

const REFRESH_MS = 5000; // live tallies: votes arrive from the kiosks as they sync
const pct = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);
const localInput = (date) => new Date(date - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);

/** Where a topic can go: the operator's scope, each community under it, each grid (as for notices). */
function targets(ctx, dir) {
  const out = new Map([[ctx.me.scope_code, `${t("dlb.wholeScope")} · ${ctx.me.scope_name || ctx.me.scope_code}`]]);
  const grids = [...dir.grids.values()].sort((a, b) => a.code.localeCompare(b.code));
  for (const g of grids) if (g.parent && !out.has(g.parent)) out.set(g.parent, g.parent_name || g.parent);
  for (const g of grids) if (!out.has(g.code)) out.set(g.code, `　${g.name || g.code}`);
  return out;
}

function optionLabel(topic, key) {
  const o = (topic.vote?.options || []).find((x) => x.key === key);
  return o ? (getLang() === "en" && o.label_en ? o.label_en : o.label) : key;
}

function stateText(topic) {
  if (topic.state === "closed") return t("dlb.state.closed");
  if (topic.state === "withdrawn") return t("dlb.state.withdrawn");
  return topic.vote ? t("dlb.state.voting") : t("dlb.state.open");
}

export async function mount(root, ctx) {
  const dir = await directory();
  const acting = ctx.me.role !== "viewer";
  let selected = null;
  const list = h("tbody", { "data-testid": "dlb-topics" });
  const queue = h("div", { class: "dlb-queue", "data-testid": "dlb-queue" });
  const detail = h("div", { class: "dlb-detail", "data-testid": "dlb-detail" });
  const form = h("div", { class: "dlb-form", "data-testid": "dlb-form", hidden: true });
  root.append(h("section", { class: "panel deliberation" },
    h("div", { class: "dlb-head" }, h("h2", {}, t("dlb.title")),
      acting ? h("button", { type: "button", class: "primary", "data-testid": "dlb-new", onclick: () => openForm() }, t("dlb.new")) : null),
    form,
    h("div", { class: "dlb-columns" },
      h("div", { class: "dlb-left" },
        h("table", { class: "list" },
          h("thead", {}, h("tr", {}, ...["dlb.topic", "dlb.target", "dlb.state", "dlb.voters", "dlb.pending"].map((k) => h("th", {}, t(k))))),
          list),
        h("h3", {}, t("dlb.queue")), queue),
      detail)));

  function drawList(topics) {
    list.replaceChildren(...topics.map((tp) => h("tr", {
      class: `dlb-row${selected === tp.id ? " selected" : ""}`, dataset: { topic: tp.id },
      onclick: () => { selected = tp.id; refresh(); } },
    h("td", {}, data(tp.title)),
    h("td", {}, data(tp.unit_name || tp.unit_code, { title: tp.unit_code })),
    h("td", {}, stateText(tp)),
    h("td", {}, tp.vote ? `${tp.voters}${tp.eligible ? ` / ${tp.eligible}` : ""}` : "—"),
    h("td", {}, tp.pending_comments ? h("span", { class: "dlb-badge" }, String(tp.pending_comments)) : "0"))));
    if (!topics.length) list.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, t("dlb.empty"))));
  }

  async function moderate(comment, decision) {
    try {
      await api.post(`/api/deliberation/comments/${comment.id}`, { decision });
      toast(decision === "approve" ? t("dlb.approved") : t("dlb.rejected"));
      await refresh();
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  function drawQueue(pending) {
    queue.replaceChildren(...pending.map((c) => h("div", { class: "dlb-comment", dataset: { comment: c.id } },
      h("div", { class: "muted" }, data(c.topic_title), " · ", timeOf(c.made_at), " · ", data(c.device_id)),
      h("p", {}, data(c.text)),
      acting ? h("div", { class: "dlb-buttons" },
        h("button", { type: "button", class: "primary", "data-testid": "dlb-approve", onclick: () => moderate(c, "approve") }, t("dlb.approve")),
        h("button", { type: "button", "data-testid": "dlb-reject", onclick: () => moderate(c, "reject") }, t("dlb.reject"))) : null)));
    if (!pending.length) queue.append(h("p", { class: "muted" }, t("dlb.queueEmpty")));
  }

  function tallyBars(tp) {
    const total = Math.max(1, tp.voters);
    return h("div", { class: "dlb-tally", "data-testid": "dlb-tally" }, ...(tp.vote?.options || []).map((o) => {
      const n = tp.counts[o.key] || 0;
      return h("div", { class: "dlb-bar-row" },
        h("span", { class: "dlb-bar-label" }, data(optionLabel(tp, o.key))),
        h("span", { class: "dlb-bar" }, h("span", { class: "dlb-bar-fill", style: `width:${(100 * n) / total}%` })),
        h("span", { class: "dlb-bar-n", dataset: { option: o.key } }, String(n)));
    }));
  }

  // What the operator typed survives a refresh that redraws the topic (an action's or the poll's): kept per topic.
  const drafts = new Map();

  function closeForm(tp) {
    const draft = drafts.get(tp.id) || { resolution: "", notice: "" };
    drafts.set(tp.id, draft);
    const resolution = h("input", { name: "resolution", maxlength: 1000, "data-testid": "dlb-resolution", placeholder: t("dlb.resolutionHint"),
                                    value: draft.resolution, oninput: () => { draft.resolution = resolution.value; } });
    const notice = h("input", { name: "notice_id", maxlength: 64, "data-testid": "dlb-notice", placeholder: t("dlb.noticeHint"),
                                value: draft.notice, oninput: () => { draft.notice = notice.value; } });
    const close = h("button", { type: "button", class: "primary danger", "data-testid": "dlb-close", onclick: async () => {
      close.disabled = true;
      try {
        await api.post(`/api/deliberation/topics/${tp.id}/close`, { resolution: resolution.value.trim(), notice_id: notice.value.trim() || null });
        toast(t("dlb.closed"));
        await refresh();
      } catch (err) {
        toast(errorText(err), "error");
        close.disabled = false;
      }
    } }, t("dlb.closeVote"));
    return h("div", { class: "dlb-close-form" }, h("h4", {}, t("dlb.closeVote")),
      h("label", {}, t("dlb.resolution"), resolution), h("label", {}, t("dlb.noticeId"), notice), close);
  }

  function drawDetail(tp) {
    if (!tp) { detail.replaceChildren(h("p", { class: "muted" }, t("dlb.pick"))); return; }
    const v = tp.vote;
    const figures = v ? h("div", { class: "dlb-figures" },
      h("div", { class: "dlb-figure", "data-testid": "dlb-voters" }, h("div", { class: "dlb-value" }, String(tp.voters)), h("div", { class: "muted" }, t("dlb.votersN"))),
      h("div", { class: "dlb-figure" }, h("div", { class: "dlb-value" }, tp.eligible ?? "—"), h("div", { class: "muted" }, t("dlb.eligible"))),
      h("div", { class: "dlb-figure", "data-testid": "dlb-turnout" }, h("div", { class: "dlb-value" }, pct(tp.turnout)), h("div", { class: "muted" }, t("dlb.turnout"))),
      h("div", { class: "dlb-figure" }, h("div", { class: "dlb-value" }, String((tp.statuses.already_voted || 0) + (tp.statuses.displaced || 0))),
        h("div", { class: "muted" }, t("dlb.repeat"))),
      v.changes_allowed ? h("div", { class: "dlb-figure" }, h("div", { class: "dlb-value" }, String(tp.statuses.superseded || 0)),
        h("div", { class: "muted" }, t("dlb.changed"))) : null) : null;
    const rules = v ? h("p", { class: "muted" },
      t(`dlb.elig.${v.eligibility}`), v.eligibility === "representatives" ? ` (${tp.representatives})` : "", " · ",
      v.changes_allowed ? t("dlb.changes") : t("dlb.noChanges"), " · ", t("dlb.closesAt"), " ", timeOf(v.closes_at)) : null;
    const comments = tp.comments.filter((c) => c.state !== "invalid");
    detail.replaceChildren(...[ // replaceChildren would print a null: the parts not shown are left out
      h("h3", {}, data(tp.title), " ", h("span", { class: `dlb-state dlb-state-${tp.state}` }, stateText(tp))),
      h("p", { class: "muted" }, data(tp.unit_name || tp.unit_code), " · ", t("dlb.commentsUntil"), " ", timeOf(tp.comments_until)),
      tp.background ? h("p", { class: "dlb-background" }, data(tp.background)) : null,
      v ? h("h4", {}, t("dlb.tally")) : h("p", { class: "muted" }, t("dlb.noVote")),
      figures, rules, v ? tallyBars(tp) : null,
      tp.resolution || tp.notice_id ? h("p", { class: "dlb-resolution", "data-testid": "dlb-resolution-text" },
        h("strong", {}, t("dlb.resolution")), " ", data(tp.resolution || "—"), tp.notice_id ? [" · ", t("dlb.noticeId"), " ", data(tp.notice_id)] : null) : null,
      v && tp.grids.length ? h("table", { class: "list dlb-grids", "data-testid": "dlb-grids" },
        h("thead", {}, h("tr", {}, h("th", {}, t("dlb.grid")), h("th", {}, t("dlb.votersN")), h("th", {}, t("dlb.share")))),
        h("tbody", {}, ...tp.grids.map((g) => h("tr", {}, h("td", {}, data(g.unit_name, { title: g.unit_code })), h("td", {}, String(g.voters)),
          h("td", {}, tp.voters ? pct(g.voters / tp.voters) : "—"))))) : null,
      acting && v && !tp.vote_closed_at ? closeForm(tp) : null,
      h("h4", {}, t("dlb.comments", { n: comments.length })),
      h("ul", { class: "dlb-comments" }, ...comments.map((c) => h("li", { class: `dlb-c-${c.state}` },
        h("span", { class: "dlb-c-state" }, t(`dlb.c.${c.state}`)), " ", data(c.text), " ", h("span", { class: "muted" }, timeOf(c.made_at)))))]
      .filter((part) => part != null));
  }

  function openForm() {
    const now = new Date();
    const target = h("select", { name: "unit_code", "data-testid": "dlb-target" },
      ...[...targets(ctx, dir)].map(([code, name]) => h("option", { value: code, translate: "no" }, name)));
    const title = h("input", { name: "title", maxlength: 128, required: true, "data-testid": "dlb-title-input" });
    const background = h("textarea", { name: "background", rows: 3, maxlength: 4000, "data-testid": "dlb-background-input" });
    const until = h("input", { type: "datetime-local", name: "comments_until", value: localInput(new Date(+now + 14 * 864e5)) });
    const withVote = h("input", { type: "checkbox", name: "vote", checked: true, "data-testid": "dlb-with-vote" });
    const options = h("textarea", { name: "options", rows: 3, value: t("dlb.defaultOptions"), "data-testid": "dlb-options" });
    options.value = t("dlb.defaultOptions");
    const eligibility = h("select", { name: "eligibility", "data-testid": "dlb-eligibility" },
      h("option", { value: "residents" }, t("dlb.elig.residents")), h("option", { value: "representatives" }, t("dlb.elig.representatives")));
    const reps = h("textarea", { name: "representatives", rows: 3, placeholder: t("dlb.repsHint"), "data-testid": "dlb-reps" });
    const eligible = h("input", { type: "number", name: "eligible_count", min: 1, placeholder: t("dlb.eligibleHint") });
    const changes = h("input", { type: "checkbox", name: "changes_allowed" });
    const closes = h("input", { type: "datetime-local", name: "closes_at", value: localInput(new Date(+now + 14 * 864e5)) });
    const submit = h("button", { type: "button", class: "primary", "data-testid": "dlb-publish", onclick: async () => {
      const labels = options.value.split("\n").map((s) => s.trim()).filter(Boolean);
      const body = { unit_code: target.value, title: title.value.trim(), background: background.value,
                     comments_until: new Date(until.value).toISOString() };
      if (withVote.checked) {
        body.vote = { options: labels.map((label, i) => ({ key: `o${i + 1}`, label })), eligibility: eligibility.value,
                      changes_allowed: changes.checked, closes_at: new Date(closes.value).toISOString() };
        const keys = reps.value.split(/\s+/).filter(Boolean);
        if (keys.length) body.representatives = keys;
        if (eligible.value) body.eligible_count = Number(eligible.value);
      }
      submit.disabled = true;
      try {
        const made = await api.post("/api/deliberation/topics", body);
        toast(t("dlb.published", { n: made.grids.length }));
        form.hidden = true;
        selected = made.id;
        await refresh();
      } catch (err) {
        toast(errorText(err), "error");
        submit.disabled = false;
      }
    } }, t("dlb.publish"));
    form.replaceChildren(h("h3", {}, t("dlb.new")),
      h("div", { class: "row" }, h("label", {}, t("dlb.target"), target), h("label", { class: "grow" }, t("dlb.topicTitle"), title)),
      h("label", {}, t("dlb.background"), background),
      h("div", { class: "row" }, h("label", {}, t("dlb.commentsUntil"), until), h("label", { class: "check" }, withVote, t("dlb.withVote"))),
      h("div", { class: "row" }, h("label", {}, t("dlb.options"), options), h("label", {}, t("dlb.eligibility"), eligibility),
        h("label", {}, t("dlb.representatives"), reps)),
      h("div", { class: "row" }, h("label", {}, t("dlb.eligible"), eligible), h("label", {}, t("dlb.closesAt"), closes),
        h("label", { class: "check" }, changes, t("dlb.changes"))),
      h("p", { class: "muted" }, t("dlb.privacy")),
      h("div", { class: "dlb-buttons" }, submit, h("button", { type: "button", onclick: () => { form.hidden = true; } }, t("case.cancel"))));
    form.hidden = false;
    title.focus();
  }

  let busy = null, again = false;
  async function refresh() {
    if (busy) { again = true; return busy; } // an action's refresh during a poll: once more right after it
    busy = (async () => {
      do {
        again = false;
        const [topics, pending] = await Promise.all([api.get("/api/deliberation/topics"), api.get("/api/deliberation/comments")]);
        if (!selected && topics.length) selected = topics[0].id;
        drawList(topics);
        drawQueue(pending);
        drawDetail(selected ? await api.get(`/api/deliberation/topics/${selected}`).catch(() => null) : null);
      } while (again);
    })();
    try {
      await busy;
    } finally {
      busy = null;
    }
  }
  await refresh();
  // not while the operator types (a redraw would take the text away)
  const typing = () => ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
  const timer = setInterval(() => { if (form.hidden && !typing()) refresh(); }, REFRESH_MS);
  return () => clearInterval(timer);
}
