import { ChatError } from "../client/chat-error";
import { type ChatMessage, listModels, streamChat } from "../client/chat-stream";
import { formatStats } from "../client/reply-stats";

/**
 * The playground page's script (bundled into the page and allowed by its CSP hash). It keeps the conversation in
 * memory, the API key in this tab's session storage only, and writes each piece of reply text into the page as it
 * arrives, so a reader sees exactly the stream's pace.
 */

const KEY_STORAGE = "chat-playground.api-key";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  endpoint: $<HTMLElement>("endpoint"),
  apiKey: $<HTMLInputElement>("api-key"),
  model: $<HTMLSelectElement>("model"),
  modelName: $<HTMLParagraphElement>("model-name"),
  system: $<HTMLTextAreaElement>("system"),
  maxTokens: $<HTMLInputElement>("max-tokens"),
  temperature: $<HTMLInputElement>("temperature"),
  newChat: $<HTMLButtonElement>("new-chat"),
  transcript: $<HTMLOListElement>("transcript"),
  error: $<HTMLParagraphElement>("error"),
  status: $<HTMLParagraphElement>("status"),
  composer: $<HTMLFormElement>("composer"),
  prompt: $<HTMLTextAreaElement>("prompt"),
  send: $<HTMLButtonElement>("send"),
  stop: $<HTMLButtonElement>("stop"),
};

/** The stage URL: the page lives at `<stage>/playground`, and the API beside it. */
const baseUrl = `${location.origin}${location.pathname.replace(/\/playground\/?$/, "/")}`;
const history: ChatMessage[] = [];
let running: AbortController | undefined;

function showError(message: string | undefined): void {
  ui.error.textContent = message ?? "";
  ui.error.hidden = !message;
}

function numberField(input: HTMLInputElement): number | undefined {
  return input.value.trim() === "" ? undefined : Number(input.value);
}

function apiKey(): string | undefined {
  return ui.apiKey.value.trim() || undefined;
}

async function loadModels(): Promise<void> {
  try {
    const models = await listModels(baseUrl, apiKey());
    const selected = ui.model.value;
    ui.model.replaceChildren(...models.map((id, index) => new Option(index === 0 ? `${id} (default)` : id, id)));
    if (models.includes(selected)) ui.model.value = selected;
    showModelName();
    showError(undefined);
  } catch (error) {
    // A deployment asks for the key before it lists anything: that is the next step, not a failure.
    if (error instanceof ChatError && error.kind === "auth" && !apiKey()) ui.status.textContent = "Type the API key to start.";
    else showError(`Could not list the models: ${(error as Error).message}`);
  }
}

/**
 * The chosen model's whole name, wrapped under the picker: a closed `<select>` cuts Bedrock IDs such as
 * `global.anthropic.claude-haiku-4-5-20251001-v1:0` to its width (on a phone, to half of one).
 */
function showModelName(): void {
  ui.modelName.textContent = ui.model.selectedOptions[0]?.textContent ?? "";
}

/** One `<li>` of the transcript; returns the element the text goes into. */
function addTurn(role: "user" | "assistant", text: string): { item: HTMLLIElement; body: HTMLDivElement } {
  const item = document.createElement("li");
  item.className = `turn ${role}`;
  const heading = document.createElement("h3");
  heading.textContent = role === "user" ? "You" : "Assistant";
  const body = document.createElement("div");
  body.className = "text";
  body.textContent = text;
  item.append(heading, body);
  ui.transcript.append(item);
  return { item, body };
}

function setRunning(controller: AbortController | undefined): void {
  running = controller;
  ui.send.disabled = controller !== undefined;
  ui.stop.disabled = controller === undefined;
}

async function send(): Promise<void> {
  const prompt = ui.prompt.value.trim();
  if (!prompt || running) return;
  showError(undefined);
  addTurn("user", prompt);
  ui.prompt.value = "";
  const turn: ChatMessage = { role: "user", content: prompt };
  const reply = addTurn("assistant", "");
  reply.item.setAttribute("aria-busy", "true");
  let reasoning: HTMLElement | undefined;
  const controller = new AbortController();
  setRunning(controller);
  ui.status.textContent = "Waiting for the first token…";
  try {
    const result = await streamChat({
      baseUrl,
      apiKey: apiKey(),
      messages: [...history, turn],
      settings: {
        model: ui.model.value || undefined,
        system: ui.system.value.trim() || undefined,
        maxTokens: numberField(ui.maxTokens),
        temperature: numberField(ui.temperature),
      },
      signal: controller.signal,
      onText: (text) => {
        if (!reply.body.firstChild) ui.status.textContent = "Streaming…";
        // A text node per piece: the page shows each one the moment it arrives.
        reply.body.append(text);
      },
      onReasoning: (text) => {
        if (!reasoning) {
          const details = document.createElement("details");
          details.className = "reasoning";
          details.append(Object.assign(document.createElement("summary"), { textContent: "Reasoning" }));
          reasoning = details.appendChild(document.createElement("div"));
          reply.body.before(details);
        }
        reasoning.append(text);
      },
    });
    const stats = reply.item.appendChild(document.createElement("p"));
    stats.className = "stats";
    stats.textContent = formatStats(result.stats);
    // A stopped reply stays in the conversation only if it said something (an empty assistant turn is invalid).
    if (result.text) history.push(turn, { role: "assistant", content: result.text });
    ui.status.textContent = result.stopped ? "Stopped." : "Reply complete.";
  } catch (error) {
    reply.item.classList.add("failed");
    showError((error as Error).message);
    ui.status.textContent = "";
    // Nothing reached the conversation: give the prompt back for a retry.
    if (!ui.prompt.value) ui.prompt.value = prompt;
  } finally {
    reply.item.removeAttribute("aria-busy");
    setRunning(undefined);
  }
}

ui.endpoint.textContent = baseUrl;
ui.apiKey.value = sessionStorage.getItem(KEY_STORAGE) ?? "";
ui.apiKey.addEventListener("input", () => {
  if (ui.apiKey.value) sessionStorage.setItem(KEY_STORAGE, ui.apiKey.value);
  else sessionStorage.removeItem(KEY_STORAGE);
});
ui.model.addEventListener("change", showModelName);
// A new key may see other models (or be the first one that is accepted).
ui.apiKey.addEventListener("change", () => void loadModels());
ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  void send();
});
ui.prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && running) running.abort();
});
ui.stop.addEventListener("click", () => {
  running?.abort();
  ui.prompt.focus();
});
ui.newChat.addEventListener("click", () => {
  running?.abort();
  history.length = 0;
  ui.transcript.replaceChildren();
  showError(undefined);
  ui.status.textContent = "New conversation.";
  ui.prompt.focus();
});
void loadModels();
ui.prompt.focus();

