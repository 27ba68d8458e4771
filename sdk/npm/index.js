// agentwire's entry for browsers and bundlers: the web module with entry.js's additions.
import load, * as glue from "./web/agentwire.js";
import { entry } from "./entry.js";

export * from "./web/agentwire.js";
export { isAgentwireError, resolveUrl } from "./entry.js";

const api = entry(load, glue);
export default api.init;
export const { initSync, connect, version } = api;
