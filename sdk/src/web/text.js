// Frames into wasm as UTF-8 (see `utf8` in transport.rs for why this way).
const encoder = new TextEncoder();
// The reused buffer grows up to KEEP bytes, enough for the 1 MiB frames a manager may send at
// three bytes a code unit; a longer frame gets a buffer of its exact size, made for it alone, so
// one long frame does not hold memory for the page's lifetime.
const KEEP = 3 << 20;
let scratch = new Uint8Array(65536);

// `text` as UTF-8 bytes, or its UTF-8 length when that is over `limit` (nothing encoded then).
export function utf8(text, limit) {
  // More code units than `limit` is more bytes than `limit`.
  if (text.length > limit) return utf8Length(text);
  let buffer = scratch;
  if (text.length * 3 > buffer.length) {
    if (text.length * 3 <= KEEP) {
      buffer = scratch = new Uint8Array(Math.min(KEEP, Math.max(text.length * 3, buffer.length * 2)));
    } else {
      const length = utf8Length(text);
      if (length > limit) return length;
      buffer = new Uint8Array(length);
    }
  }
  const { written } = encoder.encodeInto(text, buffer);
  return buffer.subarray(0, written);
}

// What `TextEncoder` would write for `text`: a lone surrogate becomes U+FFFD, three bytes.
function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit < 0xdc00 && unit >= 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
