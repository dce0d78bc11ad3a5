/**
 * Input tokens of images and documents, estimated from their bytes the way Bedrock's Claude models count them, for
 * what is charged when a stream is cut before Bedrock reports the real count. Text counts one token per four
 * characters (chat-request.ts); attachments would otherwise count as nothing, and a budget could be escaped with
 * large documents cut after the first delta.
 *
 * - Images: Anthropic's vision documentation gives tokens ≈ width × height / 750, for images the model sees at most
 *   1.15 megapixels (larger ones are scaled down first), so at most about 1,600 tokens an image
 *   (https://docs.anthropic.com/en/docs/build-with-claude/vision#calculate-image-costs). The size is read from the
 *   image's header (PNG, JPEG, GIF, WebP); when it cannot be read, the maximum is charged.
 * - Documents: Bedrock's Converse extracts a document's text and the model reads that text
 *   (https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-call.html, DocumentBlock). The
 *   extracted text is not known here, so a document counts like text of its size: one token per four bytes. For plain
 *   text formats that is the text's own estimate; for PDF and Office files it is conservative (their bytes include
 *   layout and compression that yield less text), which is the safe side for a budget.
 */
export const MAX_IMAGE_TOKENS = 1600;
const PIXELS_PER_TOKEN = 750;
export const BYTES_PER_DOCUMENT_TOKEN = 4;

export function imageTokens(bytes: Uint8Array): number {
  const size = imageSize(bytes);
  if (!size) return MAX_IMAGE_TOKENS;
  return Math.max(1, Math.min(MAX_IMAGE_TOKENS, Math.ceil((size.width * size.height) / PIXELS_PER_TOKEN)));
}

export function documentTokens(bytes: Uint8Array): number {
  return Math.ceil(bytes.length / BYTES_PER_DOCUMENT_TOKEN);
}

interface Size {
  width: number;
  height: number;
}

/** Width and height from the image's header; undefined for anything it cannot read. */
function imageSize(b: Uint8Array): Size | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ascii = (at: number, text: string) => b.length >= at + text.length && [...text].every((c, i) => b[at + i] === c.charCodeAt(0));
  if (ascii(1, "PNG") && b.length >= 24) return { width: view.getUint32(16), height: view.getUint32(20) };
  if (ascii(0, "GIF8") && b.length >= 10) return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  if (ascii(0, "RIFF") && ascii(8, "WEBP") && b.length >= 30) {
    if (ascii(12, "VP8X")) return { width: 1 + uint24(b, 24), height: 1 + uint24(b, 27) };
    if (ascii(12, "VP8 ")) return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
    if (ascii(12, "VP8L")) {
      const bits = view.getUint32(21, true);
      return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
    }
    return undefined;
  }
  if (b[0] === 0xff && b[1] === 0xd8) return jpegSize(b, view);
  return undefined;
}

const uint24 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);

/** A JPEG's size is in its start-of-frame segment (SOF0-SOF15 except DHT, JPG and DAC), after the other segments. */
function jpegSize(b: Uint8Array, view: DataView): Size | undefined {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    }
    at += 2 + view.getUint16(at + 2);
  }
  return undefined;
}
