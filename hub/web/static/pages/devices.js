// 终端设备: every terminal with presence, last contact, outbox, battery, app version and clock skew; a device
// silent for longer than the stale limit turns visibly stale even while the broker still says "online". Units and
// owners by name (the unit's code on hover); names are data (translate="no").
import { api } from "../api.js";
import { h } from "../dom.js";
import { dataText } from "../feed.js";
import { ago, t } from "../i18n.js";
import { onLive } from "../live.js";

export async function mount(root) {
  const summary = h("p", { class: "muted", "data-testid": "device-summary" });
  const body = h("tbody");
  const cols = ["dev.id", "dev.kind", "dev.unit", "dev.owner", "dev.state", "dev.lastSeen", "dev.outbox", "dev.photos",
                "dev.battery", "dev.version", "dev.skew"];
  root.append(h("section", { class: "panel" }, h("h2", {}, t("dev.title")), summary,
    h("table", { class: "devices", "data-testid": "devices" }, h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", {}, t(c))))), body)));
  let data = { devices: [], stale_after_s: 180, now: new Date().toISOString() };
  let offset = 0;

  function draw() {
    const now = Date.now() - offset;
    let on = 0, stale = 0;
    const rows = data.devices.map((d) => {
      // A terminal the hub has never heard from is "never connected", not "lost": nothing was there to lose.
      const never = !d.last_seen && d.state !== "online";
      const silent = d.last_seen ? (now - Date.parse(d.last_seen)) / 1000 : Infinity;
      const isStale = !never && silent > data.stale_after_s;
      if (d.state === "online" && !isStale) on += 1;
      if (isStale) stale += 1;
      const state = never ? t("dev.never") : d.state === "online" ? t("map.online") : t("map.offline");
      const skew = d.clock_skew_ms == null ? "—" : `${(d.clock_skew_ms / 1000).toFixed(1)} s`;
      return h("tr", { class: `${d.state}${isStale ? " stale" : ""}${(d.battery_pct ?? 100) < 20 ? " low" : ""}`, dataset: { device: d.id } },
        h("td", { translate: "no" }, d.id), h("td", {}, d.kind ? t(`kind.${d.kind}`) : "—"),
        h("td", { class: "unit", title: d.unit || "" }, d.unit ? dataText(d.unit_name || d.unit) : t("dev.unbound")),
        h("td", {}, dataText(d.owner_name) || "—"),
        h("td", {}, h("span", { class: `badge ${never ? "never" : d.state}` }, state), isStale ? h("span", { class: "badge stale" }, t("dev.stale")) : null),
        h("td", {}, ago(d.last_seen, now)), h("td", { class: (d.outbox_depth || 0) > 50 ? "warn" : "" }, d.outbox_depth ?? "—"),
        h("td", {}, d.photos_pending ?? "—"), h("td", {}, d.battery_pct == null ? "—" : `${Math.round(d.battery_pct)}%`),
        h("td", {}, d.app_version || "—"), h("td", { class: Math.abs(d.clock_skew_ms || 0) > 60000 ? "warn" : "" }, skew));
    });
    body.replaceChildren(...rows);
    summary.textContent = t("dev.summary", { n: data.devices.length, on, stale });
  }

  const load = async () => {
    data = await api.get("/api/map/devices");
    offset = Date.now() - Date.parse(data.now); // judge staleness on the hub's clock
    draw();
  };
  const off = onLive("device", load);
  const timer = setInterval(load, 10000);
  const redraw = setInterval(draw, 5000);
  await load();
  return () => { off(); clearInterval(timer); clearInterval(redraw); };
}
