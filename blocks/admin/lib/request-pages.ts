/**
 * Pages of the requests table. Page 1 always reads the newest requests, and
 * its answer's `as_of` fixes the moment the table shows; every later page
 * reads `before=as_of` with an offset, so pages keep their rows while new
 * requests arrive (they appear when page 1 is read again).
 */
export interface PageQuery {
  /** Unix ms; absent for page 1. */
  before?: number;
  offset: number;
}

/** What to ask for page n (1-based); null when page 1 must be read first. */
export function pageQuery(
  page: number,
  perPage: number,
  asOf: number | undefined,
): PageQuery | null {
  if (page === 1) return { offset: 0 };
  if (page < 1 || asOf === undefined) return null;
  return { before: asOf, offset: (page - 1) * perPage };
}

/** How many pages `total` requests fill; at least one, for the empty table. */
export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / perPage));
}
