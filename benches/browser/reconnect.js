// The page side of the reconnect benchmarks (run.mjs: `reconnect` and `drop`): one client of
// the normal npm build (./pkg, no bench feature) that records everything it hears, each entry
// stamped with the epoch time in ms (performance.timeOrigin + performance.now(), the same clock
// as Date.now() in the driver; run.mjs measures the offset between the two anyway).
//
// The driver calls window.rc.start({ user, options }), then polls window.rc.since(i) for new
// entries and calls window.rc.startAgent(text) to start runs.

import init, { connect } from "./pkg/agentwire.js";

const log = [];
let client = null;

const now = () => performance.timeOrigin + performance.now();

function seqOf(event) {
  // The sequence extension puts `seq` at the frame's root; `raw` is the frame as received.
  const seq = event.raw?.seq;
  return typeof seq === "number" ? seq : null;
}

window.rc = {
  now,

  async start({ user, options = {} }) {
    await init();
    const response = await fetch(`/dev/token?user=${encodeURIComponent(user)}`);
    if (!response.ok) throw new Error(`GET /dev/token: HTTP ${response.status}`);
    const { token } = await response.json();
    client = connect(`ws://${location.host}/ws`, { token, ...options });
    client.onStateChange((state) => {
      const entry = { t: now(), kind: "state", state: state.state };
      if ("attempt" in state) entry.attempt = state.attempt;
      if ("delay_ms" in state) entry.delayMs = state.delay_ms;
      if (state.reason) entry.reason = state.reason;
      log.push(entry);
    });
    client.onDisconnect((d) => log.push({ t: now(), kind: "disconnect", code: d.code, reason: d.reason, cause: d.cause }));
    client.onResume((outcome) => log.push({ t: now(), kind: "resume", ...outcome }));
    client.onFlag((flag) =>
      log.push({ t: now(), kind: "flag", rule: flag.rule, severity: flag.severity, runId: flag.run_id ?? null, message: flag.message }),
    );
    client.on("*", (event) =>
      log.push({
        t: now(),
        kind: "event",
        type: event.type,
        seq: seqOf(event),
        runId: event.run_id ?? null,
        agent: event.agent_name ?? null,
        frame: event.frame,
      }),
    );
    return now();
  },

  startAgent(text) {
    client.startAgent(text);
    return now();
  },

  since(index) {
    return { entries: log.slice(index), next: log.length };
  },

  stats() {
    return client.stats;
  },

  close() {
    client?.close();
  },
};

window.rcReady = true;
