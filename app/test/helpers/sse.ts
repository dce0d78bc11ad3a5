/** One server-sent event as a client reads it. */
export interface SseEvent {
  event: string;
  data: any;
}

/**
 * Parses a complete `text/event-stream` body strictly: every event is `event: <name>\ndata: <JSON>\n\n`, and the
 * body ends with the blank line of its last event, so a truncated or malformed frame fails the test.
 */
export function parseSse(text: string): SseEvent[] {
  if (text === "") return [];
  if (!text.endsWith("\n\n")) throw new Error(`stream does not end with a blank line: ${JSON.stringify(text.slice(-80))}`);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((frame) => {
      const match = /^event: ([a-z_]+)\ndata: (.*)$/s.exec(frame);
      if (!match || match[2].includes("\n")) throw new Error(`malformed frame: ${JSON.stringify(frame.slice(0, 200))}`);
      return { event: match[1], data: JSON.parse(match[2]) };
    });
}
