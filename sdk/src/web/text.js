// Frames into wasm as UTF-8 (see `utf8` in transport.rs for why this way).
const encoder = new TextEncoder();
// Reused from frame to frame, up to KEEP bytes: a buffer for a longer frame is made for it
// alone, so one long frame does not hold its size for the page's lifetime.
const KEEP = 1 << 20;
let scratch = new Uint8Array(65536);

// `text` as UTF-8 bytes, or, when it has more than `limit` code units (so more than `limit`
// bytes), its UTF-8 length without encoding it.
export function utf8(text, limit) {
  if (text.length > limit) return utf8Length(text);
  const needed = text.length * 3;
  let buffer = scratch;
  if (buffer.length < needed) {
    buffer = new Uint8Array(needed);
    if (needed <= KEEP) scratch = buffer;
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
