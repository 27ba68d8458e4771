// The Node entry's types: the Node module's (the browser API plus `checkFrames`), plus `resolveUrl`.
export * from "./node/agentwire.js";
export { default } from "./node/agentwire.js";

/** `url` made absolute against the page (in a browser), with http(s) as ws(s), as `connect()` does. */
export function resolveUrl(url: string): string;
