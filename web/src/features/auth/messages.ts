/** Sign-in and registration messages in plain words, and the checks made before anything is sent. */
import { suspendedMessage } from "../../api/auth";
import { ApiError } from "../../api/problem";
import { formatWait } from "../../api/wait";
import { PASSWORD_MAX, PASSWORD_MIN } from "../account/messages";

export function signInMessage(error: unknown): string {
  const suspended = suspendedMessage(error);
  if (suspended) return suspended;
  if (error instanceof ApiError) {
    if (error.status === 401) return "That email or username and password don't match. Check them and try again.";
    if (error.status === 429) return `Too many attempts. Please try again ${formatWait(error.retryAfter)}.`;
    if (error.status >= 500) return "Sign-in is unavailable right now. Please try again shortly.";
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}

export type Errors = Partial<Record<"email" | "username" | "password" | "form", string>>;

const USERNAME = /^[a-z0-9_.-]{3,30}$/;

export function validate(email: string, username: string, password: string): Errors {
  const errors: Errors = {};
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) errors.email = "Enter an email address like name@example.com.";
  if (!USERNAME.test(username))
    errors.username = "3 to 30 characters: lower-case letters, digits, dot, dash or underscore.";
  if (password.length < PASSWORD_MIN) errors.password = `At least ${PASSWORD_MIN} characters.`;
  else if (password.length > PASSWORD_MAX) errors.password = `At most ${PASSWORD_MAX} characters.`;
  return errors;
}

export function registerErrors(error: unknown): Errors {
  if (error instanceof ApiError) {
    if (error.status === 409) {
      const field = error.problem.field ?? /(email|username)/.exec(error.message)?.[1];
      if (field === "email") return { email: "An account with this email already exists. Try signing in." };
      if (field === "username") return { username: "That username is taken. Try another one." };
    }
    const fields = error.fieldMessages();
    const out: Errors = {};
    for (const key of ["email", "username", "password"] as const) if (fields[key]) out[key] = fields[key];
    if (Object.keys(out).length > 0) return out;
    if (error.status === 429) return { form: `Too many attempts. Please try again ${formatWait(error.retryAfter)}.` };
    return {
      form: error.status >= 500 ? "We couldn't create your account right now. Please try again." : error.message,
    };
  }
  return { form: error instanceof Error ? error.message : "Something went wrong." };
}
