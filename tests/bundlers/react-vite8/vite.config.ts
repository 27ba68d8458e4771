// Vite 8 builds and serves the package with no agentwire-specific configuration (Vite 5 to 7 need
// `optimizeDeps: { exclude: ["agentwire"] }` for the dev server; see ../vite5/vite.config.js).
//
// `npm run build` writes dist/, which `agentwire serve --www tests/bundlers/react-vite8/dist` serves
// next to its WebSocket (`/ws`) and dev token endpoint (`/dev/token`). `npm run dev` serves the
// page from Vite and proxies both to a running `agentwire serve` (AGENTWIRE_SERVER, default
// http://127.0.0.1:8080), so the page's same-origin URLs work there too.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const server = process.env.AGENTWIRE_SERVER ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: dist/ works wherever it is served from.
  base: "./",
  logLevel: "warn",
  server: {
    proxy: {
      "/dev": server,
      "/ws": { target: server.replace(/^http/, "ws"), ws: true },
    },
  },
});
