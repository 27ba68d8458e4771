// agentwire's package entry for Node (the `node` export condition): the browser entry, with an
// `init()` that reads the .wasm from the package, since Node's `fetch` cannot load a file URL.
// Node 22+ has a global WebSocket; before that, pass one in `connect()`'s `WebSocket` option.
import browserInit from "./index.js";

export * from "./index.js";

export default async function init(input) {
  if (input === undefined) {
    const { readFile } = await import("node:fs/promises");
    input = { module_or_path: await readFile(new URL("./web/agentwire_bg.wasm", import.meta.url)) };
  }
  return browserInit(input);
}
