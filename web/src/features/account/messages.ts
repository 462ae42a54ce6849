/** Plain-words messages for the account pages, from the auth service's problem details. */
import { suspendedMessage } from "../../api/auth";
import { ApiError } from "../../api/problem";
import { formatWait } from "../../api/wait";

export type FormErrors = Partial<Record<string, string>>;

function wait(error: ApiError): string {
  return `Too many attempts. Please try again ${formatWait(error.retryAfter)}.`;
}

/**
 * Errors of a form that re-checks the password and/or a code (password change, e-mail change, MFA, deletion):
 * keyed by the field to show them under, or `form`.
 */
export function reauthErrors(error: unknown, fields: Record<string, string> = {}): FormErrors {
  // A session that outlived its account's suspension is refused the step-up too: say why.
  const suspended = suspendedMessage(error);
  if (suspended) return { form: suspended };
  if (error instanceof ApiError) {
    if (error.status === 429) return { form: wait(error) };
    const field = error.problem.field;
    if (field === "password") return { [fields.password ?? "password"]: "That password isn't right." };
    if (field === "code") {
      return {
        [fields.code ?? "code"]:
          error.status === 400 && /required/i.test(error.message)
            ? "Enter the code from your authenticator app, or a recovery code."
            : "That code didn't work. It may be wrong, expired or already used.",
      };
    }
    const out: FormErrors = {};
    for (const [key, message] of Object.entries(error.fieldMessages())) out[fields[key] ?? key] = message;
    if (Object.keys(out).length > 0) return out;
    if (error.status >= 500) return { form: "That didn't work right now. Please try again shortly." };
    return { form: error.message };
  }
  return { form: error instanceof Error ? error.message : "Something went wrong." };
}

/** What went wrong with an e-mailed link (reset, e-mail confirmation). */
export function linkMessage(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.problem.reason) {
      case "used_token":
        return "This link has already been used. Each link works once.";
      case "expired_token":
        return "This link has expired. Ask for a new one.";
      case "invalid_token":
        return "This link isn't valid. Check that you copied all of it, or ask for a new one.";
      case "wrong_account":
        return "This link was sent for a different account. Sign out, then sign in as the account that asked for it.";
    }
    if (error.status === 429) return wait(error);
    if (error.status >= 500) return "That didn't work right now. Please try again shortly.";
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}

/** The second sign-in step's errors: a wrong code, a dead challenge, throttling. */
export function mfaSignInMessage(error: unknown): string {
  const suspended = suspendedMessage(error);
  if (suspended) return suspended;
  if (error instanceof ApiError) {
    if (error.status === 401) {
      return "That code didn't work. Codes change every 30 seconds and work once. If it keeps failing, start over.";
    }
    if (error.status === 429) return wait(error);
    if (error.status >= 500) return "Sign-in is unavailable right now. Please try again shortly.";
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** A new password and its repetition, checked before anything is sent. */
export function newPasswordErrors(password: string, repeat: string): FormErrors {
  if (password.length < PASSWORD_MIN) return { new_password: `At least ${PASSWORD_MIN} characters.` };
  if (password.length > PASSWORD_MAX) return { new_password: `At most ${PASSWORD_MAX} characters.` };
  if (password !== repeat) return { repeat: "The two passwords don't match." };
  return {};
}
