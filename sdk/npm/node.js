// agentwire's entry for Node (the `node` export condition): the Node module, which adds
// `checkFrames` (the offline checker agentwire/playwright runs), with entry.js's additions and
// an `init()` that reads the .wasm from the package (Node's `fetch` cannot load a file URL).
// Node 22+ has a global WebSocket; before that, pass one in `connect()`'s `WebSocket` option.
import load, * as glue from "./node/agentwire.js";
import { entry } from "./entry.js";

export * from "./node/agentwire.js";
export { isAgentwireError, resolveUrl } from "./entry.js";

async function loadFromFile(input) {
  if (input === undefined) {
    const { readFile } = await import("node:fs/promises");
    input = { module_or_path: await readFile(new URL("./node/agentwire_bg.wasm", import.meta.url)) };
  }
  return load(input);
}

const api = entry(loadFromFile, glue);
export default api.init;
export const { initSync, connect, version, checkFrames } = api;
