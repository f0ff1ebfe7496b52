/**
 * Page numbers over the gateway's cursor paging (`before` = the previous page's
 * `next_before`), for DataViews, which counts pages. Page n can be shown once
 * the cursor that starts it is known: the first page always, every later one
 * once the page before it has been read. DataViews is told there are as many
 * pages as known cursors, so its Next button appears while there is more.
 */
export interface CursorPages {
  /** cursors[n - 1] starts page n; undefined = the newest requests. */
  cursors: (number | undefined)[];
}

export function firstPages(): CursorPages {
  return { cursors: [undefined] };
}

/** The `before` of page n (1-based); null when that page cannot be reached yet. */
export function cursorOf(pages: CursorPages, page: number): number | undefined | null {
  if (page < 1 || page > pages.cursors.length) return null;
  return pages.cursors[page - 1];
}

/** After reading page n: its `next_before` starts page n + 1, or there is no page after it. */
export function afterPage(
  pages: CursorPages,
  page: number,
  nextBefore: number | null,
): CursorPages {
  const cursors = pages.cursors.slice(0, page);
  if (nextBefore !== null) cursors.push(nextBefore);
  return { cursors };
}

export function pageCount(pages: CursorPages): number {
  return pages.cursors.length;
}
