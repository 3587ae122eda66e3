// 终端设备: every terminal with presence, last contact, outbox, battery, app version and clock skew; a device
// silent for longer than the stale limit turns visibly stale even while the broker still says "online"; a revoked
// one shows 已吊销 / revoked from the moment it is revoked, whatever it still sends. Units and
// owners by name (the unit's code on hover); names are data (translate="no").
//
// Administrators also manage device identity here (hub/api/device_admin.py): add a device and get its one-time
// enrolment code with the QR and a printable A6 label, re-issue a code, revoke with a reason, clear a flag; each
// row shows the identity state and any flag. Everyone else sees the list only. The hub renders the QR into the
// answer that carries the code: the code is never stored in clear, so no later request could draw it again.
import { api } from "../api.js";
import { h } from "../dom.js";
import { dataText } from "../feed.js";
import { ago, getLang, t } from "../i18n.js";
import { onLive } from "../live.js";
import { confirmDialog, data, directory, errorText, toast } from "../ui.js";
import { labelView } from "./device_label.js";

const KINDS = ["kiosk", "tablet", "phone"];
const DEVICE_ID = "[a-z0-9][a-z0-9_\\-]{2,63}"; // protocol/topics.py DEVICE_ID_PATTERN

// "12/6 22:07": short enough for a table cell (the year is this one or the next).
function shortTime(iso) {
  return new Date(iso).toLocaleString(getLang() === "en" ? "en-GB" : "zh-CN",
                                      { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
}

function ensureStyles() {
  if (document.querySelector("link[data-devices-css]")) return;
  document.head.append(h("link", { rel: "stylesheet", href: new URL("./devices.css", import.meta.url).href, "data-devices-css": "" }));
}

/** An API refusal in the operator's language: the refusals this page expects by their code, the rest as usual. */
function refusal(err) {
  const code = err?.detail?.code;
  const own = code ? t(`devadm.err.${code}`) : null;
  return own && own !== `devadm.err.${code}` ? own : errorText(err);
}

// The units an admin may bind a device to, by name: the grids in scope and, above a grid scope, their communities.
function unitChoices(dir, me) {
  const grids = [...dir.grids.values()];
  const communities = new Map();
  if (!grids.some((g) => g.code === me.scope_code)) {
    for (const g of grids) if (g.parent) communities.set(g.parent, g.parent_name || g.parent);
  }
  return [...[...communities].map(([code, name]) => ({ code, name, community: true })),
          ...grids.map((g) => ({ code: g.code, name: g.name || g.code, parent: g.parent, community: false }))];
}

function addForm(dir, me, onIssued) {
  const units = unitChoices(dir, me);
  const id = h("input", { name: "device_id", required: true, pattern: DEVICE_ID, maxlength: 64, autocomplete: "off",
                          placeholder: t("devadm.idHint"), "data-testid": "add-device-id" });
  const kind = h("select", { name: "kind", "data-testid": "add-kind" }, ...KINDS.map((k) => h("option", { value: k }, t(`kind.${k}`))));
  const unit = h("select", { name: "unit_code", required: true, "data-testid": "add-unit" },
    ...units.map((u) => h("option", { value: u.code, translate: "no", title: u.code }, u.community ? `${u.name} · ${t("devadm.community")}` : u.name)));
  const owner = h("select", { name: "owner_person_id", "data-testid": "add-owner" });
  const error = h("p", { class: "error", "data-testid": "add-error" });
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "add-submit" }, t("devadm.submit"));
  // The owner is someone working in the chosen unit (the hub refuses anyone else).
  const fillOwners = () => {
    const chosen = units.find((u) => u.code === unit.value);
    const inside = (p) => p.unit === unit.value || (chosen?.community && dir.grids.get(p.unit)?.parent === unit.value);
    owner.replaceChildren(h("option", { value: "" }, t("devadm.noOwner")),
      ...[...dir.people.values()].filter(inside).map((p) => h("option", { value: p.id, translate: "no" }, p.name)));
  };
  unit.addEventListener("change", fillOwners);
  fillOwners();
  const form = h("form", { class: "device-add", "data-testid": "add-device" },
    h("label", {}, t("devadm.deviceId"), id), h("label", {}, t("dev.kind"), kind),
    h("label", {}, t("devadm.unit"), unit), h("label", {}, t("devadm.owner"), owner), submit, error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      const issued = await api.post("/api/devices", { device_id: id.value.trim(), kind: kind.value, unit_code: unit.value,
                                                       owner_person_id: owner.value || null });
      onIssued(issued, { kind: kind.value, unit: unit.value, owner: owner.value || null });
      id.value = "";
    } catch (err) {
      error.textContent = refusal(err);
    } finally {
      submit.disabled = false;
    }
  });
  // A device the hub knows (bound, never registered): its id, kind and unit as they are.
  const prefill = (d) => {
    id.value = d.id;
    if (KINDS.includes(d.kind)) kind.value = d.kind;
    if (units.some((u) => u.code === d.unit)) { unit.value = d.unit; fillOwners(); }
    if (d.owner && [...owner.options].some((o) => o.value === d.owner)) owner.value = d.owner;
    id.focus();
  };
  return { form, prefill };
}

export async function mount(root, ctx) {
  ensureStyles();
  const admin = ctx?.me?.role === "admin";
  const summary = h("p", { class: "muted", "data-testid": "device-summary" });
  const body = h("tbody");
  const cols = ["dev.id", "dev.kind", "dev.unit", "dev.owner", "dev.state", "dev.lastSeen", "dev.outbox", "dev.photos",
                "dev.battery", "dev.version", "dev.skew", ...(admin ? ["devadm.identity", "devadm.flag", "devadm.actions"] : [])];
  const OPTIONAL = new Set(["dev.photos", "dev.version", "dev.skew"]); // give way to the admin columns on narrow screens
  const labelPanel = h("section", { class: "panel label-panel", "data-testid": "label-panel", hidden: true });
  const list = h("section", { class: "panel" }, h("h2", {}, t("dev.title")), summary,
    h("div", { class: "table-scroll" }, h("table", { class: `devices${admin ? " admin" : ""}`, "data-testid": "devices" },
      h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { class: OPTIONAL.has(c) ? "opt" : null }, t(c))))), body)));
  let presence = { devices: [], stale_after_s: 180, now: new Date().toISOString() };
  let identities = new Map();
  let offset = 0;
  let dir = null;
  let adder = null;

  if (admin) {
    dir = await directory();
    adder = addForm(dir, ctx.me, (issued, extra) => showLabel(issued, extra));
    root.append(h("section", { class: "panel device-admin", "data-testid": "device-admin" },
      h("h2", {}, t("devadm.addTitle")), adder.form));
  }
  root.append(labelPanel, list);

  function showLabel(issued, { kind, unit, owner }) {
    const ownerName = owner ? dir?.people.get(owner)?.name || owner : null;
    const unitName = dir?.grids.get(unit)?.name || [...(dir?.grids.values() || [])].find((g) => g.parent === unit)?.parent_name || unit;
    const print = h("button", { type: "button", class: "primary", "data-testid": "print-label", onclick: printLabel }, t("devadm.print"));
    const close = h("button", { type: "button", "data-testid": "close-label", onclick: () => { labelPanel.hidden = true; labelPanel.replaceChildren(); } }, t("ui.close"));
    labelPanel.replaceChildren(
      h("div", { class: "label-head" }, h("h2", {}, t("devadm.issued")), h("p", { class: "muted" }, t("devadm.once")), h("div", { class: "buttons" }, print, close)),
      labelView({ ...issued, kind, unitName, ownerName }));
    labelPanel.hidden = false;
    labelPanel.scrollIntoView({ block: "nearest" });
    load();
  }

  function printLabel() {
    document.body.classList.add("print-label");
    const done = () => { document.body.classList.remove("print-label"); window.removeEventListener("afterprint", done); };
    window.addEventListener("afterprint", done);
    window.print(); // the class only matters to print media: left over, it changes nothing on screen
  }

  async function reissue(row) {
    if (!await confirmDialog({ title: t("devadm.reissueTitle", { id: row.id }), text: t("devadm.reissueText"), ok: t("devadm.reissue") })) return;
    try {
      const issued = await api.post(`/api/devices/${encodeURIComponent(row.id)}/enrollment-code`);
      const known = identities.get(row.id);
      showLabel(issued, { kind: row.kind || known?.kind, unit: row.unit || known?.unit_code,
                          owner: row.owner || known?.owner_person_id });
    } catch (err) { toast(refusal(err), "error"); }
  }

  async function revoke(row) {
    const reason = h("textarea", { rows: 2, maxlength: 500, placeholder: t("devadm.reasonHint"), "data-testid": "revoke-reason" });
    const ok = await confirmDialog({ title: t("devadm.revokeTitle", { id: row.id }), text: t("devadm.revokeText"),
                                     body: h("label", { class: "dialog-field" }, t("devadm.reason"), reason), ok: t("devadm.revoke"), danger: true });
    if (!ok) return;
    try {
      await api.post(`/api/devices/${encodeURIComponent(row.id)}/revoke`, { reason: reason.value.trim() });
      toast(t("devadm.revoked", { id: row.id }));
    } catch (err) { toast(refusal(err), "error"); }
    load();
  }

  async function clearFlag(row) {
    if (!await confirmDialog({ title: t("devadm.clearTitle", { id: row.id }), text: t("devadm.clearText"), ok: t("devadm.clearFlag") })) return;
    try {
      await api.del(`/api/devices/${encodeURIComponent(row.id)}/flag`);
      toast(t("devadm.flagCleared"));
    } catch (err) { toast(refusal(err), "error"); }
    load();
  }

  function adminCells(d) {
    const who = identities.get(d.id);
    const state = who ? who.state : "none";
    const identity = h("td", { "data-testid": "identity", dataset: { state } },
      h("span", { class: `badge id-${state}` }, t(`devadm.id.${state}`)),
      who?.state === "pending" && who.enroll_expires_at
        ? h("div", { class: "small muted" }, t("devadm.validUntil", { t: shortTime(who.enroll_expires_at) })) : null,
      who?.state === "revoked" && who.revoke_reason ? h("div", { class: "small muted" }, data(who.revoke_reason)) : null);
    const f = who?.flag;
    const flagLabel = f ? t(`devadm.flag.${f.reason}`) : null;
    const flag = h("td", { "data-testid": "flag" }, f
      ? h("span", { class: "badge flagged", title: f.detail, dataset: { reason: f.reason } },
        flagLabel === `devadm.flag.${f.reason}` ? f.reason : flagLabel, ` · ${t("devadm.flagCount", { n: f.count })}`) : "—");
    const buttons = [];
    if (who) {
      buttons.push(h("button", { type: "button", class: "small", "data-testid": "reissue", onclick: () => reissue(d) }, t("devadm.reissue")));
      if (who.state !== "revoked") buttons.push(h("button", { type: "button", class: "small danger-outline", "data-testid": "revoke", onclick: () => revoke(d) }, t("devadm.revoke")));
      if (f) buttons.push(h("button", { type: "button", class: "small", "data-testid": "clear-flag", onclick: () => clearFlag(d) }, t("devadm.clearFlag")));
    } else if (d.unit) {
      buttons.push(h("button", { type: "button", class: "small", "data-testid": "register", onclick: () => adder?.prefill(d) }, t("devadm.register")));
    }
    return [identity, flag, h("td", {}, h("div", { class: "device-actions" }, ...buttons))];
  }

  function draw() {
    const now = Date.now() - offset;
    let on = 0, stale = 0, cut = 0;
    const rows = presence.devices.map((d) => {
      // Revoked by an admin: said at once and kept so whatever the device still sends (hub/devices/identities.py).
      const revoked = d.state === "revoked";
      // A terminal the hub has never heard from is "never connected", not "lost": nothing was there to lose.
      const never = !revoked && !d.last_seen && d.state !== "online";
      // Just come online (its status arrived, no record yet): silent since that status, not since never.
      const seen = d.last_seen || (d.state === "online" ? d.status_at : null);
      const silent = seen ? (now - Date.parse(seen)) / 1000 : Infinity;
      const isStale = !never && !revoked && silent > presence.stale_after_s;
      if (d.state === "online" && !isStale) on += 1;
      if (isStale) stale += 1;
      if (revoked) cut += 1;
      const shown = revoked ? "revoked" : never ? "never" : d.state;
      const state = revoked ? t("dev.revoked") : never ? t("dev.never") : d.state === "online" ? t("map.online") : t("map.offline");
      const skew = d.clock_skew_ms == null ? "—" : `${(d.clock_skew_ms / 1000).toFixed(1)} s`;
      return h("tr", { class: `${d.state}${isStale ? " stale" : ""}${(d.battery_pct ?? 100) < 20 ? " low" : ""}`, dataset: { device: d.id } },
        h("td", { translate: "no" }, d.id), h("td", {}, d.kind ? t(`kind.${d.kind}`) : "—"),
        h("td", { class: "unit", title: d.unit || "" }, d.unit ? dataText(d.unit_name || d.unit) : t("dev.unbound")),
        h("td", {}, dataText(d.owner_name) || "—"),
        h("td", { "data-testid": "presence", dataset: { state: isStale ? "stale" : shown } },
          h("span", { class: `badge ${shown}` }, state), isStale ? h("span", { class: "badge stale" }, t("dev.stale")) : null),
        h("td", {}, ago(d.last_seen, now)), h("td", { class: (d.outbox_depth || 0) > 50 ? "warn" : "" }, d.outbox_depth ?? "—"),
        h("td", { class: "opt" }, d.photos_pending ?? "—"), h("td", {}, d.battery_pct == null ? "—" : `${Math.round(d.battery_pct)}%`),
        h("td", { class: "opt" }, d.app_version || "—"), h("td", { class: Math.abs(d.clock_skew_ms || 0) > 60000 ? "opt warn" : "opt" }, skew),
        ...(admin ? adminCells(d) : []));
    });
    body.replaceChildren(...rows);
    summary.textContent = t("dev.summary", { n: presence.devices.length, on, stale }) + (cut ? t("dev.summaryRevoked", { n: cut }) : "");
  }

  const load = async () => {
    const [answer, ids] = await Promise.all([api.get("/api/map/devices"),
                                               admin ? api.get("/api/device-identities") : Promise.resolve([])]);
    presence = answer;
    identities = new Map(ids.map((i) => [i.device_id, i]));
    offset = Date.now() - Date.parse(presence.now); // judge staleness on the hub's clock
    draw();
  };
  const off = onLive("device", load);
  const timer = setInterval(load, 10000);
  const redraw = setInterval(draw, 5000);
  await load();
  return () => { off(); clearInterval(timer); clearInterval(redraw); document.body.classList.remove("print-label"); };
}
