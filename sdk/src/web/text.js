// Frames into wasm as UTF-8 bytes: the engine's encoder into a reused buffer, then one block
// copy. wasm-bindgen's own string passing copies ASCII one `charCodeAt` at a time (about three
// times slower for the frames a manager sends), and `TextEncoder.encode` allocates a buffer per
// frame. Lone surrogates become U+FFFD, as in wasm-bindgen's encoding.
const encoder = new TextEncoder();
let scratch = new Uint8Array(64 * 1024);

export function utf8(text) {
  // A UTF-16 code unit is at most three UTF-8 bytes.
  if (scratch.length < text.length * 3) {
    scratch = new Uint8Array(text.length * 3);
  }
  const { written } = encoder.encodeInto(text, scratch);
  return scratch.subarray(0, written);
}
