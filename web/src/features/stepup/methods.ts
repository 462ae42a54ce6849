/**
 * Extra ways to pass a step-up, shown as buttons in the step-up dialog beside the password (or code) form.
 * A method proves who the person is and answers the new access token, e.g. a passkey:
 *
 *   registerStepUpMethod({ label: "Use a passkey", run: () => passkeys.reauthenticate() });
 *
 * The dialog hands the token to the request layer, which keeps it and retries the request that needed it.
 */
import type { AccessToken } from "../../api/types";

export interface StepUpMethod {
  /** The button's text, e.g. "Use a passkey". */
  label: string;
  /** Prove who the person is again; resolves with the session's new access token, rejects on failure. */
  run: () => Promise<AccessToken>;
  /** Plain words for why `run` failed (a dismissed browser prompt, no passkey on the account, ...). */
  describe?: (error: unknown) => string;
}

let methods: readonly StepUpMethod[] = [];
const listeners = new Set<() => void>();

/** Offer `method` in every step-up dialog from now on; returns a function that removes it again. */
export function registerStepUpMethod(method: StepUpMethod): () => void {
  methods = [...methods, method];
  listeners.forEach((listener) => listener());
  return () => {
    methods = methods.filter((m) => m !== method);
    listeners.forEach((listener) => listener());
  };
}

/** The registered methods, a new array after each change (a `useSyncExternalStore` snapshot). */
export function stepUpMethods(): readonly StepUpMethod[] {
  return methods;
}

export function subscribeStepUpMethods(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
