/** The document's `<meta name="description">`, which index.html declares once and each page updates. */
export function setDescription(description: string): void {
  document.querySelector('meta[name="description"]')?.setAttribute("content", description);
}
