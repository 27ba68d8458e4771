// Frames into wasm as UTF-8 (see `utf8` in transport.rs for why this way).
const encoder = new TextEncoder();
let scratch = new Uint8Array(65536);

export function utf8(text) {
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  return scratch.subarray(0, written);
}
