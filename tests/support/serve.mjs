// Starts `agentwire serve` on a free loopback port for a Node test or benchmark, serving the
// page from www/, and resolves once it prints its address. Logs go to stderr at `warn` unless
// RUST_LOG says otherwise.
//
//   const { server, base } = await startServe(bin, ["--users", "3"]);   // base: http://127.0.0.1:PORT
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { resolve } from "node:path";

const root = resolve(new URL("../..", import.meta.url).pathname);

export async function startServe(bin, args, { stderr = "inherit" } = {}) {
  const server = spawn(bin, ["serve", "--host", "127.0.0.1", "--port", "0", "--www", resolve(root, "www"), ...args], {
    stdio: ["ignore", "pipe", stderr],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
  });
  const base = await new Promise((done, fail) => {
    createInterface({ input: server.stdout }).on("line", (line) => {
      const match = line.match(/listening on (http:\/\/\S+?)\/? /);
      if (match) done(match[1]);
    });
    server.on("exit", (code) => fail(new Error(`agentwire serve exited (${code}) before listening`)));
  });
  return { server, base };
}
