// The dashboard shell: sign-in, a hash router over the pages, language switch, the live connection.
import { startAlarms } from "./alarms.js";
import { api, setUnauthorizedHandler } from "./api.js";
import { h } from "./dom.js";
import { applyStatic, getLang, setLang, t } from "./i18n.js";
import "./i18n_admin.js"; // the admin pages' texts (and the menu entry's), merged into the catalogue
import "./i18n_services.js"; // 服务 (issue 18): the services pages' texts and menu entry
import "./i18n_watch.js"; // 关爱巡查 (issue 19): the welfare watch, checkpoint coverage and hours texts
import { liveStats, onLive, startLive, stopLive } from "./live.js";
import { data, directory, forgetDirectory, restoreToasts, throttle } from "./ui.js";

const PAGES = {
  map: () => import("./pages/map.js"),
  feed: () => import("./pages/feed.js"),
  board: () => import("./pages/board.js"),
  devices: () => import("./pages/devices.js"),
  stats: () => import("./pages/stats.js"),
  case: () => import("./pages/case.js"),
  cases: () => import("./pages/cases.js"),
  triage: () => import("./pages/triage.js"),
  followups: () => import("./pages/followups.js"), // 回访
  services: () => import("./pages/services.js"), // 服务: queues per role, dispute register, visit diary (issue 18)
  welfare: () => import("./pages/welfare.js"), // 关爱巡查: 1+1+N watch, checkpoint coverage, hours (issue 19)
  new: () => import("./pages/create.js"),
  notices: () => import("./pages/notices.js"), // 居务公开
  deliberation: () => import("./pages/deliberation.js"), // 议事
  units: () => import("./pages/units.js"), // 单元网格 (admins)
  // 系统管理 (admins, issue 20): one menu entry, a tab strip across these (pages/admin_common.js)
  people: () => import("./pages/people.js"),
  categories: () => import("./pages/categories.js"),
  calendar: () => import("./pages/calendar.js"),
  operators: () => import("./pages/operators.js"),
  deadletters: () => import("./pages/deadletters.js"),
  accesslog: () => import("./pages/accesslog.js"),
};
const ACTING = new Set(["triage", "new"]); // pages that act on cases: not for view-only accounts

const root = document.getElementById("page");
const ctx = { me: null, config: null, navigate: (hash) => { location.hash = hash; } };
let cleanup = null;
let routing = 0;
let stopAlarms = null, stopTriageCount = null;
let liveState = "reconnecting";
window.__gridline = { live: liveStats, ready: false, page: null };

function showLogin(message = "") {
  stopLive();
  if (cleanup) { cleanup(); cleanup = null; }
  if (stopAlarms) { stopAlarms(); stopAlarms = null; }
  if (stopTriageCount) { stopTriageCount(); stopTriageCount = null; }
  forgetDirectory();
  document.getElementById("topbar").hidden = true;
  const user = h("input", { name: "username", autocomplete: "username", required: true });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", "data-testid": "login-error" }, message);
  const form = h("form", { class: "login", "data-testid": "login" },
    h("h1", {}, t("app.title")), h("h2", {}, t("login.title")),
    h("label", {}, t("login.username"), user), h("label", {}, t("login.password"), pass),
    h("button", { type: "submit", class: "primary" }, t("login.submit")), error,
    h("select", { class: "login-lang", onchange: (e) => { setLang(e.target.value); showLogin(); } },
      h("option", { value: "zh-CN", selected: getLang() === "zh-CN", translate: "no", lang: "zh-CN" }, "中文"),
      h("option", { value: "en", selected: getLang() === "en", translate: "no", lang: "en" }, "English")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api.post("/api/auth/login", { username: user.value, password: pass.value });
      await boot();
    } catch (err) {
      error.textContent = err.status === 429 ? t("login.locked") : `${t("login.failed")}: ${err.message}`;
    }
  });
  root.replaceChildren(form);
  window.__gridline.page = "login";
  user.focus();
}

function setLiveState(state) {
  liveState = state;
  const el = document.getElementById("live-state");
  el.textContent = t(`live.${state}`);
  el.className = `live-state ${state}`;
  el.dataset.state = state;
}

// #/page/arg?filters: the query part is the page's own state (the case list's filters), kept in the address so
// a reload or a shared link shows the same.
export function parseHash(hash = location.hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const [name, arg] = (path || "map").split("/");
  return { name, arg, params: new URLSearchParams(query) };
}

async function route() {
  const mine = ++routing;
  if (cleanup) { cleanup(); cleanup = null; }
  window.__gridline.ready = false;
  const { name, arg, params } = parseHash();
  let page = PAGES[name] ? name : "map";
  if (ACTING.has(page) && ctx.me.role === "viewer") page = "cases";
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === page);
  for (const group of document.querySelectorAll("#nav .nav-group")) {
    group.classList.toggle("active", !!group.querySelector("a.active"));
  }
  if (document.activeElement?.closest?.("#nav")) document.activeElement.blur(); // a chosen menu closes
  root.replaceChildren();
  root.className = `page-${page}`;
  const module = await PAGES[page]();
  if (mine !== routing) return;
  try {
    cleanup = await module.mount(root, ctx, arg && decodeURIComponent(arg), params);
  } catch (err) {
    if (err.status !== 401) root.append(h("p", { class: "error" }, `${t("err.generic")}: ${err.message}`));
  }
  window.__gridline.page = page;
  window.__gridline.ready = true;
}

async function boot() {
  try {
    ctx.me = await api.get("/api/auth/me");
  } catch (err) {
    showLogin();
    return;
  }
  ctx.config = await api.get("/api/map/config");
  document.getElementById("topbar").hidden = false;
  drawWho();
  document.body.dataset.role = ctx.me.role;
  startLive(setLiveState);
  if (!stopAlarms) stopAlarms = startAlarms(document.getElementById("alarms"), ctx);
  if (!stopTriageCount && ctx.me.role !== "viewer") stopTriageCount = startTriageCount();
  window.removeEventListener("hashchange", route);
  window.addEventListener("hashchange", route);
  await route();
}

// Who is signed in: name, role, and the unit they oversee by name (a grid, or the community above the grids).
function drawWho() {
  const who = document.getElementById("who");
  const code = ctx.me.scope_code;
  const scope = data(ctx.me.scope_name || code, { title: code });
  who.replaceChildren(data(ctx.me.display_name), ` · ${t(`oprole.${ctx.me.role}`)} · `, scope);
  if (!ctx.me.scope_name) {
    directory().then((dir) => {
      const grids = [...dir.grids.values()];
      const name = grids.find((g) => g.code === code)?.name || grids.find((g) => g.parent === code)?.parent_name;
      if (name) scope.textContent = name;
    }).catch(() => {});
  }
}

// The number waiting in 待研判, beside its menu entry.
function startTriageCount() {
  const el = document.getElementById("triage-count");
  let stopped = false;
  const load = async () => {
    try {
      const queue = await api.get("/api/triage");
      if (stopped) return;
      const n = (Array.isArray(queue) ? queue : queue.items || []).length;
      el.textContent = n;
      el.hidden = n === 0;
    } catch { el.hidden = true; }
  };
  const reload = throttle(load, 3000);
  const offs = [onLive("case", reload), onLive("reset", reload)];
  const timer = setInterval(load, 30000);
  load();
  window.__gridline.refreshTriageCount = load;
  return () => { stopped = true; offs.forEach((off) => off()); clearInterval(timer); };
}

setUnauthorizedHandler(() => showLogin());
onLive("signed_out", () => { ctx.me = null; showLogin(t("login.ended")); });
const langSelect = document.getElementById("lang");
langSelect.value = getLang();
langSelect.addEventListener("change", () => {
  setLang(langSelect.value);
  document.title = `${t("app.title")} · Gridline`;
  setLiveState(liveState);
  if (!ctx.me) return;
  drawWho();
  if (stopAlarms) { stopAlarms(); stopAlarms = startAlarms(document.getElementById("alarms"), ctx); }
  route();
});
document.getElementById("logout").addEventListener("click", async () => {
  await api.post("/api/auth/logout").catch(() => {});
  ctx.me = null;
  showLogin();
});
setLang(getLang());
applyStatic();
document.title = `${t("app.title")} · Gridline`;
restoreToasts();
boot();
