// A chat-like page on the agentwire SDK: it gets a dev token from the server that served it,
// connects, sends what the user types and shows the agent's events as they arrive, with the live
// checker's flags on the side.
//
// Query parameters: `?user=ID` (default `demo-user`), `?ws=URL` (default `/ws`, on this page's host:
// the package resolves a relative URL against the page, http(s) as ws(s)),
// `?thread=ID` (default: a fresh thread per page load).
//
// Everything that comes from the wire is rendered with `textContent`, never as HTML.

import init, { connect, version } from "agentwire";
import type {
  AgentwireError,
  Client,
  ConnectionState,
  Duration,
  Flag,
  JsonValue,
} from "agentwire";

// ---------------------------------------------------------------------------------------------
// Settings from the URL.

const params = new URLSearchParams(location.search);
const userId = params.get("user")?.trim() || "demo-user";
const wsUrl = params.get("ws") ?? "/ws";
const threadId = params.get("thread") ?? `thread-web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

// ---------------------------------------------------------------------------------------------
// DOM helpers.

function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`#${id} is missing from index.html`);
  return element;
}

const chat = byId("chat", HTMLOListElement);
const flagList = byId("flags", HTMLOListElement);
const flagCount = byId("flag-count", HTMLElement);
const noFlags = byId("no-flags", HTMLElement);
const statePill = byId("state", HTMLElement);
const form = byId("composer", HTMLFormElement);
const input = byId("message", HTMLInputElement);
const sendButton = byId("send", HTMLButtonElement);

/** A new element with a class and text (set as text, never parsed as HTML). */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = ""): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text) element.textContent = text;
  return element;
}

/** One entry of the conversation: a label, an optional body (text, or an element built from text)
 * and optional meta text on the right. */
function addItem(kind: string, label: string, body?: string | HTMLElement | null, meta?: string): HTMLLIElement {
  const item = el("li", `item ${kind}`);
  item.dataset.kind = kind;
  const head = el("div", "head");
  head.append(el("span", "label", label));
  head.append(el("span", "meta", meta ?? ""));
  item.append(head);
  if (typeof body === "string" && body) item.append(el("div", "body", body));
  else if (body instanceof HTMLElement) item.append(body);
  pinned(() => chat.append(item));
  return item;
}

/** Runs a change to the conversation, keeping the newest entry in view unless the user has
 * scrolled up to read. */
function pinned(change: () => void): void {
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
  change();
  if (atBottom) chat.scrollTop = chat.scrollHeight;
}

function setMeta(item: HTMLElement, text: string): void {
  const meta = item.querySelector(".meta");
  if (meta) meta.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Formatting wire values.

/** One line of JSON (or the string itself), cut to `max` characters. */
function summarize(value: JsonValue | null | undefined, max = 160): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A duration as sent: milliseconds when the field name says so, else the bare number. */
function formatDuration(duration: Duration | null): string {
  if (!duration) return "";
  if (duration.unit === "milliseconds") {
    return duration.value >= 1000 ? `${(duration.value / 1000).toFixed(1)} s` : `${Math.round(duration.value)} ms`;
  }
  // `unspecified`: the manager's `duration`/`execution_time` may be seconds or milliseconds.
  return `${duration.value} (unit unspecified)`;
}

function describeState(state: ConnectionState): string {
  switch (state.state) {
    case "idle":
      return "idle";
    case "connecting":
      return state.attempt > 1 ? `connecting (attempt ${state.attempt})` : "connecting";
    case "handshaking":
      return "handshaking";
    case "open":
      return "open";
    case "backing_off":
      return `reconnecting in ${Math.max(1, Math.round(state.delay_ms / 1000))} s`;
    case "closed":
      return state.reason.kind === "auth_failed" ? `closed: auth failed (${state.reason.message})` : `closed (${state.reason.kind})`;
  }
}

/** The SDK's errors carry a `code`; the package declares the shape but exports no class to test. */
function isAgentwireError(error: unknown): error is AgentwireError {
  return error instanceof Error && error.name === "AgentwireError" && "code" in error;
}

function errorText(error: unknown): string {
  if (isAgentwireError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// The connection.

function showState(state: ConnectionState): void {
  statePill.dataset.state = state.state;
  statePill.textContent = describeState(state);
  sendButton.disabled = state.state === "closed";
}

function showFlag(flag: Flag): void {
  const item = el("li", `flag ${flag.severity}`);
  item.dataset.severity = flag.severity;
  item.dataset.rule = flag.rule;
  const head = el("div", "head");
  head.append(el("span", `severity ${flag.severity}`, flag.severity));
  head.append(el("code", "rule", flag.rule));
  item.append(head, el("div", "body", flag.message));
  flagList.append(item);
  flagCount.textContent = String(flagList.childElementCount);
  flagCount.dataset.errors = String(flagList.querySelectorAll('[data-severity="error"]').length);
  noFlags.hidden = true;
}

/** Wires the client's events to the page. */
function render(client: Client): void {
  // The first agent started in each run (the manager's supervisor): its `agent_completed` is the
  // final answer, other agents' are sub-agents finishing. By name rather than by counting
  // starts and completions, so a lost or malformed frame cannot turn an answer into a sub-step.
  const rootAgents = new Map<string, string>();
  // Tool calls waiting for their completion, by execution id (or run and tool when absent).
  const pendingTools = new Map<string, HTMLLIElement[]>();
  const runKey = (e: { run_id?: string; thread_id?: string }) => e.run_id ?? e.thread_id ?? "";
  const toolKey = (e: { run_id?: string; tool_name: string | null; execution_id: string | null }) =>
    e.execution_id ?? `${e.run_id ?? ""}/${e.tool_name ?? ""}`;
  const takeTool = (key: string) => {
    const queue = pendingTools.get(key);
    const item = queue?.shift();
    if (queue && queue.length === 0) pendingTools.delete(key);
    return item;
  };

  // Whether the socket that just went away had been open: failed attempts show in the state pill
  // only, not as one notice each.
  let wasOpen = false;
  client.onStateChange((state) => {
    if (state.state === "open") wasOpen = true;
    showState(state);
  });
  client.onFlag(showFlag);
  client.onDisconnect((d) => {
    if (!wasOpen) return;
    wasOpen = false;
    // The SDK reconnects (and resumes) by itself; say so quietly in the conversation.
    const cause = d.cause === "closed" ? "socket closed" : d.cause.replaceAll("_", " ");
    addItem("notice", "Connection lost", `${cause}, code ${d.code}${d.reason ? ` (${d.reason})` : ""}`);
  });
  client.onResume((r) => {
    const detail =
      r.outcome === "recovered"
        ? `${r.replayed} missed frames replayed`
        : r.outcome === "reset"
          ? "the server restarted: what it sent while we were away is unknown"
          : `frames ${r.missing.first}–${r.missing.last} are lost`;
    addItem("notice", `Resumed: ${r.outcome}`, detail);
  });

  client.on("agent_started", (e) => {
    const key = runKey(e);
    if (!rootAgents.has(key)) rootAgents.set(key, e.agent_name ?? "");
    addItem("started", `${e.agent_name ?? "agent"} started`, e.task_description);
  });

  client.on("agent_thinking", (e) => {
    addItem("thinking", `${e.agent_name ?? "agent"} is thinking`, e.reasoning, e.step_number !== null ? `step ${e.step_number}` : "");
  });

  client.on("tool_executing", (e) => {
    const item = addItem("tool", e.tool_name ?? "tool", summarize(e.parameters), "running…");
    item.dataset.done = "false";
    const key = toolKey(e);
    pendingTools.set(key, [...(pendingTools.get(key) ?? []), item]);
  });

  client.on("tool_completed", (e) => {
    const item = takeTool(toolKey(e)) ?? addItem("tool", e.tool_name ?? "tool");
    item.dataset.done = "true";
    if (e.success === false) item.classList.add("failed");
    const took = formatDuration(e.duration);
    setMeta(item, `${e.success === false ? "✗ failed" : "✓ done"}${took ? ` in ${took}` : ""}`);
    const results = summarize(e.results);
    if (results) pinned(() => item.append(el("div", "results", `→ ${results}`)));
  });

  client.on("tool_error", (e) => {
    const item = takeTool(toolKey(e)) ?? addItem("tool", e.tool_name ?? "tool");
    item.dataset.done = "true";
    item.classList.add("failed");
    setMeta(item, "✗ error");
    if (e.error) pinned(() => item.append(el("div", "results", e.error ?? "")));
  });

  client.on("agent_completed", (e) => {
    const key = runKey(e);
    const root = rootAgents.get(key);
    if (root !== undefined && root !== (e.agent_name ?? "")) {
      addItem("finished", `✓ ${e.agent_name ?? "agent"} finished`, summarize(e.final_response), formatDuration(e.duration));
      return;
    }
    rootAgents.delete(key);
    // The answer is a string or any JSON value: show JSON pretty-printed, as text.
    const answer = e.final_response ?? e.result;
    const text = answer === null ? "(no answer)" : typeof answer === "string" ? answer : JSON.stringify(answer, null, 2);
    addItem("answer", e.agent_name ?? "agent", el(typeof answer === "string" ? "div" : "pre", "body", text), formatDuration(e.duration));
  });

  client.on("agent_error", (e) => {
    // A sub-agent failing is part of a run (the supervisor may still answer), not a page error.
    addItem("agent-error", `${e.agent_name ?? "agent"} failed${e.error_type ? ` (${e.error_type})` : ""}`, e.error);
  });

  client.on("agent_death", (e) => {
    rootAgents.delete(runKey(e));
    addItem("agent-error", `${e.agent_name ?? "agent"} died${e.death_cause ? ` (${e.death_cause})` : ""}`, e.message);
  });

  for (const type of ["error", "system_error", "connection_error"] as const) {
    client.on(type, (e) => addItem("error", e.code ?? type, e.message));
  }
}

async function main(): Promise<void> {
  byId("user", HTMLElement).textContent = userId;
  byId("footer", HTMLElement).textContent = `thread ${threadId} · ${wsUrl}`;
  sendButton.disabled = true;
  try {
    await init();
    byId("footer", HTMLElement).textContent += ` · agentwire ${version()}`;
    // A development token from the server that served this page (agentwire serve's dev mode).
    const response = await fetch(`/dev/token?user=${encodeURIComponent(userId)}`);
    if (!response.ok) throw new Error(`GET /dev/token: HTTP ${response.status}`);
    const { token } = (await response.json()) as { user_id: string; token: string };
    const client = connect(wsUrl, { token, threadId });
    render(client);
    sendButton.disabled = false;
    input.focus();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      try {
        // Queued by the SDK until the connection is ready.
        client.sendUserMessage(text);
        addItem("user", "You", text);
        input.value = "";
      } catch (error) {
        addItem("error", "Not sent", errorText(error));
      }
    });
  } catch (error) {
    statePill.dataset.state = "error";
    statePill.textContent = "error";
    addItem("error", "Could not connect", errorText(error));
  }
}

void main();
