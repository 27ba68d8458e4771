// Vite config for the agentwire example app.
//
// `npm run build` writes dist/, which `agentwire serve --www www/example/dist` serves at `/` next to
// its WebSocket (`/ws`) and dev token endpoint (`/dev/token`), so the page talks to its own origin.
//
// `npm run dev` serves the page from Vite and proxies `/ws` and `/dev` to a running
// `agentwire serve` (AGENTWIRE_SERVER, default http://127.0.0.1:8080), so the page's same-origin
// URLs work there too.
import { fileURLToPath } from "node:url";
import { defineConfig, searchForWorkspaceRoot } from "vite";

const server = process.env.AGENTWIRE_SERVER ?? "http://127.0.0.1:8080";
// `"agentwire": "file:../../sdk/pkg"` is a symlink, and Vite resolves it to its real path, outside
// this project: the dev server must be allowed to serve files (the .wasm) from there.
const sdkPkg = fileURLToPath(new URL("../../sdk/pkg", import.meta.url));

export default defineConfig({
  // Relative asset URLs: dist/ works wherever it is served from.
  base: "./",
  build: {
    target: "es2022",
    // The wasm is loaded with `new URL("agentwire_bg.wasm", import.meta.url)`; keep it a file.
    assetsInlineLimit: 0,
  },
  // Pre-bundling would move agentwire.js away from its .wasm and break that `new URL(...)`.
  optimizeDeps: { exclude: ["agentwire"] },
  server: {
    fs: { allow: [searchForWorkspaceRoot(process.cwd()), sdkPkg] },
    proxy: {
      "/dev": server,
      "/ws": { target: server.replace(/^http/, "ws"), ws: true },
    },
  },
});
