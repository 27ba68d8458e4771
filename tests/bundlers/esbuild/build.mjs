// Bundles main.js with esbuild's JS API into dist/, next to a copy of the shared index.html.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import * as esbuild from "esbuild";

const dist = new URL("./dist/", import.meta.url);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await esbuild.build({
  entryPoints: [new URL("./main.js", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  outdir: dist.pathname,
  // `import wasmUrl from "agentwire/agentwire_bg.wasm"` copies the file into dist/ (with a content
  // hash) and gives its URL.
  loader: { ".wasm": "file" },
  logLevel: "warning",
});
copyFileSync(new URL("../app/index.html", import.meta.url), new URL("index.html", dist));
