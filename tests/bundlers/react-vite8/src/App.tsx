// The React example: a dev token from `agentwire serve`, a connection through useAgentwire, a
// button that sends a message, and every event and flag rendered as text. tests/bundlers.mjs
// clicks the button and waits for data-result="ok" (an `agent_completed` arrived).
import type { Delivered } from "agentwire";
import { useEffect, useState } from "react";
import { useAgentwire } from "./useAgentwire";

/** What the simulated manager echoes into its thinking events: it must show up as text. */
const MESSAGE = `hello from react-vite8 <img src=x onerror="window.__xss=1">`;

function summary(event: Delivered): string {
  switch (event.type) {
    case "agent_thinking":
      return event.reasoning ?? "";
    case "tool_executing":
    case "tool_completed":
      return event.tool_name ?? "";
    case "agent_completed":
      return typeof event.final_response === "string"
        ? event.final_response
        : JSON.stringify(event.final_response);
    default:
      return "";
  }
}

function useDevToken(user: string): { token: string | null; error: string | null } {
  const [token, setToken] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    fetch(`/dev/token?user=${encodeURIComponent(user)}`)
      .then(async (response) => {
        if (!response.ok) throw new Error(`GET /dev/token: HTTP ${response.status}`);
        const body = (await response.json()) as { token: string };
        if (!cancelled) setToken(body.token);
      })
      .catch((failure: unknown) => {
        if (!cancelled) setError(String(failure));
      });
    return () => {
      cancelled = true;
    };
  }, [user]);
  return { token, error };
}

export function App() {
  const dev = useDevToken("bundler-user");
  const { client, state, events, flags, error } = useAgentwire(
    dev.token === null ? null : "/ws",
    dev.token === null ? undefined : { token: dev.token },
  );

  const failure = dev.error ?? (error === null ? null : String(error));
  const completed = events.some((event) => event.type === "agent_completed");
  const errorFlags = flags.filter((flag) => flag.severity === "error");
  const result = failure !== null ? `error: ${failure}` : completed ? "ok" : undefined;

  return (
    <main
      id="app"
      data-result={result}
      data-errors={errorFlags.length > 0 ? errorFlags.map((f) => `${f.rule}: ${f.message}`).join("\n") : undefined}
    >
      <h1>agentwire + React</h1>
      <p>
        connection: <span id="state" data-state={state.state}>{state.state}</span>
      </p>
      <button id="send" type="button" disabled={client === null} onClick={() => client?.sendUserMessage(MESSAGE)}>
        Send “{MESSAGE}”
      </button>
      {failure !== null && <p id="failure">{failure}</p>}
      <h2>Events</h2>
      <ol id="events">
        {events.map((event) => (
          <li key={event.frame} data-type={event.type}>
            {event.type} {summary(event)}
          </li>
        ))}
      </ol>
      <h2>Flags</h2>
      <ol id="flags">
        {flags.map((flag, index) => (
          <li key={index} data-severity={flag.severity}>
            [{flag.severity}] {flag.rule}: {flag.message}
          </li>
        ))}
      </ol>
    </main>
  );
}
