/** Plain-words messages for passkey ceremonies, from the browser's and the auth service's errors. */
import { suspendedMessage } from "../../api/auth";
import { ApiError } from "../../api/problem";
import { formatWait } from "../../api/wait";
import { PasskeyCancelled } from "./api";

export function passkeyMessage(error: unknown, doing: "sign-in" | "add" | "confirm" | "manage"): string {
  if (error instanceof PasskeyCancelled) return error.message;
  const suspended = suspendedMessage(error);
  if (suspended) return suspended;
  if (error instanceof DOMException && error.name === "InvalidStateError") {
    return "This device already has a passkey for your account.";
  }
  // The page's address is not on the passkeys' domain (an IP address such as 127.0.0.1, say).
  if (error instanceof DOMException && error.name === "SecurityError") {
    return "Passkeys don't work at this address. Open the site at its usual address (such as localhost, not 127.0.0.1).";
  }
  if (error instanceof ApiError) {
    if (error.status === 429) return `Too many attempts. Please try again ${formatWait(error.retryAfter)}.`;
    if (error.status === 409) return "This passkey is already registered.";
    if (error.status === 404) {
      return doing === "confirm" ? "You have no passkey to confirm with." : "That passkey no longer exists.";
    }
    if (error.status === 403) return error.message;
    if (error.status === 401 && doing === "sign-in") {
      return "That passkey wasn't accepted. Try again, or sign in with your password.";
    }
    if (error.status === 400 && error.problem.field === "credential") {
      return "The passkey couldn't be verified. Try again, or use another device.";
    }
    if (error.status >= 500) return "That didn't work right now. Please try again shortly.";
    return error.message;
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}
