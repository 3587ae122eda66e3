// 新建案件: the control room opens a case itself - a phone call, a walk-in, the hotline, a patrol's word. Where:
// a click on the map (the grid it falls in is picked with it) or a grid chosen from the list; what: a category by
// name and how urgent; a note; photos from this computer (large ones resized here before they are sent). The new
// case's page opens with its reference.
import { api } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { contains, createMiniMap } from "../minimap.js";
import { categoryOptions, confirmDialog, directory, errorText, noticeToasts, toast } from "../ui.js";

const SOURCES = ["phone", "walk_in", "hotline", "patrol"];
const SEVERITIES = ["low", "normal", "high", "urgent"];
const MAX_PHOTOS = 6;
const MAX_SIDE = 1600; // px: a phone's 4000 px photo is cut to this before upload
const MAX_RAW_BYTES = 600 * 1024; // smaller JPEGs within MAX_SIDE go as they are

/** A File as base64 JPEG/PNG, scaled so its longer side is at most MAX_SIDE (and re-encoded when large). */
export async function photoBase64(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  let blob = file;
  if (scale < 1 || file.size > MAX_RAW_BYTES || !/^image\/(jpeg|png)$/.test(file.type)) {
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  }
  bitmap.close?.();
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { base64: btoa(text), size: bytes.length, url: URL.createObjectURL(blob) };
}

export async function mount(root, ctx) {
  const dir = await directory({ fresh: true });
  let position = null; // {lat, lon}
  const photos = []; // {base64, size, url, name}

  const radio = (name, values, label, chosen) => h("div", { class: "segmented", role: "radiogroup", "aria-label": t(label) },
    ...values.map((v) => h("label", { class: "seg" },
      h("input", { type: "radio", name, value: v, checked: v === chosen }), h("span", {}, t(`${name}.${v}`)))));
  const sourceGroup = radio("source", SOURCES, "create.source", "phone");
  const severityGroup = radio("severity", SEVERITIES, "create.urgency", "normal");
  const category = h("select", { name: "category", required: true, "data-testid": "create-category" },
    h("option", { value: "", selected: true, disabled: true }, t("create.pickCategory")), ...categoryOptions(dir, null));
  const grid = h("select", { name: "grid", "data-testid": "create-grid" },
    h("option", { value: "" }, t("create.gridFromMap")),
    ...[...dir.grids.values()].sort((a, b) => a.code.localeCompare(b.code))
      .map((g) => h("option", { value: g.code, translate: "no", class: "data" }, g.name || g.code)));
  const where = h("p", { class: "muted where", "data-testid": "create-where" }, t("create.clickMap"));
  const address = h("input", { name: "address", placeholder: t("create.addressHint"), maxlength: 200 });
  const note = h("textarea", { name: "note", rows: 3, required: true, maxlength: 1000, placeholder: t("create.noteHint"),
                               "data-testid": "create-note" });
  const fileInput = h("input", { type: "file", accept: "image/*", multiple: true, name: "photos", "data-testid": "create-photos" });
  const fileButton = h("label", { class: "button file-button" }, `+ ${t("create.addPhotos")}`, fileInput);
  const thumbs = h("div", { class: "create-thumbs" });
  const submit = h("button", { type: "submit", class: "primary big", "data-testid": "create-submit" }, t("create.submit"));
  const error = h("p", { class: "error", "data-testid": "create-error" });
  const clearPoint = h("button", { type: "button", hidden: true, onclick: () => pick(null) }, t("create.clearPoint"));
  const mapEl = h("div", { class: "create-map", "data-testid": "create-map" });

  const form = h("form", { class: "create-form", "data-testid": "create-form" },
    h("label", { class: "wide" }, t("create.source"), sourceGroup),
    h("label", {}, t("case.category"), category),
    h("label", {}, t("create.urgency"), severityGroup),
    h("label", {}, t("case.grid"), grid),
    h("label", {}, t("create.address"), address),
    h("div", { class: "inline wide" }, where, clearPoint),
    h("label", { class: "wide" }, t("case.note"), note),
    h("div", { class: "inline wide photos-row" }, h("b", {}, t("create.photos")), fileButton,
      h("span", { class: "muted small" }, t("create.photosHint", { n: MAX_PHOTOS }))),
    h("div", { class: "wide" }, thumbs), h("div", { class: "wide" }, error), h("div", { class: "buttons wide" }, submit));
  root.append(h("section", { class: "panel create-page", "data-testid": "create-page" },
    h("h2", {}, t("create.title")), h("div", { class: "create-columns" }, form, h("div", { class: "create-map-box" }, mapEl))));

  const view = createMiniMap(mapEl, ctx.config, { onClick: (lat, lon) => pick({ lat, lon }) });
  window.__gridline.createMap = view; // tests click on a known place
  const grids = [...dir.grids.values()].map((g) => ({ code: g.code, name: g.name, geometry: g.geometry }));
  const drawGrids = () => view.setGrids(grids, { chosen: grid.value || null, labelAll: true });
  drawGrids();
  view.fit();

  function pick(at) {
    position = at;
    view.setPoint(at?.lat, at?.lon, null);
    clearPoint.hidden = !at;
    if (at) {
      const inside = grids.find((g) => contains(g.geometry, at.lon, at.lat));
      grid.value = inside ? inside.code : "";
      where.replaceChildren(`${t("create.picked")} ${at.lat.toFixed(5)}, ${at.lon.toFixed(5)} · `,
        inside ? h("span", { translate: "no", class: "data" }, inside.name) : t("create.outside"));
    } else {
      where.textContent = t("create.clickMap");
    }
    drawGrids();
  }
  grid.addEventListener("change", () => {
    if (position && grid.value && !contains(dir.grids.get(grid.value)?.geometry, position.lon, position.lat)) pick(null);
    drawGrids();
  });

  fileInput.addEventListener("change", async () => {
    error.textContent = "";
    for (const file of [...fileInput.files]) {
      if (photos.length >= MAX_PHOTOS) { error.textContent = t("create.tooManyPhotos", { n: MAX_PHOTOS }); break; }
      try {
        photos.push({ ...(await photoBase64(file)), name: file.name });
      } catch {
        error.textContent = t("create.badPhoto");
      }
    }
    fileInput.value = "";
    drawThumbs();
  });
  function drawThumbs() {
    thumbs.replaceChildren(...photos.map((p, i) => h("figure", { class: "create-thumb" },
      h("img", { src: p.url, alt: "" }),
      h("figcaption", {}, `${Math.round(p.size / 1024)} KB`,
        h("button", { type: "button", title: t("create.removePhoto"), "aria-label": t("create.removePhoto"),
                      onclick: () => { URL.revokeObjectURL(p.url); photos.splice(i, 1); drawThumbs(); } }, "×")))));
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const src = form.querySelector("input[name=source]:checked")?.value;
    const severity = form.querySelector("input[name=severity]:checked")?.value;
    if (!category.value) { error.textContent = t("create.needCategory"); category.focus(); return; }
    if (!position && !grid.value) { error.textContent = t("create.needPlace"); return; }
    if (!note.value.trim()) { error.textContent = t("create.needNote"); note.focus(); return; }
    const body = { source: src, category_code: category.value, severity, note: note.value.trim(),
                   address: address.value.trim() || undefined, grid_code: grid.value || undefined,
                   photos: photos.length ? photos.map((p) => p.base64) : undefined };
    if (position) Object.assign(body, { lat: position.lat, lon: position.lon });
    if (severity === "urgent" && !(await confirmDialog({ title: t("create.confirmUrgent"), text: t("create.confirmUrgentText"),
                                                         ok: t("create.submit"), danger: true }))) return;
    submit.disabled = true;
    try {
      const created = await api.post("/api/cases", body);
      toast(t("create.done", { ref: created.reference || created.id }), "ok", 12000);
      noticeToasts(created); // joined an open case nearby, waits in triage, alarm raised ...
      ctx.navigate(`#/case/${created.id}`);
    } catch (err) {
      error.textContent = `${t("create.failed")}: ${errorText(err)}`;
      toast(`${t("create.failed")}: ${errorText(err)}`, "error");
      submit.disabled = false;
    }
  });

  return () => { delete window.__gridline.createMap; view.destroy(); for (const p of photos) URL.revokeObjectURL(p.url); };
}
