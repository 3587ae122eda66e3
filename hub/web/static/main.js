// The dashboard shell: sign-in, a hash router over the pages, language switch, the live connection.
import { api, setUnauthorizedHandler } from "./api.js";
import { h } from "./dom.js";
import { applyStatic, getLang, setLang, t } from "./i18n.js";
import { liveStats, onLive, startLive, stopLive } from "./live.js";

const PAGES = {
  map: () => import("./pages/map.js"),
  feed: () => import("./pages/feed.js"),
  board: () => import("./pages/board.js"),
  devices: () => import("./pages/devices.js"),
  stats: () => import("./pages/stats.js"),
  case: () => import("./pages/case.js"),
};

const root = document.getElementById("page");
const ctx = { me: null, config: null, navigate: (hash) => { location.hash = hash; } };
let cleanup = null;
let routing = 0;
window.__gridline = { live: liveStats, ready: false, page: null };

function showLogin(message = "") {
  stopLive();
  if (cleanup) { cleanup(); cleanup = null; }
  document.getElementById("topbar").hidden = true;
  const user = h("input", { name: "username", autocomplete: "username", required: true });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", "data-testid": "login-error" }, message);
  const form = h("form", { class: "login", "data-testid": "login" },
    h("h1", {}, t("app.title")), h("h2", {}, t("login.title")),
    h("label", {}, t("login.username"), user), h("label", {}, t("login.password"), pass),
    h("button", { type: "submit", class: "primary" }, t("login.submit")), error,
    h("select", { class: "login-lang", onchange: (e) => { setLang(e.target.value); showLogin(); } },
      h("option", { value: "zh-CN", selected: getLang() === "zh-CN" }, "中文"),
      h("option", { value: "en", selected: getLang() === "en" }, "English")));
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
  const el = document.getElementById("live-state");
  el.textContent = t(`live.${state}`);
  el.className = `live-state ${state}`;
  el.dataset.state = state;
}

async function route() {
  const mine = ++routing;
  if (cleanup) { cleanup(); cleanup = null; }
  window.__gridline.ready = false;
  const [name, arg] = (location.hash.replace(/^#\//, "") || "map").split("/");
  const page = PAGES[name] ? name : "map";
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === page);
  root.replaceChildren();
  root.className = `page-${page}`;
  const module = await PAGES[page]();
  if (mine !== routing) return;
  try {
    cleanup = await module.mount(root, ctx, arg && decodeURIComponent(arg));
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
  document.getElementById("who").textContent = `${ctx.me.display_name} · ${ctx.me.role} · ${ctx.me.scope_code}`;
  document.body.dataset.role = ctx.me.role;
  startLive(setLiveState);
  window.removeEventListener("hashchange", route);
  window.addEventListener("hashchange", route);
  await route();
}

setUnauthorizedHandler(() => showLogin());
onLive("signed_out", () => { ctx.me = null; showLogin(t("login.ended")); });
const langSelect = document.getElementById("lang");
langSelect.value = getLang();
langSelect.addEventListener("change", () => { setLang(langSelect.value); if (ctx.me) route(); });
document.getElementById("logout").addEventListener("click", async () => {
  await api.post("/api/auth/logout").catch(() => {});
  ctx.me = null;
  showLogin();
});
setLang(getLang());
applyStatic();
boot();
