/** Passkeys: the settings section, sign-in, and the step-up method for the step-up dialog. */
import type { AuthClient } from "../../api/auth";
import type { AccessToken } from "../../api/types";
import { type Credentials, PasskeyClient } from "./api";

export { PasskeyCancelled, PasskeyClient } from "./api";
export { PasskeysSettings } from "./components/PasskeysSettings";
export { SignInWithPasskey } from "./components/SignInWithPasskey";
export { passkeysSupported } from "./webauthn";

/**
 * Step up with a passkey: asks the browser for one of the signed-in person's passkeys and resolves with the
 * access token response for the same session with a fresh `auth_time` (already adopted by `auth`). Rejects with
 * `PasskeyCancelled` when no passkey was used, or an ApiError (404: the account has no passkey; 401: refused).
 */
export function stepUpWithPasskey(auth: AuthClient, credentials?: () => Credentials): Promise<AccessToken> {
  return new PasskeyClient(auth, credentials).stepUp();
}

/** The passkey entry for the step-up dialog's `registerStepUpMethod({label, run})`. */
export function passkeyStepUp(auth: AuthClient): { label: string; run: () => Promise<AccessToken> } {
  return { label: "Use a passkey", run: () => stepUpWithPasskey(auth) };
}
