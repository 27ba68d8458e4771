// Vite 7 builds the package, top-level `await init()` included, with no agentwire-specific
// configuration. The dev server (`vite`, not tested here) still needs
// `optimizeDeps: { exclude: ["agentwire"] }` (see ../vite5/vite.config.js); Vite 8 does without.
import { defineConfig } from "vite";

export default defineConfig({
  // Relative asset URLs: dist/ works wherever it is served from.
  base: "./",
  logLevel: "warn",
});
