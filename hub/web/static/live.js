// The live stream (SSE): one EventSource for the whole page; pages subscribe to event kinds.
// EventSource reconnects by itself and sends Last-Event-ID, so the hub replays missed case events.
const listeners = new Map(); // kind -> Set(fn)
let source = null;
let stateFn = () => {};

export const liveStats = { messages: 0, positions: 0, lastLagMs: null, lags: [] };

export function onLive(kind, fn) {
  if (!listeners.has(kind)) listeners.set(kind, new Set());
  listeners.get(kind).add(fn);
  return () => listeners.get(kind).delete(fn);
}

function emit(kind, data) {
  for (const fn of listeners.get(kind) || []) {
    try { fn(data); } catch (err) { console.error("live listener", kind, err); }
  }
}

export function startLive(onState) {
  stateFn = onState || stateFn;
  if (source) return;
  source = new EventSource("/api/live/events");
  source.onopen = () => stateFn("open");
  source.onerror = () => stateFn(source && source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
  // signed_out: the session ended (account disabled, password changed, signed out elsewhere): stop reconnecting.
  source.addEventListener("signed_out", () => { stopLive(); emit("signed_out", {}); });
  for (const kind of ["case", "device", "positions", "reset", "hello"]) {
    source.addEventListener(kind, (ev) => {
      liveStats.messages += 1;
      let data;
      try { data = JSON.parse(ev.data); } catch { return; }
      if (kind === "positions") {
        liveStats.positions += data.p.length;
        const now = Date.now();
        let worst = 0;
        for (const fix of data.p) worst = Math.max(worst, now - fix[4]);
        liveStats.lastLagMs = worst;
        liveStats.lags.push(worst);
        if (liveStats.lags.length > 600) liveStats.lags.shift();
      }
      emit(kind, data);
    });
  }
}

export function stopLive() {
  if (source) source.close();
  source = null;
}
