// Frames into wasm as UTF-8 (see `text_of` in transport.rs for why this way).
const encoder = new TextEncoder();

// `text.length` when it is at most `limit`; else -1 - (its UTF-8 length), which is over `limit`
// (a code unit is at least one byte), counted without encoding it.
export function unitsWithin(text, limit) {
  return text.length > limit ? -1 - utf8Length(text) : text.length;
}

// Encodes `text` into `into`, a view of wasm memory with room for all of it: the bytes written.
export function encodeInto(text, into) {
  return encoder.encodeInto(text, into).written;
}

// What `TextEncoder` would write for `text`: a lone surrogate becomes U+FFFD, three bytes.
export function utf8Length(text) {
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
