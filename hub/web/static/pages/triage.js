// 待研判: reports that wait for a person - routing was unsure (on a boundary, outside every grid), the category
// is unknown or disabled, ... - each with why it waits, a small map of the candidate grids with the report's position
// and accuracy circle, and three ways out: file it into a chosen grid and category, merge it into an existing case,
// or reject it with a reason. Every way out is confirmed, and says what happened.
import { api, qs } from "../api.js";
import { h, LEVEL_COLOURS } from "../dom.js";
import { getLang, t, timeOf } from "../i18n.js";
import { onLive } from "../live.js";
import { createMiniMap } from "../minimap.js";
import {
  ageText, caseTitle, categoryOptions, categoryText, confirmDialog, data, directory, errorText, gridName, noticeToasts,
  throttle, toast,
} from "../ui.js";

// A reason: {code, zh, en} (or a bare code), in the operator's language from the shared catalogue.
function reasonChip(r) {
  const code = typeof r === "string" ? r : r.code;
  const text = t(`triage.${code}`);
  const known = text !== `triage.${code}`; // a reason a newer hub added: its own words
  return h("span", { class: "reason", dataset: { reason: code } }, known ? text : (getLang() === "en" ? r.en : r.zh) || code);
}

export async function mount(root, ctx, arg) {
  const dir = await directory();
  let items = [], selected = arg || null, view = null, stale = false;
  const list = h("ol", { class: "triage-list", "data-testid": "triage-list" });
  const detail = h("div", { class: "triage-detail", "data-testid": "triage-detail" });
  const count = h("span", { class: "muted", "data-testid": "triage-total" });
  const refresh = h("button", { type: "button", class: "stale-hint", hidden: true, onclick: () => load() }, t("cases.updated"));
  root.append(h("section", { class: "panel triage-page", "data-testid": "triage-page" },
    h("div", { class: "page-head" }, h("h2", {}, t("queue.title")), count, refresh),
    h("p", { class: "muted intro" }, t("queue.intro")),
    h("div", { class: "triage-body" }, list, detail)));

  async function load() {
    const answer = await api.get("/api/triage");
    items = Array.isArray(answer) ? answer : answer.items || [];
    stale = false;
    refresh.hidden = true;
    count.textContent = t("queue.count", { n: items.length });
    if (!items.some((x) => x.case.id === selected)) selected = items[0]?.case.id || null;
    drawList();
    drawDetail();
  }

  function drawList() {
    list.replaceChildren(...items.map((x) => {
      const c = x.case;
      return h("li", { class: `triage-item${c.id === selected ? " selected" : ""}`, dataset: { case: c.id },
                       onclick: () => { selected = c.id; history.replaceState(null, "", `#/triage/${c.id}`); drawList(); drawDetail(); } },
        h("i", { class: "level-bar", style: `background:${LEVEL_COLOURS[c.level] || "#888"}` }),
        h("div", { class: "triage-item-body" },
          h("div", { class: "line" }, h("b", {}, c.reference || "—"), " ", caseTitle(dir, c)),
          h("div", { class: "reasons" }, ...x.reasons.map(reasonChip)),
          h("div", { class: "muted small" }, `${t(`source.${c.source || "device"}`)} · ${ageText(c.created_at)}`)));
    }));
    if (!items.length) list.append(h("li", { class: "muted empty", "data-testid": "triage-empty" }, t("queue.empty")));
  }

  function drawDetail() {
    if (view) { view.destroy(); view = null; }
    const x = items.find((i) => i.case.id === selected);
    if (!x) { detail.replaceChildren(h("p", { class: "muted" }, items.length ? "" : t("queue.emptyHint"))); return; }
    const c = x.case;
    const candidates = x.candidates || [];
    const candidateCodes = new Set(candidates.map((g) => g.grid_code));
    const fileable = candidates.filter((g) => g.in_scope !== false);
    let chosenGrid = c.grid_code && candidateCodes.has(c.grid_code) ? c.grid_code : fileable[0]?.grid_code || c.grid_code || "";

    // file: grid and category, by name
    const gridSelect = h("select", { name: "grid", "data-testid": "triage-grid" },
      candidates.length ? h("optgroup", { label: t("queue.candidates") }, ...candidates.map((g) =>
        h("option", { value: g.grid_code, selected: g.grid_code === chosenGrid, disabled: g.in_scope === false,
                      translate: "no", class: "data" },
          `${g.grid_name || gridName(dir, g.grid_code)}${g.share != null ? ` · ${Math.round(g.share * 100)}%` : ""}`))) : null,
      h("optgroup", { label: t("queue.allGrids") }, ...[...dir.grids.values()].filter((g) => !candidateCodes.has(g.code))
        .map((g) => h("option", { value: g.code, selected: g.code === chosenGrid, translate: "no", class: "data" }, g.name || g.code))));
    if (!chosenGrid) gridSelect.prepend(h("option", { value: "", selected: true, disabled: true }, t("queue.pickGrid")));
    const catSelect = h("select", { name: "category", "data-testid": "triage-category" }, ...categoryOptions(dir, c.category_code));
    const fileNote = h("input", { name: "note", placeholder: t("case.note") });
    const fileBtn = h("button", { type: "button", class: "primary", "data-testid": "triage-file" }, t("queue.file"));

    // merge: find the case by reference / receipt code
    const mergeQ = h("input", { name: "merge", placeholder: t("queue.mergeHint"), "data-testid": "triage-merge-q", autocomplete: "off" });
    const mergeFound = h("div", { class: "merge-found", "data-testid": "triage-merge-found" });
    let mergeTarget = null;
    const mergeBtn = h("button", { type: "button", class: "primary", disabled: true, "data-testid": "triage-merge" }, t("queue.merge"));
    const findMerge = async () => {
      mergeTarget = null;
      mergeBtn.disabled = true;
      const text = mergeQ.value.trim();
      if (!text) { mergeFound.replaceChildren(); return; }
      try {
        const target = await api.get(`/api/cases/lookup${qs({ q: text })}`);
        if (target.id === c.id) throw new Error("self");
        mergeTarget = target;
        mergeBtn.disabled = false;
        mergeFound.replaceChildren(h("b", {}, target.reference || "—"), " · ", caseTitle(dir, target), " · ",
          t(`state.${target.state}`), " · ", data(gridName(dir, target.grid_code)));
      } catch {
        mergeFound.replaceChildren(h("span", { class: "error" }, t("queue.mergeNone")));
      }
    };
    mergeQ.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); findMerge(); } });

    // reject: a reason is required
    const rejectReason = h("input", { name: "reason", placeholder: t("queue.rejectHint"), "data-testid": "triage-reason" });
    const rejectBtn = h("button", { type: "button", class: "danger", "data-testid": "triage-reject" }, t("queue.reject"));

    const mapEl = h("div", { class: "triage-map", "data-testid": "triage-map" });
    detail.replaceChildren(
      h("div", { class: "triage-head" },
        h("h3", {}, h("a", { href: `#/case/${c.id}` }, c.reference || "—"), " ", caseTitle(dir, c)),
        h("div", { class: "reasons" }, ...x.reasons.map(reasonChip))),
      h("div", { class: "triage-columns" },
        h("div", {},
          h("dl", { class: "facts" },
            h("dt", {}, t("case.category")), h("dd", {}, categoryText(dir, c.category_code, c)),
            h("dt", {}, t("cases.source")), h("dd", {}, t(`source.${c.source || "device"}`)),
            h("dt", {}, t("cases.reported")), h("dd", {}, `${timeOf(c.created_at)} · ${ageText(c.created_at)}`),
            h("dt", {}, t("case.level")), h("dd", {}, h("i", { class: "dot", style: `background:${LEVEL_COLOURS[c.level]}` }), t(`level.${c.level}`),
              c.severity ? ` · ${t(`severity.${c.severity}`)}` : ""),
            h("dt", {}, t("queue.position")), h("dd", {}, c.lat != null
              ? `${c.lat.toFixed(5)}, ${c.lon.toFixed(5)}${c.accuracy_m != null ? ` · ±${Math.round(c.accuracy_m)} m` : ""}` : t("case.none")),
            h("dt", {}, t("case.note")), h("dd", {}, data(c.note))),
          h("div", { class: "triage-actions" },
            h("fieldset", {}, h("legend", {}, t("queue.fileTitle")),
              h("label", {}, t("case.grid"), gridSelect), h("label", {}, t("case.category"), catSelect),
              h("label", {}, t("case.note"), fileNote), fileBtn),
            h("fieldset", {}, h("legend", {}, t("queue.mergeTitle")),
              h("div", { class: "inline" }, mergeQ, h("button", { type: "button", onclick: findMerge, "data-testid": "triage-merge-find" }, t("queue.find"))),
              mergeFound, mergeBtn),
            h("fieldset", {}, h("legend", {}, t("queue.rejectTitle")),
              h("label", {}, t("case.reason"), rejectReason), rejectBtn))),
        mapEl));

    // the map: candidates strong, the others faint, the report and its accuracy circle
    view = createMiniMap(mapEl, ctx.config);
    const geometries = new Map([...dir.grids.values()].map((g) => [g.code, { code: g.code, name: g.name, geometry: g.geometry }]));
    for (const g of candidates) {
      geometries.set(g.grid_code, { code: g.grid_code, name: g.grid_name || gridName(dir, g.grid_code),
                                    geometry: g.geometry || geometries.get(g.grid_code)?.geometry, share: g.share });
    }
    const drawGrids = () => view.setGrids([...geometries.values()], { chosen: chosenGrid, candidates: candidateCodes,
      onGridClick: (code) => {
        if (!dir.grids.has(code) && !fileable.some((g) => g.grid_code === code)) return; // not yours to file into
        chosenGrid = code; gridSelect.value = code; drawGrids();
      } });
    drawGrids();
    view.setPoint(c.lat, c.lon, c.accuracy_m);
    const focus = candidates.map((g) => g.grid_code).filter((code) => geometries.get(code)?.geometry);
    view.fit(c.lat != null ? [[c.lat, c.lon]] : [], focus.length ? focus : null);
    gridSelect.addEventListener("change", () => { chosenGrid = gridSelect.value; drawGrids(); });

    const act = async (body, { title, text, danger = false, ok }) => {
      if (!(await confirmDialog({ title, text, danger, ok }))) return;
      try {
        const done = await api.post(`/api/cases/${c.id}/triage`, { ...body, expected_version: c.version });
        toast(t(`queue.done_${body.action}`, { ref: done?.reference || c.reference || "" }), "ok");
        noticeToasts(done);
        window.__gridline.refreshTriageCount?.();
        await load();
      } catch (err) {
        toast(`${t("queue.failed")}: ${errorText(err)}`, "error");
        if (err.status === 409) await load();
      }
    };
    fileBtn.addEventListener("click", () => {
      if (!gridSelect.value) { toast(t("queue.pickGrid"), "error"); return; }
      act({ action: "file", grid_code: gridSelect.value, category_code: catSelect.value, note: fileNote.value.trim() }, {
        title: t("queue.confirmFile"), ok: t("queue.file"),
        text: t("queue.confirmFileText", { ref: c.reference || "", grid: gridName(dir, gridSelect.value),
                                            category: categoryText(dir, catSelect.value) }) });
    });
    mergeBtn.addEventListener("click", () => {
      if (!mergeTarget) return;
      act({ action: "merge", merge_into: mergeTarget.id }, {
        title: t("queue.confirmMerge"), ok: t("queue.merge"),
        text: t("queue.confirmMergeText", { ref: c.reference || "", into: mergeTarget.reference || mergeTarget.id }) });
    });
    rejectBtn.addEventListener("click", () => {
      const reason = rejectReason.value.trim();
      if (!reason) { rejectReason.focus(); toast(t("queue.needReason"), "error"); return; }
      act({ action: "reject", reason }, { title: t("queue.confirmReject"), ok: t("queue.reject"), danger: true,
                                          text: t("queue.confirmRejectText", { ref: c.reference || "" }) });
    });
  }

  // A new report may join the queue: say so rather than move the list under the operator's hand.
  const off = onLive("case", throttle(() => { if (!stale) { stale = true; refresh.hidden = false; } }, 1000));
  await load();
  return () => { off(); if (view) view.destroy(); };
}
