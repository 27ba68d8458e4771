// Vite 6 builds the package with one setting, for the app's top-level `await init()`:
// `build.target: "es2022"` (Vite 5 and 6 default to targets without top-level await).
//
// The dev server (`vite`, not tested here) also needs `optimizeDeps: { exclude: ["agentwire"] }`,
// as in Vite 5 and 7 (see ../vite5/vite.config.js).
import { defineConfig } from "vite";

export default defineConfig({
  // Relative asset URLs: dist/ works wherever it is served from.
  base: "./",
  logLevel: "warn",
  build: { target: "es2022" },
});
