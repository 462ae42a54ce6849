import { useMemo } from "react";
import { FormAlert } from "../../../components/FormAlert";
import { useSubmit } from "../../../hooks/useSubmit";
import { useSession } from "../../../session";
import { PasskeyClient } from "../api";
import { passkeyMessage } from "../messages";
import { passkeysSupported } from "../webauthn";

/** The sign-in page's passkey button (nothing where the browser has no WebAuthn). */
export function SignInWithPasskey() {
  const { auth, completeSignIn } = useSession();
  const client = useMemo(() => new PasskeyClient(auth), [auth]);
  const { busy, waiting, error, run } = useSubmit(
    async () => {
      await client.signIn();
      await completeSignIn();
    },
    (e) => passkeyMessage(e, "sign-in"),
  );
  if (!passkeysSupported()) return null;
  return (
    <div className="passkey-sign-in">
      <FormAlert message={error} />
      <button
        type="button"
        className="button button-quiet button-block"
        disabled={busy || waiting > 0}
        onClick={() => void run()}
      >
        {busy ? "Waiting for your passkey…" : "Sign in with a passkey"}
      </button>
    </div>
  );
}
