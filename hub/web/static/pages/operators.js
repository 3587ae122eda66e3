// 账号与密钥: the control-room accounts of the admin's subtree (add with a role and a scope unit, change role, scope
// and name, link the person the account acts as, disable / enable, reset the password - a generated one is shown
// once) and, for admins of the top unit, the Open311 API keys (issue: the secret shown once; revoke).
// hub/api/operators.py and hub/api/api_keys.py check the scope of every id; each change is in the access log.
import { api } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { confirmDialog, data, toast } from "../ui.js";
import { adminFrame, field, isTop, refusal, scopeChoices, shortTime, treeOrder, unitOptions } from "./admin_common.js";

const ROLES = ["admin", "dispatcher", "supervisor", "viewer"];
const OPERATOR_SCOPE_LEVELS = new Set(["city", "district", "street", "community", "grid"]);

function roleSelect(selected, testid) {
  return h("select", { "data-testid": testid }, ...ROLES.map((r) => h("option", { value: r, selected: r === selected }, t(`oprole.${r}`))));
}

/** The secret, once: a dialog that says it will not be shown again. */
function showSecret(title, secret) {
  return confirmDialog({ title, body: h("div", {}, h("p", {}, t("adm.op.once")), h("p", { class: "secret", translate: "no", "data-testid": "secret" }, secret)),
                         ok: t("adm.op.noted") });
}

export async function mount(root, ctx) {
  if (!adminFrame(root, ctx, "operators")) return () => {};
  const choices = await scopeChoices();
  const top = isTop(ctx, choices);
  const units = treeOrder(choices.units.filter((u) => OPERATOR_SCOPE_LEVELS.has(u.level)));
  const unitName = new Map(choices.units.map((u) => [u.code, u.name]));
  let people = await api.get("/api/people?active=true").catch(() => []);
  const personName = (id) => people.find((p) => p.id === id)?.name || id;
  const body = h("tbody");

  // -- add an account ---------------------------------------------------------------------------------
  const username = h("input", { required: true, maxlength: 64, pattern: "[A-Za-z0-9_.@\\-]+", autocomplete: "off", "data-testid": "op-username" });
  const display = h("input", { maxlength: 64, "data-testid": "op-display" });
  const role = roleSelect("dispatcher", "op-role");
  const scope = h("select", { "data-testid": "op-scope" }, ...unitOptions(units, ctx.me.scope_code));
  const person = h("select", { "data-testid": "op-person" }, h("option", { value: "" }, t("adm.op.noPerson")),
    ...people.map((p) => h("option", { value: p.id, translate: "no" }, `${p.name} · ${t(`adm.prole.${p.role}`)}`)));
  const error = h("p", { class: "error", "data-testid": "op-error" });
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "op-submit" }, t("adm.op.add"));
  const form = h("form", { class: "adm-form", "data-testid": "op-add" }, field(t("adm.op.username"), username),
    field(t("adm.op.display"), display), field(t("adm.op.role"), role), field(t("adm.op.scope"), scope),
    field(t("adm.op.person"), person), submit, error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      const made = await api.post("/api/operators", { username: username.value.trim(), display_name: display.value.trim(),
        role: role.value, scope_code: scope.value, person_id: person.value || null });
      username.value = ""; display.value = "";
      await load();
      await showSecret(t("adm.op.created", { name: made.operator.username }), made.password);
    } catch (err) { error.textContent = refusal(err); } finally { submit.disabled = false; }
  });

  const keysPanel = h("section", { class: "panel", "data-testid": "keys-panel" });
  root.append(h("section", { class: "panel" }, h("h2", {}, t("adm.op.addTitle")), form),
    h("section", { class: "panel" }, h("h2", {}, t("adm.op.title")), h("div", { class: "table-scroll" },
      h("table", { class: "adm operators", "data-testid": "operators" }, h("thead", {}, h("tr", {},
        ...["adm.op.username", "adm.op.display", "adm.op.role", "adm.op.scope", "adm.op.person", "adm.op.status", "adm.actions"]
          .map((k) => h("th", {}, t(k))))), body))), keysPanel);

  async function load() {
    const ops = await api.get("/api/operators");
    body.replaceChildren(...ops.map(row));
  }

  function row(op) {
    const self = op.id === ctx.me.id;
    const status = op.disabled ? h("span", { class: "badge disabled" }, t("adm.op.disabled"))
      : op.locked_until && Date.parse(op.locked_until) > Date.now() ? h("span", { class: "badge locked" }, t("adm.op.locked"))
        : h("span", { class: "badge on-duty" }, t("adm.op.active"));
    const btn = (label, testid, fn, cls = "small") => h("button", { type: "button", class: cls, "data-testid": testid, onclick: fn }, label);
    return h("tr", { "data-operator": op.username, class: op.disabled ? "inactive" : null },
      h("td", {}, data(op.username)), h("td", {}, data(op.display_name)), h("td", {}, t(`oprole.${op.role}`)),
      h("td", {}, data(unitName.get(op.scope_code) || op.scope_code, { title: op.scope_code })),
      h("td", {}, op.person_id ? data(personName(op.person_id)) : h("span", { class: "muted" }, t("adm.op.noPerson"))),
      h("td", {}, status),
      h("td", { class: "actions" }, self ? h("span", { class: "muted" }, t("adm.op.you")) : [
        btn(t("adm.edit"), "op-edit", () => edit(op)),
        btn(t("adm.op.reset"), "op-reset", () => reset(op)),
        op.disabled ? btn(t("adm.op.enable"), "op-enable", () => toggle(op, "enable"))
          : btn(t("adm.op.disable"), "op-disable", () => toggle(op, "disable"), "small danger-outline")]));
  }

  async function edit(op) {
    const r = roleSelect(op.role, "edit-role");
    const s = h("select", { "data-testid": "edit-scope" }, ...unitOptions(units, op.scope_code));
    const d = h("input", { maxlength: 64, value: op.display_name, "data-testid": "edit-display" });
    const p = h("select", { "data-testid": "edit-person" }, h("option", { value: "" }, t("adm.op.noPerson")),
      ...people.map((x) => h("option", { value: x.id, translate: "no", selected: x.id === op.person_id }, x.name)));
    const ok = await confirmDialog({ title: t("adm.op.editTitle", { name: op.username }),
      body: h("div", { class: "adm-form" }, field(t("adm.op.role"), r), field(t("adm.op.scope"), s), field(t("adm.op.display"), d),
        field(t("adm.op.person"), p)), ok: t("adm.save") });
    if (!ok) return;
    try {
      const patch = {};
      if (r.value !== op.role) patch.role = r.value;
      if (s.value !== op.scope_code) patch.scope_code = s.value;
      if (d.value.trim() && d.value.trim() !== op.display_name) patch.display_name = d.value.trim();
      if (Object.keys(patch).length) await api.patch(`/api/operators/${op.id}`, patch);
      if ((p.value || null) !== op.person_id) await api.put(`/api/operators/${op.id}/person`, { person_id: p.value || null });
      toast(t("adm.saved"));
      await load();
    } catch (err) { toast(refusal(err), "error"); }
  }

  async function reset(op) {
    if (!await confirmDialog({ title: t("adm.op.resetTitle", { name: op.username }), text: t("adm.op.resetText"), ok: t("adm.op.reset") })) return;
    try {
      const done = await api.post(`/api/operators/${op.id}/password`, {});
      await showSecret(t("adm.op.newPassword", { name: op.username }), done.password);
    } catch (err) { toast(refusal(err), "error"); }
  }

  async function toggle(op, action) {
    if (action === "disable" && !await confirmDialog({ title: t("adm.op.disableTitle", { name: op.username }),
      text: t("adm.op.disableText"), ok: t("adm.op.disable"), danger: true })) return;
    try {
      await api.post(`/api/operators/${op.id}/${action}`);
      await load();
    } catch (err) { toast(refusal(err), "error"); }
  }

  // -- Open311 keys (top unit's admins) ---------------------------------------------------------------------
  async function loadKeys() {
    if (!top) {
      keysPanel.replaceChildren(h("h2", {}, t("adm.keys.title")), h("p", { class: "muted", "data-testid": "keys-top-only" }, t("adm.keys.topOnly")));
      return;
    }
    const keys = await api.get("/api/open311-keys");
    const name = h("input", { required: true, maxlength: 64, placeholder: t("adm.keys.nameHint"), "data-testid": "key-name" });
    const issue = h("form", { class: "adm-form", "data-testid": "key-issue" }, field(t("adm.keys.name"), name),
      h("button", { type: "submit", class: "primary", "data-testid": "key-submit" }, t("adm.keys.issue")));
    issue.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const made = await api.post("/api/open311-keys", { name: name.value.trim() });
        await loadKeys();
        await showSecret(t("adm.keys.issued", { name: made.name }), made.api_key);
      } catch (err) { toast(refusal(err), "error"); }
    });
    keysPanel.replaceChildren(h("h2", {}, t("adm.keys.title")), h("p", { class: "muted" }, t("adm.keys.note")), issue,
      h("table", { class: "adm keys", "data-testid": "keys" }, h("thead", {}, h("tr", {},
        ...["adm.keys.name", "adm.keys.created", "adm.keys.state", "adm.actions"].map((k) => h("th", {}, t(k))))),
        h("tbody", {}, ...keys.map((k) => h("tr", { "data-key": k.id, class: k.revoked_at ? "inactive" : null },
          h("td", {}, data(k.name)), h("td", {}, shortTime(k.created_at)),
          h("td", {}, k.revoked_at ? h("span", { class: "badge disabled" }, t("adm.keys.revokedAt", { t: shortTime(k.revoked_at) }))
            : h("span", { class: "badge on-duty" }, t("adm.keys.valid"))),
          h("td", { class: "actions" }, k.revoked_at ? null : h("button", { type: "button", class: "small danger-outline", "data-testid": "key-revoke",
            onclick: async () => {
              if (!await confirmDialog({ title: t("adm.keys.revokeTitle", { name: k.name }), text: t("adm.keys.revokeText"), ok: t("adm.keys.revoke"), danger: true })) return;
              try { await api.post(`/api/open311-keys/${k.id}/revoke`); await loadKeys(); } catch (err) { toast(refusal(err), "error"); }
            } }, t("adm.keys.revoke"))))))));
  }

  await Promise.all([load(), loadKeys()]);
  return () => {};
}
