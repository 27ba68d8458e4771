// esbuild does not emit files referenced as `new URL("x.wasm", import.meta.url)`, so the web
// build's default .wasm location would 404. Import the .wasm through the package's
// "./agentwire_bg.wasm" export with the `file` loader (build.mjs) instead, and hand its URL to
// init(). The loader's path is relative to the output directory, so resolve it against the bundle
// (which is in that directory), not against the page.
import init, { connect, isAgentwireError } from "agentwire";
import wasmUrl from "agentwire/agentwire_bg.wasm";
import { run } from "../app/app.js";

run({ init, connect, isAgentwireError }, "esbuild", { module_or_path: new URL(wasmUrl, import.meta.url) });
