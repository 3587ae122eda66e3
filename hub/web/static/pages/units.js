// 单元网格 (admins): the unit tree of the admin's scope (city → district → street → community → grid → building)
// beside a map of its outlines. A unit picked in the tree (or a grid clicked on the map) shows its code and parent,
// renames, gets a new unit below it (a building's code is its grid's + the next serial unless one is typed), and -
// a grid - has its outline edited by dragging its corners: every drag asks the hub what the outline would mean
// (POST …/outline/check) and draws the overlaps with sibling grids (red) and the gaps left in the community (amber);
// saving refuses overlaps and keeps gaps as warnings (hub/org/outlines.py). A grid without an outline has its
// corners clicked on the map first. Corners snap onto a neighbouring grid's corners within SNAP_PX. GeoJSON comes in by file (GCJ-02 or
// BD-09 files converted by the hub when they say so) and goes out as a download of the scope.
// Names are data (translate="no"); screen texts come from units_text.js.
import { api } from "../api.js";
import { addBasemap, mapOptions } from "../basemap.js";
import { h } from "../dom.js";
import { onLive } from "../live.js";
import { data, errorText, toast } from "../ui.js";
import { say } from "./units_text.js";

const L = window.L;
const SNAP_PX = 10;
const BELOW = { city: "district", district: "street", street: "community", community: "grid", grid: "building" };
const STYLE = {
  grid: { color: "#1f6fe0", weight: 2, fillColor: "#1f6fe0", fillOpacity: 0.08 },
  selected: { color: "#0b3d91", weight: 3, fillColor: "#1f6fe0", fillOpacity: 0.22 },
  community: { color: "#6b7486", weight: 2, dashArray: "6 4", fill: false },
  overlap: { color: "#e0262b", weight: 2, fillColor: "#e0262b", fillOpacity: 0.45 },
  gap: { color: "#b86e00", weight: 2, dashArray: "4 3", fillColor: "#f0b400", fillOpacity: 0.45 },
};

// The page's stylesheet, loaded before the map is made (Leaflet measures its container once, at creation).
function ensureStyles() {
  if (document.querySelector("link[data-units-css]")) return Promise.resolve();
  return new Promise((resolve) => {
    const link = h("link", { rel: "stylesheet", href: new URL("./units.css", import.meta.url).href, "data-units-css": "" });
    link.addEventListener("load", resolve);
    link.addEventListener("error", resolve);
    document.head.append(link);
  });
}

const ring = (geometry) => (geometry?.type === "Polygon" ? geometry.coordinates[0] : null);

export async function mount(root, ctx) {
  await ensureStyles();
  if (ctx?.me?.role !== "admin") {
    root.append(h("section", { class: "panel", "data-testid": "units-admins-only" }, say("adminsOnly")));
    return () => {};
  }
  const fileInput = h("input", { type: "file", accept: ".geojson,.json,application/geo+json,application/json", "data-testid": "import-file" });
  const importBtn = h("button", { type: "button", "data-testid": "import" }, say("import"));
  const exportLink = h("a", { class: "button", href: "/api/units/export", download: "grids.geojson", "data-testid": "export" }, say("export"));
  const importReport = h("div", { class: "import-report", "data-testid": "import-report" });
  const tree = h("nav", { class: "units-tree", "data-testid": "unit-tree" });
  const detail = h("section", { class: "units-detail", "data-testid": "unit-detail" }, h("p", { class: "muted" }, say("select")));
  const mapEl = h("div", { class: "map", "data-testid": "units-map" });
  const key = (cls, label) => h("span", {}, h("i", { style: `border-color:${STYLE[cls].color};background:${STYLE[cls].fillColor || "transparent"}` }), label);
  const legend = h("div", { class: "units-legend" }, key("grid", say("legendGrid")), key("selected", say("legendSelected")),
                   key("overlap", say("legendOverlap")), key("gap", say("legendGap")));
  root.append(h("section", { class: "units-page" },
    h("aside", { class: "units-side" },
      h("div", { class: "units-tools" }, h("h2", {}, say("title")), importBtn, fileInput, exportLink), importReport, tree, detail),
    h("div", { class: "units-map-wrap" }, mapEl, legend)));

  const map = L.map(mapEl, { zoomSnap: 0.25, maxZoom: 19, zoomAnimation: false, fadeAnimation: false,
                             markerZoomAnimation: false, ...mapOptions(ctx.config) });
  const base = addBasemap(map, ctx.config);
  if (!base.tiles) mapEl.classList.add("no-tiles");
  map.setView([22.25, 113.52], 15);
  const outlines = L.layerGroup().addTo(map);
  const problems = L.layerGroup().addTo(map);
  const editing = L.layerGroup().addTo(map);
  const toLatLng = (c) => L.latLng(...base.show(c[1], c[0]));
  const toCoord = (ll) => { const [lat, lon] = base.store(ll.lat, ll.lng); return [+lon.toFixed(8), +lat.toFixed(8)]; };

  let units = [], byCode = new Map(), selected = null, edit = null, fitted = false, stopped = false;
  const layers = new Map(); // code -> polygon layer

  async function load() {
    units = await api.get("/api/units");
    if (stopped) return;
    byCode = new Map(units.map((u) => [u.code, u]));
    drawTree();
    drawOutlines();
    if (selected && byCode.has(selected)) select(selected, { keepView: true });
  }

  function children(code) { return units.filter((u) => u.parent_code === code); }

  function drawTree() {
    const roots = units.filter((u) => !u.parent_code || !byCode.has(u.parent_code));
    const node = (u) => h("li", { "data-code": u.code, "data-level": u.level },
      h("button", { type: "button", class: u.code === selected ? "selected" : null, "data-testid": "unit-node", onclick: () => select(u.code) },
        h("span", { class: "lv" }, say(`level.${u.level}`)), data(u.name), h("span", { class: "code", translate: "no" }, u.code)),
      children(u.code).length ? h("ul", {}, ...children(u.code).map(node)) : null);
    tree.replaceChildren(h("ul", {}, ...roots.map(node)));
  }

  function drawOutlines() {
    outlines.clearLayers();
    layers.clear();
    for (const u of units) {
      if (!u.geometry || !["grid", "community"].includes(u.level)) continue;
      const layer = L.geoJSON(u.geometry, { coordsToLatLng: toLatLng, style: () => STYLE[u.level] });
      layer.eachLayer((l) => {
        if (u.level === "grid") {
          l.bindTooltip(() => data(u.name), { sticky: true, className: "unit-label" });
          l.on("click", () => { if (!edit) select(u.code); });
        }
      });
      layer.addTo(outlines);
      layers.set(u.code, layer);
    }
    restyle();
    if (!fitted && layers.size) {
      map.fitBounds(L.featureGroup([...layers.values()]).getBounds(), { padding: [30, 30], animate: false });
      fitted = true;
    }
  }

  // The selected grid is named on the map (the others on hover: names of narrow grids would run into each other).
  const nameTag = L.tooltip({ permanent: true, direction: "center", className: "unit-label", interactive: false });
  function restyle() {
    for (const [code, layer] of layers) {
      const u = byCode.get(code);
      layer.setStyle(code === selected && u.level === "grid" ? STYLE.selected : STYLE[u.level]);
    }
    const chosen = byCode.get(selected);
    if (chosen?.level === "grid" && layers.has(selected)) {
      nameTag.setLatLng(layers.get(selected).getBounds().getCenter()).setContent(data(chosen.name));
      if (!map.hasLayer(nameTag)) nameTag.addTo(map);
    } else if (map.hasLayer(nameTag)) {
      map.removeLayer(nameTag);
    }
  }

  function showReport(report, list) {
    problems.clearLayers();
    list.replaceChildren();
    if (!report) return;
    for (const o of report.overlaps || []) {
      L.geoJSON(o.geometry, { coordsToLatLng: toLatLng, style: () => STYLE.overlap, interactive: false }).addTo(problems);
      const other = byCode.get(o.other)?.name || o.other;
      list.append(h("li", { class: "overlap", "data-testid": "overlap" },
        say("overlap", { other, share: `${(o.share * 100).toFixed(1)}%`, area: Math.round(o.area_m2) })));
    }
    for (const g of report.gaps || []) {
      L.geoJSON(g.geometry, { coordsToLatLng: toLatLng, style: () => STYLE.gap, interactive: false }).addTo(problems);
      list.append(h("li", { class: "gap", "data-testid": "gap" }, say("gap", { area: Math.round(g.area_m2) })));
    }
    if (!list.children.length) list.append(h("li", { class: "ok-line", "data-testid": "outline-ok" }, say("noProblems")));
  }

  function stopEditing() {
    if (edit?.stop) edit.stop();
    editing.clearLayers();
    edit = null;
    const layer = layers.get(selected);
    if (layer) layer.addTo(outlines);
  }

  function select(code, { keepView = false } = {}) {
    if (edit) stopEditing();
    selected = code;
    const u = byCode.get(code);
    for (const b of tree.querySelectorAll("button.selected")) b.classList.remove("selected");
    tree.querySelector(`li[data-code="${code}"] > button`)?.classList.add("selected");
    restyle();
    // The unit's outline; one without (a new grid, a street): its parent's grids, to draw beside them.
    const around = layers.has(code) ? [layers.get(code)]
      : units.filter((o) => o.parent_code === u?.parent_code && layers.has(o.code)).map((o) => layers.get(o.code));
    if (!keepView && around.length) {
      map.fitBounds(L.featureGroup(around).getBounds(), { padding: [60, 60], maxZoom: 17, animate: false });
    }
    drawDetail(u);
  }

  function drawDetail(u) {
    const parent = u.parent_code ? byCode.get(u.parent_code) : null;
    const reportList = h("ul", { class: "outline-report", "data-testid": "outline-report" });
    const nameInput = h("input", { value: u.name, maxlength: 64, required: true, "data-testid": "rename-input" });
    const renameForm = h("form", {}, nameInput, h("button", { type: "submit", "data-testid": "rename" }, say("rename")));
    renameForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api.patch(`/api/units/${u.code}`, { name: nameInput.value.trim() });
        toast(say("renamed"));
        await load();
      } catch (err) { toast(errorText(err), "error"); }
    });
    const below = BELOW[u.level];
    let addForm = null;
    if (below && below !== "district") {
      const childName = h("input", { placeholder: say("name"), maxlength: 64, required: true, "data-testid": "child-name" });
      const childCode = h("input", { placeholder: say("codeAuto"), maxlength: 18, pattern: "\\d{6,18}", "data-testid": "child-code" });
      addForm = h("form", { "data-testid": "add-child" }, h("b", {}, say("addChild", { level: say(`level.${below}`).toLowerCase() })),
        childName, childCode, h("button", { type: "submit", class: "primary", "data-testid": "create-child" }, say("create")));
      addForm.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          const made = await api.post("/api/units", { level: below, name: childName.value.trim(), parent_code: u.code,
                                                      code: childCode.value.trim() || null });
          toast(say("created", { code: made.code }));
          await load();
        } catch (err) { toast(errorText(err), "error"); }
      });
    }
    const buttons = h("div", { class: "buttons" });
    if (u.level === "grid") {
      if (!u.geometry) buttons.append(h("button", { type: "button", "data-testid": "draw-outline", onclick: () => startDrawing(u, buttons, reportList) },
                                        say("drawOutline")), h("span", { class: "muted" }, say("noOutline")));
      else if (!ring(u.geometry)) buttons.append(h("span", { class: "muted" }, say("multi")));
      else buttons.append(h("button", { type: "button", "data-testid": "edit-outline", onclick: () => startEditing(u, buttons, reportList) },
                            say("editOutline")));
    }
    const count = children(u.code).length;
    detail.replaceChildren(
      h("h3", {}, data(u.name)),
      h("dl", {}, h("dt", {}, say("code")), h("dd", { translate: "no", "data-testid": "unit-code" }, u.code),
        h("dt", {}, say("parent")), h("dd", {}, parent ? data(parent.name) : "—")),
      ...[count ? h("p", { class: "muted" }, say(u.level === "grid" ? "buildings" : "units", { n: count })) : null,
          renameForm, addForm, buttons, ["grid", "community"].includes(u.level) ? h("h4", {}, say("problems")) : null,
          reportList].filter(Boolean));
    if (["grid", "community"].includes(u.level) && (u.geometry || u.level === "community")) {
      api.get(`/api/units/${u.code}/outline-report`).then((r) => { if (selected === u.code && !edit) showReport(r, reportList); })
        .catch(() => showReport(null, reportList));
    } else {
      showReport(null, reportList);
    }
  }

  // A corner dropped or clicked within SNAP_PX of another grid's corner takes that corner exactly: shared edges match.
  function snapper(code) {
    const corners = units.filter((o) => o.level === "grid" && o.code !== code && ring(o.geometry))
      .flatMap((o) => ring(o.geometry).map(toLatLng));
    return (ll) => {
      const at = map.latLngToContainerPoint(ll);
      let best = null, bestPx = SNAP_PX;
      for (const c of corners) {
        const px = map.latLngToContainerPoint(c).distanceTo(at);
        if (px <= bestPx) { best = c; bestPx = px; }
      }
      return best || ll;
    };
  }

  // A grid without an outline: click its corners on the map, then adjust them as in editing and save.
  function startDrawing(u, buttons, reportList) {
    const snapped = snapper(u.code);
    const points = [];
    const line = L.polyline([], { ...STYLE.selected, dashArray: "5 4", interactive: false }).addTo(editing);
    const finish = h("button", { type: "button", class: "primary", disabled: true, "data-testid": "finish-drawing" }, say("finishDrawing"));
    const cancel = h("button", { type: "button", "data-testid": "cancel-outline" }, say("cancel"));
    const onClick = (e) => {
      const ll = snapped(e.latlng);
      points.push(ll);
      line.setLatLngs([...points, points[0]]);
      L.circleMarker(ll, { radius: 5, color: STYLE.selected.color, weight: 2, fillColor: "#fff", fillOpacity: 1,
                           interactive: false }).addTo(editing);
      finish.disabled = points.length < 3;
    };
    const done = () => { map.off("click", onClick); mapEl.classList.remove("drawing"); };
    map.on("click", onClick);
    mapEl.classList.add("drawing");
    finish.addEventListener("click", () => {
      done();
      editing.clearLayers();
      const coords = points.map(toCoord);
      startEditing({ ...u, geometry: { type: "Polygon", coordinates: [[...coords, coords[0]]] } }, buttons, reportList);
    });
    cancel.addEventListener("click", () => { done(); stopEditing(); select(u.code, { keepView: true }); });
    buttons.replaceChildren(finish, cancel, h("span", { class: "muted" }, say("drawHint")));
    edit = { code: u.code, stop: done };
  }

  function startEditing(u, buttons, reportList) {
    const points = ring(u.geometry).slice(0, -1).map(toLatLng); // the closing point is the first again
    const layer = layers.get(u.code);
    if (layer) outlines.removeLayer(layer);
    const shapeLayer = L.polygon(points, { ...STYLE.selected, interactive: false }).addTo(editing);
    const geometry = () => {
      const coords = shapeLayer.getLatLngs()[0].map(toCoord);
      return { type: "Polygon", coordinates: [[...coords, coords[0]], ...u.geometry.coordinates.slice(1)] };
    };
    let checking = 0;
    const check = async () => {
      const mine = ++checking;
      try {
        const report = await api.post(`/api/units/${u.code}/outline/check`, { geometry: geometry() });
        if (mine === checking && edit) showReport(report, reportList);
      } catch (err) { toast(errorText(err), "error"); }
    };
    const snapped = snapper(u.code);
    const place = (i, ll) => {
      const latlngs = shapeLayer.getLatLngs()[0];
      latlngs[i] = ll;
      shapeLayer.setLatLngs(latlngs);
    };
    points.forEach((p, i) => {
      const handle = L.marker(p, { draggable: true, keyboard: false, autoPan: false,
        icon: L.divIcon({ className: "vertex-handle", iconSize: [14, 14], html: `<span data-index="${i}"></span>` }) });
      handle.on("drag", (e) => place(i, e.target.getLatLng()));
      handle.on("dragend", (e) => {
        const ll = snapped(e.target.getLatLng());
        e.target.setLatLng(ll);
        place(i, ll);
        check();
      });
      handle.addTo(editing);
    });
    const save = h("button", { type: "button", class: "primary", "data-testid": "save-outline" }, say("saveOutline"));
    const cancel = h("button", { type: "button", "data-testid": "cancel-outline" }, say("cancel"));
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        await api.put(`/api/units/${u.code}/outline`, { geometry: geometry() });
        toast(say("saved"));
        stopEditing();
        await load();
      } catch (err) {
        if (err.status === 409 && err.detail?.overlaps) showReport(err.detail, reportList);
        toast(err.status === 409 ? say("refused") : errorText(err), "error");
      } finally { save.disabled = false; }
    });
    cancel.addEventListener("click", () => { stopEditing(); select(u.code, { keepView: true }); });
    buttons.replaceChildren(save, cancel, h("span", { class: "muted" }, say("dragHint")));
    edit = { code: u.code, geometry };
    check();
  }

  importBtn.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files[0];
    if (!file) return;
    importReport.replaceChildren();
    try {
      const answer = await api.post("/api/units/import", JSON.parse(await file.text()));
      toast(say("importDone", { created: answer.created, updated: answer.updated, datum: say(`datum.${answer.datum}`) }));
      importReport.append(h("p", { class: "muted", "data-testid": "import-done" },
        say("importDone", { created: answer.created, updated: answer.updated, datum: say(`datum.${answer.datum}`) })));
      fitted = false;
      await load();
    } catch (err) {
      const errors = err.detail?.errors || [errorText(err)];
      importReport.append(h("p", { class: "error" }, say("importFailed")),
        h("ul", { class: "error", "data-testid": "import-errors" }, ...errors.map((e) => h("li", { translate: "no" }, e))));
    } finally { fileInput.value = ""; }
  });

  const offReset = onLive("reset", () => { if (!edit) load().catch(() => {}); });
  await load();
  window.__gridline.units = { map, show: base.show, selected: () => selected, editing: () => edit?.code || null };
  return () => { stopped = true; offReset(); map.remove(); delete window.__gridline.units; };
}
