// 实时动态: the whole-screen feed.
import { api } from "../api.js";
import { h } from "../dom.js";
import { createFeed } from "../feed.js";
import { t } from "../i18n.js";
import { onLive } from "../live.js";

export async function mount(root, ctx) {
  const box = h("section", { class: "panel feed-page" }, h("h2", {}, t("feed.title")));
  root.append(box);
  const feed = createFeed(box, { onOpen: (id) => ctx.navigate(`#/case/${id}`) });
  const off = onLive("case", (ev) => feed.add(ev));
  feed.load(await api.get("/api/live/recent?limit=100"));
  return () => { off(); feed.destroy(); };
}
