// Starts `agentwire serve` on a free loopback port for a Node test or benchmark, serving the
// page from www/ (an `--www` in `args` overrides it: the last value of an option wins), and
// resolves once it prints its address. Logs go to stderr at `warn` unless RUST_LOG says
// otherwise; with `stderr: "pipe"` they are kept and shown if the server exits before listening.
// Every server started here is killed when the process exits, however it exits.
//
//   const { server, base } = await startServe(bin, ["--users", "3"]);   // base: http://127.0.0.1:PORT
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { resolve } from "node:path";

const root = resolve(new URL("../..", import.meta.url).pathname);
const started = new Set();

/** Kills `server` (synchronously, so it also works from an `exit` handler). */
export function stopServe(server) {
  if (server.exitCode === null && server.signalCode === null) {
    try {
      server.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
  started.delete(server);
}

process.on("exit", () => {
  for (const server of [...started]) stopServe(server);
});
// A signal ends the process without `exit` handlers unless it is handled: exit through them.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping`);
    process.exit(130);
  });
}

/** Rejects after `ms` with a message naming what was awaited. */
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function startServe(bin, args, { stderr = "inherit", timeoutMs = 15_000 } = {}) {
  const server = spawn(bin, ["serve", "--host", "127.0.0.1", "--port", "0", "--www", resolve(root, "www"), ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", stderr],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
  });
  started.add(server);
  const log = [];
  server.stderr?.setEncoding("utf8").on("data", (chunk) => log.push(chunk));
  const listening = new Promise((done, fail) => {
    createInterface({ input: server.stdout }).on("line", (line) => {
      const match = line.match(/listening on (http:\/\/\S+?)\/? /);
      if (match) done(match[1]);
    });
    server.on("error", fail);
    server.on("exit", (code, signal) =>
      fail(new Error(`agentwire serve exited (${signal ?? code}) before listening\n${log.join("")}`)),
    );
  });
  try {
    const base = await within(timeoutMs, "agentwire serve to print its address", listening);
    return { server, base };
  } catch (error) {
    stopServe(server);
    throw error;
  }
}
