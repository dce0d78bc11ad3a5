import type { ServerResponse } from "node:http";
import { finished } from "node:stream";
import type { ActiveStreams, Abortable } from "./active-streams";
import { fromBedrockError, fromStreamError } from "./bedrock-errors";
import { ApiError, ClientClosedError, UpstreamIdleTimeoutError } from "../http/errors";

/**
 * The lifetime of one Bedrock call made for one client request.
 *
 * Why: a Bedrock call that outlives its client keeps generating (and billing) tokens nobody reads. One
 * AbortController, passed to the SDK as `abortSignal`, is aborted the moment the client's connection closes, the
 * upstream goes silent for too long, shutdown runs out of grace, or the request ends for any other reason. Every
 * wait on the upstream is raced against that signal, so an abort takes effect at once even when the SDK would keep
 * waiting on a hung socket; the abort reason is the error the request finally reports.
 */
export class UpstreamCall implements Abortable {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  /**
   * Per-event costs are per streamed token, so the wait on each event allocates as little as possible: one abort
   * listener and one idle timer serve the whole call (instead of a listener and a timer per event), and the step
   * being awaited is rejected through `rejectWaiting`.
   */
  private rejectWaiting: ((reason: unknown) => void) | undefined;
  /** Whether an upstream step is being awaited: silence only counts while we wait on Bedrock, not on the client. */
  private waiting = false;
  /** Bedrock's request id (`x-amzn-requestid`), once it answered: failures in its stream are logged with it. */
  private upstreamRequestId: string | undefined;
  /** Re-armed (`refresh`) at each step; firing while no step is awaited does nothing. Cleared by `dispose`. */
  private readonly idleTimer: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly registry: ActiveStreams,
    private readonly idleTimeoutMs: number,
  ) {
    res.once("close", this.onResponseClose);
    registry.add(this);
    this.signal.addEventListener("abort", () => this.rejectWaiting?.(this.signal.reason), { once: true });
    this.idleTimer = setTimeout(this.onIdle, idleTimeoutMs);
  }

  private readonly onResponseClose = (): void => {
    if (!this.res.writableFinished) this.abort(new ClientClosedError());
  };

  private readonly onIdle = (): void => {
    if (this.waiting) this.abort(new UpstreamIdleTimeoutError(this.idleTimeoutMs));
  };

  /** Aborts the call; the first reason wins and becomes the request's outcome. */
  abort(reason: Error): void {
    if (!this.signal.aborted) this.controller.abort(reason);
  }

  /**
   * The error to report for a failure: the abort reason when the call was aborted, else the error itself, mapped
   * when it is Bedrock's (with Bedrock's request id for the log).
   */
  explain(err: unknown): unknown {
    if (this.signal.aborted) return this.signal.reason;
    if (err instanceof ApiError) return err;
    return fromBedrockError(err, this.upstreamRequestId) ?? err;
  }

  /**
   * Awaits one upstream step (the response, or the next event) within the idle timeout. Settles like `step` (its
   * error passed through `mapError`), or rejects with the abort reason as soon as the call is aborted.
   */
  upstream<T>(step: Promise<T>, mapError: (err: unknown) => unknown = (err) => err): Promise<T> {
    if (this.signal.aborted) {
      step.catch(() => undefined);
      return Promise.reject(this.signal.reason);
    }
    this.waiting = true;
    this.idleTimer.refresh();
    return new Promise<T>((resolve, reject) => {
      this.rejectWaiting = reject;
      const settled = () => {
        if (this.rejectWaiting !== reject) return;
        this.waiting = false;
        this.rejectWaiting = undefined;
      };
      step.then(
        (value) => {
          settled();
          this.upstreamRequestId ??= requestIdOf(value);
          resolve(value);
        },
        (err: unknown) => {
          settled();
          reject(mapError(err));
        },
      );
    });
  }

  /** A frame the SDK cannot decode is Bedrock's fault, not ours. */
  private readonly streamError = (err: unknown): unknown =>
    this.signal.aborted ? this.signal.reason : fromStreamError(err, this.upstreamRequestId);

  /**
   * Iterates an upstream event stream, each event awaited through {@link upstream}. A plain iterator, not an async
   * generator, and failures mapped inside the one promise per step: this runs once per streamed token, and a
   * generator layer or a `.catch` per event would add promises to every step.
   */
  events<T>(stream: AsyncIterable<T>): AsyncIterableIterator<T> {
    const iterator = stream[Symbol.asyncIterator]();
    const events: AsyncIterableIterator<T> = {
      [Symbol.asyncIterator]: () => events,
      next: () => this.upstream(iterator.next(), this.streamError),
      return: (value?: unknown) => {
        // Not awaited, and not what cancels Bedrock (`dispose` aborts the call): the SDK's wrapper generator may still
        // be suspended on a read the abort is tearing down.
        iterator.return?.().catch(() => undefined);
        return Promise.resolve({ done: true, value: value as T });
      },
    };
    return events;
  }

  /**
   * Ends the call: cancels the Bedrock request if it is still running. The call stays registered until its response
   * is completely sent (the error sink may still be writing a last line), so shutdown never cuts that line off.
   */
  dispose(): void {
    clearTimeout(this.idleTimer);
    this.res.off("close", this.onResponseClose);
    this.abort(new Error("request finished"));
    finished(this.res, () => this.registry.delete(this));
  }
}

/** `$metadata.requestId` of an SDK response, if that is what `value` is. */
function requestIdOf(value: unknown): string | undefined {
  const id = (value as { $metadata?: { requestId?: unknown } } | undefined)?.$metadata?.requestId;
  return typeof id === "string" ? id : undefined;
}
