// The enrolment label of one device, on screen and (A6, alone on the sheet) in print: the unit it serves, its id
// and kind, the QR (the text `gridline terminal enroll` and the apps accept), the code typed by hand, the expiry.
import { h } from "../dom.js";
import { t, timeOf } from "../i18n.js";

/** ``issued``: the hub's EnrollmentCodeOut plus ``kind``, ``unitName`` and ``ownerName`` (or none). */
export function labelView(issued) {
  return h("article", { class: "device-label", "data-testid": "device-label", dataset: { device: issued.device_id } },
    h("header", {}, h("div", { class: "label-title" }, t("devadm.labelTitle")),
      h("div", { class: "label-unit", translate: "no" }, issued.unitName)),
    h("img", { class: "label-qr", "data-testid": "label-qr", alt: t("devadm.qrAlt"),
               src: `data:image/png;base64,${issued.qr_png_base64}`, dataset: { text: issued.qr_text } }),
    h("dl", {},
      h("dt", {}, t("dev.id")), h("dd", { translate: "no", class: "label-device" }, issued.device_id),
      h("dt", {}, t("dev.kind")), h("dd", {}, t(`kind.${issued.kind}`)),
      issued.ownerName ? [h("dt", {}, t("dev.owner")), h("dd", { translate: "no" }, issued.ownerName)] : null,
      h("dt", {}, t("devadm.code")), h("dd", { translate: "no", class: "label-code", "data-testid": "label-code" }, issued.code),
      h("dt", {}, t("devadm.expires")), h("dd", { "data-testid": "label-expiry" }, timeOf(issued.expires_at))),
    h("footer", {}, t("devadm.labelScan")));
}
