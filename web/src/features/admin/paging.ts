/** A list the console grows with "Load more": the rows so far, the service's cursor, and whether that was all. */
export interface Paged<T> {
  items: T[];
  /** The next page's cursor; null once the last page is in. */
  cursor: string | null;
  done: boolean;
}

export function emptyPaged<T>(): Paged<T> {
  return { items: [], cursor: null, done: false };
}

/**
 * Append the next page, each row once (by `key`): a row can come twice when the list moved between two
 * requests (a keyset page after a row was inserted or a retried request).
 */
export function appendPaged<T>(
  list: Paged<T>,
  items: T[],
  nextCursor: string | null,
  key: (item: T) => string,
): Paged<T> {
  const seen = new Set(list.items.map(key));
  return {
    items: [...list.items, ...items.filter((item) => !seen.has(key(item)))],
    cursor: nextCursor,
    done: nextCursor === null,
  };
}
