// useAgentwire: a React hook around one agentwire connection. An example to copy into an app
// (README.md next to this file); it is not part of the agentwire package, which has no React
// dependency.
import init, { connect } from "agentwire";
import type { Client, ConnectOptions, ConnectionState, Delivered, Flag } from "agentwire";
import { useEffect, useState } from "react";

let loading: Promise<unknown> | undefined;

/** Loads the wasm once per page, however many components ask; a failed load is retried by the next call. */
export function initAgentwire(): Promise<unknown> {
  return (loading ??= init().catch((error: unknown) => {
    loading = undefined;
    throw error;
  }));
}

export interface UseAgentwireOptions {
  /** How many of the latest events and flags to keep (default 200 each). */
  keep?: number;
}

export interface Agentwire {
  /** The connection, once the wasm has loaded and `connect()` returned; `null` before and after. */
  client: Client | null;
  /** The connection state, as `client.onStateChange` reports it. */
  state: ConnectionState;
  /** The latest events of this connection, oldest first. */
  events: Delivered[];
  /** The live checker's latest flags of this connection, oldest first. */
  flags: Flag[];
  /** Why the wasm did not load or `connect()` threw (an AgentwireError, e.g. `invalid_options`). */
  error: unknown;
}

const IDLE: ConnectionState = { state: "idle" };

function keepLast<T>(list: T[], item: T, keep: number): T[] {
  const next = list.length >= keep ? list.slice(list.length - keep + 1) : list.slice();
  next.push(item);
  return next;
}

/**
 * Connects to `url` (relative URLs such as `"/ws"` are resolved against the page) while the
 * component is mounted, and closes the connection when it unmounts. `url === null` stays
 * disconnected (while waiting for a token, say).
 *
 * A new connection (with empty `events` and `flags`) is made when `url` or `options` change;
 * `options` are compared as JSON, so an object literal written inline does not reconnect on every
 * render. Functions in them (`getToken`) and `signal` are taken from the render that connected.
 */
export function useAgentwire(
  url: string | null,
  options?: ConnectOptions,
  { keep = 200 }: UseAgentwireOptions = {},
): Agentwire {
  const [client, setClient] = useState<Client | null>(null);
  const [state, setState] = useState<ConnectionState>(IDLE);
  const [events, setEvents] = useState<Delivered[]>([]);
  const [flags, setFlags] = useState<Flag[]>([]);
  const [error, setError] = useState<unknown>(null);
  const optionsKey = JSON.stringify(options ?? null);

  useEffect(() => {
    if (url === null) return undefined;
    // StrictMode (development) mounts, unmounts and mounts again: the first mount's cleanup runs
    // before the wasm has loaded, so it never connects, and a cleanup after connecting closes.
    let cancelled = false;
    let active: Client | null = null;
    const unsubscribe: (() => void)[] = [];
    initAgentwire()
      .then(() => {
        if (cancelled) return;
        const next = connect(url, options);
        active = next;
        unsubscribe.push(
          next.onStateChange(setState),
          next.on("*", (event) => setEvents((list) => keepLast(list, event, keep))),
          next.onFlag((flag) => setFlags((list) => keepLast(list, flag, keep))),
        );
        setEvents([]);
        setFlags([]);
        setError(null);
        setState(next.state);
        setClient(next);
      })
      .catch((failure: unknown) => {
        if (!cancelled) setError(failure);
      });
    return () => {
      cancelled = true;
      for (const off of unsubscribe) off();
      if (active !== null) void active.close();
      setClient(null);
      setState(IDLE);
    };
    // `options` is represented by optionsKey (see above).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url, optionsKey, keep]);

  return { client, state, events, flags, error };
}
