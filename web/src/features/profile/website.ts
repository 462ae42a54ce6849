/** The website field: what the service accepts, with a missing scheme filled in. */
export const WEBSITE_MAX = 200;

/** "" or an absolute http(s) address (what the service accepts); a missing scheme gets https://. */
export function websiteInput(raw: string): { value: string | null; error?: string } {
  const text = raw.trim();
  if (!text) return { value: null };
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return { value: null, error: "Use a web address starting with https://." };
    if (!url.hostname.includes(".") && url.hostname !== "localhost")
      return { value: null, error: "Enter a full web address, like https://example.com." };
    if (withScheme.length > WEBSITE_MAX) return { value: null, error: `At most ${WEBSITE_MAX} characters.` };
    return { value: withScheme };
  } catch {
    return { value: null, error: "Enter a full web address, like https://example.com." };
  }
}
