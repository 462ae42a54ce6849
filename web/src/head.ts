/** Each page's title and `<meta name="description">`: set by the app as it navigates, and by the prerender. */

const SITE = "Profile pictures";

const TITLES: Record<string, string> = {
  "/": "Home",
  "/profile": "Your profile",
  "/sign-in": "Sign in",
  "/register": "Create your account",
  "/settings/security": "Security",
  "/settings/account": "Account",
  "/settings/preferences": "Preferences and privacy",
  "/settings/activity": "Account activity",
  "/forgot-password": "Forgot your password?",
  "/reset-password": "Choose a new password",
  "/confirm-email": "Confirm your new email address",
  "/goodbye": "Account deleted",
  "/not-me": "Secure your account",
  "/console": "Admin",
  "/console/users": "Users · Admin",
  "/console/moderation": "Moderation · Admin",
  "/console/audit": "Audit log · Admin",
};

// What a search result says about each page that is meant to be found; the others keep the app's description.
const APP_DESCRIPTION =
  "Your profile picture, uploaded straight from your browser: crop it, and everyone sees it at once.";
const DESCRIPTIONS: Record<string, string> = {
  "/sign-in": "Sign in to change your profile picture, your profile and your account settings.",
  "/register": "Create an account in a few seconds, then pick a profile picture and crop it in your browser.",
  "/forgot-password":
    "Forgot your password? Enter your e-mail address and we will send you a link to choose a new one.",
};

export interface Head {
  title: string;
  description: string;
}

/** The head of the page at `path`; `username` for a public profile (which sets its own once it knows the name). */
export function pageHead(path: string, username: string | null = null): Head {
  if (username !== null)
    return { title: `@${username} · ${SITE}`, description: `@${username}'s profile picture and profile.` };
  return { title: `${TITLES[path] ?? "Not found"} · ${SITE}`, description: DESCRIPTIONS[path] ?? APP_DESCRIPTION };
}

/** The document's `<meta name="description">`, which index.html declares once and each page updates. */
export function setDescription(description: string): void {
  document.querySelector('meta[name="description"]')?.setAttribute("content", description);
}
