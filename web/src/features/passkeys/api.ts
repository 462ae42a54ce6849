/**
 * Passkeys on the auth service, through the one request layer (`AuthClient.call` signed in, `callAnonymous`
 * for signing in): each ceremony asks the service for options, lets the browser's authenticator answer, and
 * sends the answer back with the ceremony id.
 */
import type { AuthClient } from "../../api/auth";
import type { AccessToken, CeremonyOptions, Passkey, PasskeyList } from "../../api/types";
import { assertionJSON, creationOptions, registrationJSON, requestOptions } from "./webauthn";

/** What the client needs of `navigator.credentials` (tests pass a fake). */
export type Credentials = Pick<CredentialsContainer, "create" | "get">;

/** The browser gave no credential (the person cancelled, or no authenticator answered in time). */
export class PasskeyCancelled extends Error {
  constructor() {
    super("No passkey was used. The request was cancelled or timed out.");
    this.name = "PasskeyCancelled";
  }
}

function browserCredentials(): Credentials {
  return navigator.credentials;
}

async function ask(promise: Promise<Credential | null>): Promise<PublicKeyCredential> {
  let credential: Credential | null;
  try {
    credential = await promise;
  } catch (error) {
    // NotAllowedError is how browsers report both "cancelled" and "timed out" (they may not say which).
    if (error instanceof DOMException && error.name === "NotAllowedError") throw new PasskeyCancelled();
    throw error;
  }
  if (credential === null) throw new PasskeyCancelled();
  return credential as PublicKeyCredential;
}

export class PasskeyClient {
  constructor(
    private readonly auth: AuthClient,
    private readonly credentials: () => Credentials = browserCredentials,
  ) {}

  async list(): Promise<Passkey[]> {
    return (await this.auth.call<PasskeyList>("/auth/passkeys")).passkeys;
  }

  /** Create a passkey on this device (or a phone, or a security key) and register it. */
  async add(name?: string): Promise<Passkey> {
    const started = await this.auth.call<CeremonyOptions>("/auth/passkeys/register/options", { method: "POST" });
    const credential = await ask(this.credentials().create({ publicKey: creationOptions(started.options) }));
    const body = {
      ceremony_id: started.ceremony_id,
      credential: registrationJSON(credential),
      ...(name ? { name } : {}),
    };
    return this.auth.call<Passkey>("/auth/passkeys", { method: "POST", body });
  }

  rename(id: string, name: string): Promise<Passkey> {
    return this.auth.call<Passkey>(`/auth/passkeys/${encodeURIComponent(id)}`, { method: "PATCH", body: { name } });
  }

  /** Needs a recent authentication: a 401 whose problem type is step-up-required otherwise. */
  async remove(id: string): Promise<void> {
    await this.auth.call<undefined>(`/auth/passkeys/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  /** Sign in with any passkey of this site; the session's access token is in use when this resolves. */
  async signIn(): Promise<void> {
    const started = await this.auth.callAnonymous<CeremonyOptions>("/auth/passkeys/login/options", { method: "POST" });
    const credential = await ask(this.credentials().get({ publicKey: requestOptions(started.options) }));
    const answer = await this.auth.callAnonymous<AccessToken>("/auth/passkeys/login", {
      method: "POST",
      body: { ceremony_id: started.ceremony_id, credential: assertionJSON(credential) },
    });
    this.auth.adoptToken(answer);
  }

  /** Prove it is still you with one of your passkeys: a fresh access token for this session, already in use. */
  async stepUp(): Promise<AccessToken> {
    const started = await this.auth.call<CeremonyOptions>("/auth/passkeys/reauthenticate/options", { method: "POST" });
    const credential = await ask(this.credentials().get({ publicKey: requestOptions(started.options) }));
    const answer = await this.auth.call<AccessToken>("/auth/passkeys/reauthenticate", {
      method: "POST",
      body: { ceremony_id: started.ceremony_id, credential: assertionJSON(credential) },
    });
    this.auth.adoptToken(answer);
    return answer;
  }
}
