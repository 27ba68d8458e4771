// Vite 5 builds the package with no agentwire-specific configuration, as long as the app calls
// `await init()` inside a function: a top-level `await init()` would also need
// `build: { target: "es2022" }` (Vite 5 and 6 default to es2020 and the like, without top-level await).
//
// The dev server (`vite`, not tested here) also needs `optimizeDeps: { exclude: ["agentwire"] }`
// (in Vite 5, 6 and 7; Vite 8 does without): pre-bundling moves the package's glue into
// node_modules/.vite/deps, away from its .wasm, and its `new URL("agentwire_bg.wasm",
// import.meta.url)` then fetches a .wasm that is not there (the dev server answers with its HTML:
// "expected magic word 00 61 73 6d").
import { defineConfig } from "vite";

export default defineConfig({
  // Relative asset URLs: dist/ works wherever it is served from.
  base: "./",
  logLevel: "warn",
});
