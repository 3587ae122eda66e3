// 人员与角色 (admins): the people of the admin's subtree with their role, unit (down to buildings) and phone; add,
// edit, take off duty (停用) and back. The hub checks every id against the scope (hub/api/people.py); the pickers
// offer only the units and phones of the scope (GET /api/people/choices). Names are data (translate="no").
import { api, qs } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { confirmDialog, data, forgetDirectory, toast } from "../ui.js";
import { adminFrame, field, refusal, scopeChoices, shortTime, treeOrder, unitOptions } from "./admin_common.js";

// hub/store/vocabulary.py PERSON_ROLES, in the order an office thinks of them
export const PERSON_ROLES = ["grid_leader", "grid_worker", "patrol_volunteer", "building_head", "helper", "mediator",
  "legal_adviser", "property_contact", "department_contact", "community_secretary", "committee_member", "community_staff",
  "street_staff", "dispatcher", "supervisor", "handler"];

function roleOptions(selected, empty = null) {
  const opts = PERSON_ROLES.map((r) => h("option", { value: r, selected: r === selected }, t(`adm.prole.${r}`)));
  return empty === null ? opts : [h("option", { value: "" }, empty), ...opts];
}

function phoneOptions(phones, selected) {
  return [h("option", { value: "" }, t("adm.people.noPhone")),
    ...phones.map((p) => h("option", { value: p.device_id, translate: "no", selected: p.device_id === selected },
      p.owner_name ? `${p.device_id} · ${p.owner_name}` : p.device_id))];
}

function personForm(choices, person, onSubmit, submitText) {
  const units = treeOrder(choices.units);
  const name = h("input", { name: "name", required: true, maxlength: 64, value: person?.name || "", "data-testid": "person-name" });
  const role = h("select", { name: "role", "data-testid": "person-role" }, ...roleOptions(person?.role || "grid_worker"));
  const unit = h("select", { name: "unit_code", required: true, "data-testid": "person-unit" }, ...unitOptions(units, person?.unit_code));
  const phone = h("select", { name: "phone", "data-testid": "person-phone" }, ...phoneOptions(choices.phones, person?.phone_device_id));
  const error = h("p", { class: "error", "data-testid": "person-error" });
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "person-submit" }, submitText);
  const form = h("form", { class: "adm-form", "data-testid": person ? "person-edit" : "person-add" },
    field(t("adm.people.name"), name), field(t("adm.people.role"), role), field(t("adm.people.unit"), unit),
    field(t("adm.people.phone"), phone), submit, error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      await onSubmit({ name: name.value.trim(), role: role.value, unit_code: unit.value, phone_device_id: phone.value || null });
      if (!person) name.value = "";
    } catch (err) {
      error.textContent = refusal(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export async function mount(root, ctx) {
  if (!adminFrame(root, ctx, "people")) return () => {};
  const choices = await scopeChoices();
  const units = treeOrder(choices.units);
  const unitName = new Map(choices.units.map((u) => [u.code, u.name]));
  const body = h("tbody");
  const summary = h("p", { class: "muted adm-summary", "data-testid": "people-summary" });
  const fUnit = h("select", { "data-testid": "filter-unit" }, ...unitOptions(units, "", { empty: t("adm.all") }));
  const fRole = h("select", { "data-testid": "filter-role" }, ...roleOptions("", t("adm.all")));
  const fActive = h("select", { "data-testid": "filter-active" },
    h("option", { value: "" }, t("adm.all")), h("option", { value: "true" }, t("adm.people.onDuty")),
    h("option", { value: "false" }, t("adm.people.offDuty")));
  const fText = h("input", { type: "search", placeholder: t("adm.people.search"), "data-testid": "filter-text" });
  let people = [];

  const add = personForm(choices, null, async (values) => {
    const made = await api.post("/api/people", values);
    toast(t("adm.people.added", { name: made.name }));
    forgetDirectory();
    await load();
  }, t("adm.people.add"));

  root.append(
    h("section", { class: "panel", "data-testid": "people-add" }, h("h2", {}, t("adm.people.addTitle")), add,
      h("p", { class: "muted" }, t("adm.people.scopeNote"))),
    h("section", { class: "panel" }, h("h2", {}, t("adm.people.title")),
      h("div", { class: "filters" }, field(t("adm.people.unit"), fUnit), field(t("adm.people.role"), fRole),
        field(t("adm.people.status"), fActive), field(t("adm.search"), fText)),
      summary,
      h("div", { class: "table-scroll" }, h("table", { class: "adm people", "data-testid": "people" },
        h("thead", {}, h("tr", {}, ...["adm.people.name", "adm.people.role", "adm.people.unit", "adm.people.phone",
          "adm.people.status", "adm.actions"].map((k) => h("th", {}, t(k))))), body))));

  async function load() {
    people = await api.get(`/api/people${qs({ unit: fUnit.value, role: fRole.value, active: fActive.value })}`);
    draw();
  }

  function draw() {
    const needle = fText.value.trim().toLowerCase();
    const shown = needle ? people.filter((p) => p.name.toLowerCase().includes(needle) || p.id.toLowerCase().includes(needle)) : people;
    summary.textContent = t("adm.people.count", { n: shown.length, off: shown.filter((p) => !p.active).length });
    body.replaceChildren(...shown.map(row));
  }

  function row(p) {
    const status = p.active ? h("span", { class: "badge on-duty" }, t("adm.people.onDuty"))
      : h("span", { class: "badge off-duty", title: p.inactive_reason || "" }, t("adm.people.offSince", { t: shortTime(p.inactive_since) }));
    const toggle = p.active
      ? h("button", { type: "button", class: "small danger-outline", "data-testid": "person-deactivate", onclick: () => deactivate(p) }, t("adm.people.deactivate"))
      : h("button", { type: "button", class: "small", "data-testid": "person-activate", onclick: () => activate(p) }, t("adm.people.activate"));
    return h("tr", { "data-person": p.id, class: p.active ? null : "inactive" },
      h("td", {}, data(p.name, { title: p.id })), h("td", {}, t(`adm.prole.${p.role}`)),
      h("td", {}, data(p.unit_name || unitName.get(p.unit_code) || p.unit_code, { title: p.unit_code })),
      h("td", { class: "mono" }, data(p.devices.join(", ") || "—")), h("td", {}, status),
      h("td", { class: "actions" }, h("button", { type: "button", class: "small", "data-testid": "person-edit-open", onclick: () => edit(p) }, t("adm.edit")), toggle));
  }

  async function edit(p) {
    let dialogDone = null;
    const form = personForm(choices, p, async (values) => {
      const patch = { name: values.name, role: values.role, unit_code: values.unit_code };
      if (values.phone_device_id) patch.phone_device_id = values.phone_device_id;
      else if (p.phone_device_id) patch.clear_phone = true;
      await api.patch(`/api/people/${encodeURIComponent(p.id)}`, patch);
      toast(t("adm.saved"));
      forgetDirectory();
      dialogDone?.();
      await load();
    }, t("adm.save"));
    const dlg = h("dialog", { class: "confirm", "data-testid": "person-dialog" }, h("h3", {}, t("adm.people.editTitle")), form,
      h("div", { class: "buttons" }, h("button", { type: "button", "data-testid": "person-dialog-close", onclick: () => dialogDone() }, t("ui.close"))));
    dialogDone = () => { if (dlg.open) dlg.close(); dlg.remove(); };
    document.body.append(dlg);
    dlg.showModal();
  }

  async function deactivate(p) {
    const reason = h("input", { maxlength: 200, placeholder: t("adm.people.reasonHint"), "data-testid": "deactivate-reason" });
    const ok = await confirmDialog({ title: t("adm.people.deactivateTitle", { name: p.name }), text: t("adm.people.deactivateText"),
                                     body: field(t("adm.reason"), reason), ok: t("adm.people.deactivate"), danger: true });
    if (!ok) return;
    try {
      await api.post(`/api/people/${encodeURIComponent(p.id)}/deactivate`, { reason: reason.value.trim() });
      toast(t("adm.people.deactivated", { name: p.name }));
      await load();
    } catch (err) { toast(refusal(err), "error"); }
  }

  async function activate(p) {
    try {
      await api.post(`/api/people/${encodeURIComponent(p.id)}/activate`);
      toast(t("adm.people.activated", { name: p.name }));
      await load();
    } catch (err) { toast(refusal(err), "error"); }
  }

  for (const el of [fUnit, fRole, fActive]) el.addEventListener("change", load);
  fText.addEventListener("input", draw);
  await load();
  return () => {};
}
