/**
 * How updates from the core reach React: gathered and applied at most once per animation frame, so a
 * burst of messages costs one render rather than one per message.
 *
 * `?batching=off` in the page's address turns the coalescing off (every event is applied at once, in
 * its own render): the baseline of the Chromium frame-time benchmark, which compares the two.
 */
export const FRAME_BATCHING: boolean = (() => {
  try {
    return new URLSearchParams(globalThis.location?.search ?? '').get('batching') !== 'off';
  } catch {
    return true;
  }
})();

/** Runs `flush` on the next animation frame (once, however often it is asked), or at once with batching off. */
export interface FrameScheduler {
  schedule(): void;
  cancel(): void;
}

export function frameScheduler(flush: () => void, batching: boolean = FRAME_BATCHING): FrameScheduler {
  let frame: number | undefined;
  return {
    schedule(): void {
      if (!batching) {
        flush();
        return;
      }
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        flush();
      });
    },
    cancel(): void {
      if (frame !== undefined) cancelAnimationFrame(frame);
      frame = undefined;
    },
  };
}
