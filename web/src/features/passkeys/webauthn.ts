/**
 * Between the auth service's WebAuthn JSON and the browser's `navigator.credentials`: the options arrive with
 * base64url strings where the browser wants ArrayBuffers, and the credential goes back as JSON with base64url
 * strings where the browser gives ArrayBuffers. Done by hand rather than with `PublicKeyCredential.parse*FromJSON`
 * / `toJSON()`, which older browsers lack.
 */
import { fromBase64url, toBase64url } from "./base64url";

type Json = Record<string, unknown>;

/** Whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window !== "undefined" && typeof window.PublicKeyCredential === "function";
}

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] {
  return ((list as Json[] | undefined) ?? []).map((d) => ({
    type: "public-key",
    id: fromBase64url(String(d.id)),
    transports: d.transports as AuthenticatorTransport[] | undefined,
  }));
}

/** The server's PublicKeyCredentialCreationOptions JSON, for `navigator.credentials.create({publicKey})`. */
export function creationOptions(json: Json): PublicKeyCredentialCreationOptions {
  const user = json.user as Json;
  return {
    ...(json as unknown as PublicKeyCredentialCreationOptions),
    challenge: fromBase64url(String(json.challenge)),
    user: { id: fromBase64url(String(user.id)), name: String(user.name), displayName: String(user.displayName) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

/** The server's PublicKeyCredentialRequestOptions JSON, for `navigator.credentials.get({publicKey})`. */
export function requestOptions(json: Json): PublicKeyCredentialRequestOptions {
  return {
    ...(json as unknown as PublicKeyCredentialRequestOptions),
    challenge: fromBase64url(String(json.challenge)),
    allowCredentials: descriptors(json.allowCredentials),
  };
}

/** A new credential as RegistrationResponseJSON. */
export function registrationJSON(credential: PublicKeyCredential): Json {
  const response = credential.response as AuthenticatorAttestationResponse;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      attestationObject: toBase64url(response.attestationObject),
      transports: typeof response.getTransports === "function" ? response.getTransports() : [],
    },
  };
}

/** An assertion as AuthenticationResponseJSON. */
export function assertionJSON(credential: PublicKeyCredential): Json {
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      userHandle: response.userHandle ? toBase64url(response.userHandle) : undefined,
    },
  };
}
