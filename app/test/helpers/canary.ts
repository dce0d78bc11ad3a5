import assert from "node:assert/strict";

/**
 * Asserts that `canary` appears in no log line in any encoding a serializer could have produced: as text (raw or
 * JSON-escaped), hex, base64, base64url, or a byte array (decimal numbers, which every JSON array of numbers in
 * the logs is decoded back from).
 */
export function assertNoCanary(lines: unknown[], canary: string, where = "the logs"): void {
  const text = lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n");
  const bytes = Buffer.from(canary);
  const forms = {
    text: canary,
    json: JSON.stringify(canary).slice(1, -1),
    hex: bytes.toString("hex"),
    HEX: bytes.toString("hex").toUpperCase(),
    base64: bytes.toString("base64").replace(/=+$/, ""),
    base64url: bytes.toString("base64url"),
    decimal: [...bytes].join(","),
    decimalSpaced: [...bytes].join(", "),
  };
  for (const [encoding, form] of Object.entries(forms)) {
    assert.ok(!text.includes(form), `${where} carry the canary as ${encoding}`);
  }
  for (const array of text.matchAll(/\[(\s*\d{1,3}\s*(?:,\s*\d{1,3}\s*)+)\]/g)) {
    const decoded = Buffer.from(array[1].split(",").map(Number)).toString("latin1");
    assert.ok(!decoded.includes(canary), `${where} carry the canary as a byte array`);
  }
}
