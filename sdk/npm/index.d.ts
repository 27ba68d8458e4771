// The browser entry's types: the web module's, plus `resolveUrl`.
export * from "./web/agentwire.js";
export { default } from "./web/agentwire.js";

/** `url` made absolute against the page (in a browser), with http(s) as ws(s), as `connect()` does. */
export function resolveUrl(url: string): string;
