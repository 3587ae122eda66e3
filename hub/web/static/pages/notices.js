// 居务公开: notices for the kiosks of a grid, a community or the whole scope. The list (pinned first, then newest)
// shows each notice's category, target, state, version and what the kiosks did with its current version
// ("5 台终端 · 5 已送达 · 3 已显示"); a notice opens beside it with its text, images, versions and one row per kiosk.
// The form publishes (now or later, until an expiry) and amends (version n+1, same notice); withdrawing asks first.
// Titles, texts, names and device ids are data (translate="no").
import { api } from "../api.js";
import { h } from "../dom.js";
import { t, timeOf } from "../i18n.js";
import { photoBase64 } from "./create.js";
import { confirmDialog, data, directory, errorText, toast } from "../ui.js";

const CATEGORIES = ["affairs", "finance", "services", "procedures", "topics", "general"];
const MAX_IMAGES = 3;
const POLL_MS = 3000; // the counts move as kiosks confirm

export function countsText(c) {
  return t("ntc.counts", { kiosks: c.kiosks, delivered: c.delivered, shown: c.shown });
}

// <input type="datetime-local"> speaks local time without a zone; the API wants an aware ISO time.
const toLocalInput = (iso) => {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);

/** Where a notice can go: the operator's scope, each community under it, each grid. */
function targets(ctx, dir) {
  const code = ctx.me.scope_code;
  const grids = [...dir.grids.values()].sort((a, b) => a.code.localeCompare(b.code));
  const scopeName = ctx.me.scope_name || grids.find((g) => g.parent === code)?.parent_name
    || grids.find((g) => g.code === code)?.name || code;
  const out = new Map([[code, `${t("ntc.wholeScope")} · ${scopeName}`]]);
  for (const g of grids) if (g.parent && !out.has(g.parent)) out.set(g.parent, g.parent_name || g.parent);
  for (const g of grids) if (!out.has(g.code)) out.set(g.code, `　${g.name || g.code}`);
  return out;
}

export async function mount(root, ctx) {
  const dir = await directory();
  const acting = ctx.me.role !== "viewer";
  let listState = "live";
  let selected = null; // the opened notice (detail)
  let editing = null; // the notice being amended, or null for a new one
  const images = []; // {value: base64 or a kept sha256, url}

  // -- the list -------------------------------------------------------------------------------------------------
  const tabs = h("div", { class: "chips", role: "tablist" });
  const listBody = h("tbody");
  const empty = h("p", { class: "muted", "data-testid": "notices-empty", hidden: true }, t("ntc.empty"));
  const newButton = h("button", { type: "button", class: "primary", "data-testid": "notice-new", hidden: !acting,
                                  onclick: () => openForm(null) }, `+ ${t("ntc.new")}`);
  const listPanel = h("section", { class: "panel notices-list" },
    h("div", { class: "notices-head" }, h("h2", {}, t("ntc.title")), tabs, newButton),
    h("table", { class: "cases notices", "data-testid": "notices" },
      h("thead", {}, h("tr", {}, ...["ntc.category", "ntc.noticeTitle", "ntc.target", "ntc.state", "ntc.version",
                                     "ntc.delivery", "ntc.publishAt"].map((k) => h("th", {}, t(k))))), listBody),
    empty);

  function drawTabs() {
    tabs.replaceChildren(...["live", "history"].map((s) => h("button", {
      type: "button", class: `chip${s === listState ? " on" : ""}`, "data-testid": `notices-tab-${s}`,
      onclick: () => { listState = s; drawTabs(); loadList(); } }, t(`ntc.tab.${s}`))));
  }

  function drawList(items) {
    empty.hidden = items.length > 0;
    listBody.replaceChildren(...items.map((n) => h("tr", {
      dataset: { notice: n.id }, class: n.id === selected?.id ? "selected" : "", onclick: () => openNotice(n.id) },
      h("td", {}, n.pinned ? h("span", { class: "badge pinned" }, t("ntc.pinned")) : null,
        h("span", { class: `badge ntc-cat ${n.category}` }, t(`notice.${n.category}`))),
      h("td", { class: "title" }, data(n.title)),
      h("td", {}, data(n.target_name, { title: n.target_code })),
      h("td", {}, h("span", { class: `badge ntc-state ${n.state}` }, t(`ntc.state.${n.state}`))),
      h("td", {}, `v${n.version}`),
      h("td", { class: "ntc-counts", "data-testid": "notice-counts" }, countsText(n.counts)),
      h("td", {}, timeOf(n.publish_at)))));
  }

  async function loadList() {
    drawList(await api.get(`/api/notices?state=${listState}`));
  }

  // -- one notice -----------------------------------------------------------------------------------------------
  const side = h("section", { class: "panel notices-side", "data-testid": "notice-side" });

  function drawDetail(n) {
    const kiosks = new Map(); // device → its rows, newest version first
    for (const d of n.deliveries) (kiosks.get(d.device_id) || kiosks.set(d.device_id, []).get(d.device_id)).push(d);
    const rows = [...kiosks.entries()].map(([device, ds]) => {
      const pub = ds.filter((d) => d.action === "publish").sort((a, b) => b.version - a.version)[0];
      const back = ds.find((d) => d.action === "withdraw");
      const state = back ? (back.delivered_at ? "withdrawn" : "withdrawing")
        : pub?.version !== n.version ? "old" : pub.shown_at ? "shown" : pub.delivered_at ? "delivered" : "queued";
      return h("tr", { dataset: { device } }, h("td", { translate: "no" }, device), h("td", {}, pub ? `v${pub.version}` : "—"),
        h("td", {}, h("span", { class: `badge ntc-dl ${state}` }, t(`ntc.dl.${state}`))),
        h("td", {}, timeOf(pub?.delivered_at)), h("td", {}, timeOf(pub?.shown_at)));
    });
    const live = n.state === "published" || n.state === "scheduled";
    side.replaceChildren(...[ // DOM's replaceChildren would write a null as the text "null": left out
      h("div", { class: "notices-head" }, h("h2", {}, data(n.title)),
        acting && live ? h("button", { type: "button", "data-testid": "notice-amend", onclick: () => openForm(n) }, t("ntc.amend")) : null,
        acting && live ? h("button", { type: "button", class: "danger-outline", "data-testid": "notice-withdraw",
                                       onclick: () => withdraw(n) }, t("ntc.withdraw")) : null),
      h("p", { class: "muted" }, t(`notice.${n.category}`), " · ", data(n.target_name), " · ",
        t(`ntc.state.${n.state}`), ` · v${n.version} · `, t("ntc.publishAt"), " ", timeOf(n.publish_at),
        n.expires_at ? ` · ${t("ntc.expiresAt")} ${timeOf(n.expires_at)}` : ""),
      h("p", { class: "ntc-counts big", "data-testid": "notice-detail-counts" }, countsText(n.counts)),
      h("div", { class: "ntc-text", translate: "no" }, n.text),
      h("div", { class: "ntc-images" }, ...n.images.map((i) => h("img", { src: `data:image/jpeg;base64,${i.jpeg_b64}`, alt: "" }))),
      h("h3", {}, t("ntc.perKiosk")),
      h("table", { class: "devices", "data-testid": "notice-kiosks" },
        h("thead", {}, h("tr", {}, ...["ntc.kiosk", "ntc.version", "ntc.dlState", "ntc.deliveredAt", "ntc.shownAt"]
          .map((k) => h("th", {}, t(k))))), h("tbody", {}, ...rows)),
      rows.length ? null : h("p", { class: "muted" }, n.state === "scheduled" ? t("ntc.notYet") : t("ntc.noKiosks")),
      h("h3", {}, t("ntc.versions")),
      h("ul", { class: "ntc-versions" }, ...n.versions.map((v) => h("li", {}, `v${v.version} · ${timeOf(v.created_at)} · `,
        data(v.title))))].filter(Boolean));
  }

  async function openNotice(id) {
    editing = null;
    selected = await api.get(`/api/notices/${id}`);
    drawDetail(selected);
    for (const tr of listBody.querySelectorAll("tr")) tr.classList.toggle("selected", tr.dataset.notice === id);
  }

  async function withdraw(n) {
    const ok = await confirmDialog({ title: t("ntc.withdrawTitle"), text: t("ntc.withdrawText", { n: n.counts.kiosks }),
                                     ok: t("ntc.withdraw"), danger: true });
    if (!ok) return;
    try {
      selected = await api.post(`/api/notices/${n.id}/withdraw`, {});
      toast(t("ntc.withdrawn"));
      drawDetail(selected);
      await loadList();
    } catch (err) {
      toast(`${t("ntc.failed")}: ${errorText(err)}`, "error");
    }
  }

  // -- the form: publish or amend ---------------------------------------------------------------------------------
  function openForm(n) {
    editing = n;
    selected = null;
    images.splice(0, images.length, ...(n ? n.images.map((i) => ({ value: i.sha256, url: `data:image/jpeg;base64,${i.jpeg_b64}` })) : []));
    const title = h("input", { name: "title", required: true, maxlength: 128, value: n?.title || "", "data-testid": "notice-title" });
    const text = h("textarea", { name: "text", rows: 6, maxlength: 4000, "data-testid": "notice-text" }, n?.text || "");
    const category = h("select", { name: "category", "data-testid": "notice-category" },
      ...CATEGORIES.map((c) => h("option", { value: c, selected: c === (n?.category || "affairs") }, t(`notice.${c}`))));
    const target = h("select", { name: "target", "data-testid": "notice-target" },
      ...[...targets(ctx, dir)].map(([code, name]) => h("option", { value: code, selected: code === (n?.target_code || ctx.me.scope_code),
                                                                    translate: "no", class: "data" }, name)));
    const pinned = h("input", { type: "checkbox", name: "pinned", checked: !!n?.pinned, "data-testid": "notice-pinned" });
    const later = h("input", { type: "datetime-local", name: "publish_at", value: n?.state === "scheduled" ? toLocalInput(n.publish_at) : "" });
    const expires = h("input", { type: "datetime-local", name: "expires_at", value: toLocalInput(n?.expires_at), "data-testid": "notice-expires" });
    const thumbs = h("div", { class: "create-thumbs" });
    const fileInput = h("input", { type: "file", accept: "image/*", multiple: true, "data-testid": "notice-images" });
    const drawThumbs = () => thumbs.replaceChildren(...images.map((img, i) => h("span", { class: "thumb" },
      h("img", { src: img.url, alt: "" }),
      h("button", { type: "button", class: "remove", "aria-label": t("ntc.removeImage"),
                    onclick: () => { images.splice(i, 1); drawThumbs(); } }, "×"))));
    fileInput.addEventListener("change", async () => {
      for (const file of [...fileInput.files].slice(0, MAX_IMAGES - images.length)) {
        const made = await photoBase64(file);
        images.push({ value: made.base64, url: made.url });
      }
      fileInput.value = "";
      drawThumbs();
    });
    drawThumbs();
    const error = h("p", { class: "error", "data-testid": "notice-error" });
    const form = h("form", { class: "notice-form", "data-testid": "notice-form" },
      h("h2", {}, n ? t("ntc.amendTitle", { v: n.version + 1 }) : t("ntc.new")),
      h("label", {}, t("ntc.noticeTitle"), title),
      h("div", { class: "row" }, h("label", {}, t("ntc.category"), category), h("label", {}, t("ntc.target"), target)),
      h("label", {}, t("ntc.text"), text),
      h("div", { class: "row" }, h("label", {}, t("ntc.publishLater"), later), h("label", {}, t("ntc.expiresAt"), expires),
        h("label", { class: "check" }, pinned, t("ntc.pin"))),
      h("div", { class: "row" }, h("label", { class: "button file-button" }, `+ ${t("ntc.addImages")}`, fileInput),
        h("span", { class: "muted" }, t("ntc.imagesHint", { n: MAX_IMAGES }))),
      thumbs, error,
      h("div", { class: "buttons" },
        h("button", { type: "button", onclick: () => (n ? openNotice(n.id) : side.replaceChildren(hint())) }, t("case.cancel")),
        h("button", { type: "submit", class: "primary", "data-testid": "notice-submit" }, n ? t("ntc.publishAmend") : t("ntc.publish"))));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.textContent = "";
      const body = { title: title.value.trim(), text: text.value, category: category.value, target_code: target.value,
                     pinned: pinned.checked, publish_at: fromLocalInput(later.value), expires_at: fromLocalInput(expires.value),
                     images: images.map((i) => i.value) };
      try {
        const saved = n ? await api.put(`/api/notices/${n.id}`, { ...body, expected_version: n.version })
          : await api.post("/api/notices", body);
        toast(n ? t("ntc.amended", { v: saved.version }) : t("ntc.published", { n: saved.counts.kiosks }));
        editing = null;
        await loadList();
        await openNotice(saved.id);
      } catch (err) {
        error.textContent = errorText(err);
      }
    });
    side.replaceChildren(form);
    title.focus();
  }

  const hint = () => h("p", { class: "muted" }, acting ? t("ntc.pick") : t("ntc.pickViewer"));

  root.append(h("div", { class: "notices-page" }, listPanel, side));
  side.append(hint());
  drawTabs();
  await loadList();
  const timer = setInterval(async () => {
    try {
      await loadList();
      if (selected && !editing) {
        selected = await api.get(`/api/notices/${selected.id}`);
        drawDetail(selected);
      }
    } catch { /* the next tick tries again */ }
  }, POLL_MS);
  return () => clearInterval(timer);
}
