/** Passkeys: the settings section, sign-in, and the step-up method for the step-up dialog. */
import { useEffect } from "react";
import type { AuthClient } from "../../api/auth";
import type { AccessToken } from "../../api/types";
import { useSession } from "../../session";
import { registerStepUpMethod, type StepUpMethod } from "../stepup/methods";
import { type Credentials, PasskeyClient } from "./api";
import { passkeyMessage } from "./messages";
import { passkeysSupported } from "./webauthn";

export { PasskeyCancelled, PasskeyClient } from "./api";
export { PasskeysSettings } from "./components/PasskeysSettings";
export { SignInWithPasskey } from "./components/SignInWithPasskey";
export { passkeysSupported };

/**
 * Step up with a passkey: asks the browser for one of the signed-in person's passkeys and resolves with the
 * access token response for the same session with a fresh `auth_time` (already adopted by `auth`). Rejects with
 * `PasskeyCancelled` when no passkey was used, or an ApiError (404: the account has no passkey; 401: refused).
 */
export function stepUpWithPasskey(auth: AuthClient, credentials?: () => Credentials): Promise<AccessToken> {
  return new PasskeyClient(auth, credentials).stepUp();
}

/** The passkey entry for the step-up dialog (`registerStepUpMethod`). */
export function passkeyStepUp(auth: AuthClient): StepUpMethod {
  return {
    label: "Use a passkey",
    run: () => stepUpWithPasskey(auth),
    describe: (error) => passkeyMessage(error, "confirm"),
  };
}

/** Offers "Use a passkey" in the step-up dialog wherever the browser has WebAuthn; mounted once beside it. */
export function PasskeyStepUp(): null {
  const { auth } = useSession();
  useEffect(() => (passkeysSupported() ? registerStepUpMethod(passkeyStepUp(auth)) : undefined), [auth]);
  return null;
}
