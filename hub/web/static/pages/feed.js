// 实时动态: the whole-screen feed, one card per case (its steps so far, duplicates counted on it).
import { api } from "../api.js";
import { h } from "../dom.js";
import { createFeed } from "../feed.js";
import { t } from "../i18n.js";
import { onLive } from "../live.js";

export async function mount(root, ctx) {
  const box = h("section", { class: "panel feed-page" }, h("h2", {}, t("feed.title")));
  root.append(box);
  const feed = createFeed(box, { onOpen: (id) => ctx.navigate(`#/case/${id}`) });
  const recent = () => api.get("/api/live/recent?limit=200");
  const offs = [onLive("case", (ev) => feed.add(ev)),
                onLive("reset", () => recent().then((items) => feed.load(items)).catch(() => {}))];
  feed.load(await recent());
  return () => { offs.forEach((off) => off()); feed.destroy(); };
}
