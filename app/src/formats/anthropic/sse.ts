/** One server-sent event as Anthropic frames them: the event name, then its JSON (which carries the same `type`). */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export const SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8";
