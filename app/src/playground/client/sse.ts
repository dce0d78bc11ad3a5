/**
 * Server-sent events, reduced to what a chat stream needs: the `data` of each event, in order, as it arrives.
 * Shared by the browser playground and the terminal client, so it uses only what both have (fetch streams,
 * TextDecoder). Comments, `event:`, `id:` and `retry:` fields are skipped: OpenAI's stream uses none of them.
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A CR at the very end may be the first half of a CRLF still in flight: keep it for the next chunk.
      const lines = pending.split(/\r\n|\r(?!$)|\n/);
      pending = done ? "" : lines.pop()!;
      for (const line of lines) {
        if (line === "") {
          if (data.length > 0) yield data.join("\n");
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        }
      }
      if (done) {
        // A stream cut without its final blank line still delivers what it completed.
        if (data.length > 0) yield data.join("\n");
        return;
      }
    }
  } finally {
    // Stops reading (and lets fetch close the connection) when the consumer leaves early.
    await reader.cancel().catch(() => undefined);
  }
}
