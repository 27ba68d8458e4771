// Rollup resolves the package with @rollup/plugin-node-resolve, but on its own leaves the web
// build's `new URL("agentwire_bg.wasm", import.meta.url)` as it is and does not emit the .wasm (a
// 404 at runtime): @web/rollup-plugin-import-meta-assets emits it and rewrites the URL.
import { readFileSync } from "node:fs";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import { importMetaAssets } from "@web/rollup-plugin-import-meta-assets";

/** Copies the shared index.html into the output (no HTML plugin needed for one static file). */
const indexHtml = {
  name: "index-html",
  generateBundle() {
    this.emitFile({ type: "asset", fileName: "index.html", source: readFileSync("../app/index.html", "utf8") });
  },
};

export default {
  input: "main.js",
  output: { dir: "dist", format: "es", entryFileNames: "main.js" },
  plugins: [nodeResolve(), importMetaAssets(), indexHtml],
};
