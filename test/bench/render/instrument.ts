/**
 * Runs in the bench's page before the Chat block's script (bundled by the `render`
 * scenario and added with Playwright's addInitScript). It changes nothing the block
 * does; it records:
 *
 * - every long task (over 50 ms, the browser's own definition) with a PerformanceObserver,
 *   buffered, so tasks before it started count too;
 * - each requestAnimationFrame callback's duration: the block's answer writes at most
 *   once a frame from requestAnimationFrame (streaming-answer.ts), and nothing else on
 *   the page uses it, so each callback is one write of the answer (its scroll included);
 *   and, after it (not timed), the tag of the answer's last element: the block being
 *   written (P, TABLE, PRE, UL, …);
 * - when the log's aria-busy changes: true when the question is sent, false once the
 *   answer is written to its end.
 */

export interface RenderRecord {
  longTasks: { start: number; duration: number }[];
  writes: { at: number; ms: number; open: string }[];
  busy: { at: number; value: string }[];
  /** false when this browser does not report long tasks (the measure would be empty). */
  longTasksSupported: boolean;
}

const record: RenderRecord = {
  longTasks: [],
  writes: [],
  busy: [],
  longTasksSupported: PerformanceObserver.supportedEntryTypes.includes("longtask"),
};
(window as unknown as { __sluiceRender: RenderRecord }).__sluiceRender = record;

if (record.longTasksSupported) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      record.longTasks.push({ start: entry.startTime, duration: entry.duration });
    }
  }).observe({ type: "longtask", buffered: true });
}

const requestFrame = window.requestAnimationFrame.bind(window);
window.requestAnimationFrame = (callback) =>
  requestFrame((time) => {
    const start = performance.now();
    try {
      callback(time);
    } finally {
      const elapsed = performance.now() - start;
      record.writes.push({ at: start, ms: elapsed, open: openBlock() });
    }
  });

function openBlock(): string {
  const bubbles = document.querySelectorAll(
    ".sluice-chat__message--assistant .sluice-chat__bubble",
  );
  return bubbles[bubbles.length - 1]?.lastElementChild?.tagName ?? "";
}

new MutationObserver((mutations) => {
  for (const mutation of mutations) {
    const target = mutation.target as Element;
    if (!target.classList.contains("sluice-chat__log")) continue;
    record.busy.push({ at: performance.now(), value: target.getAttribute("aria-busy") ?? "" });
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["aria-busy"] });
