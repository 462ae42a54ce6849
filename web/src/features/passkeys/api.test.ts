import { describe, expect, it } from "vitest";
import { AuthClient } from "../../api/auth";
import { PasskeyCancelled, PasskeyClient, type Credentials } from "./api";
import { fromBase64url, toBase64url } from "./base64url";

type Call = { url: string; method: string; auth: string | null; body: unknown };

const bytes = (...values: number[]) => new Uint8Array(values).buffer;
const ok = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

function setup(answer: (call: Call) => Response, credentials: Partial<Credentials>) {
  const calls: Call[] = [];
  const fn = (async (input: string, init: RequestInit = {}) => {
    const call = {
      url: String(input),
      method: init.method ?? "GET",
      auth: new Headers(init.headers).get("Authorization"),
      body: typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : null,
    };
    calls.push(call);
    if (call.url === "/auth/refresh") return new Response(JSON.stringify({ access_token: "t1" }));
    return answer(call);
  }) as typeof fetch;
  const auth = new AuthClient(fn, null);
  return { auth, calls, passkeys: new PasskeyClient(auth, () => credentials as Credentials) };
}

function assertion(): PublicKeyCredential {
  return {
    id: "AQID",
    rawId: bytes(1, 2, 3),
    type: "public-key",
    authenticatorAttachment: "platform",
    getClientExtensionResults: () => ({}),
    response: {
      clientDataJSON: bytes(4),
      authenticatorData: bytes(5),
      signature: bytes(6),
      userHandle: bytes(7),
    },
  } as unknown as PublicKeyCredential;
}

describe("PasskeyClient", () => {
  it("signs in anonymously with the browser's assertion and adopts the token", async () => {
    let asked: CredentialRequestOptions | undefined;
    const { auth, calls, passkeys } = setup(
      (c) =>
        c.url === "/auth/passkeys/login/options"
          ? ok({ ceremony_id: "c1", options: { challenge: "AAEC", rpId: "localhost", allowCredentials: [] } })
          : ok({ access_token: "t2", token_type: "Bearer", expires_in: 900 }),
      {
        get: async (options) => {
          asked = options;
          return assertion();
        },
      },
    );

    await passkeys.signIn();

    expect(new Uint8Array(asked?.publicKey?.challenge as ArrayBuffer)).toEqual(new Uint8Array([0, 1, 2]));
    expect(calls.map((c) => [c.url, c.auth])).toEqual([
      ["/auth/passkeys/login/options", null],
      ["/auth/passkeys/login", null],
    ]);
    expect(calls[1].body).toEqual({
      ceremony_id: "c1",
      credential: {
        id: "AQID",
        rawId: "AQID",
        type: "public-key",
        authenticatorAttachment: "platform",
        clientExtensionResults: {},
        response: { clientDataJSON: "BA", authenticatorData: "BQ", signature: "Bg", userHandle: "Bw" },
      },
    });
    expect(auth.signedIn).toBe(true);
  });

  it("registers with the options' binary fields decoded and the credential encoded", async () => {
    let asked: CredentialCreationOptions | undefined;
    const created = {
      id: "CQ",
      rawId: bytes(9),
      type: "public-key",
      authenticatorAttachment: null,
      getClientExtensionResults: () => ({}),
      response: { clientDataJSON: bytes(1), attestationObject: bytes(2), getTransports: () => ["internal"] },
    } as unknown as PublicKeyCredential;
    const { calls, passkeys } = setup(
      (c) =>
        c.url === "/auth/passkeys/register/options"
          ? ok({
              ceremony_id: "c2",
              options: {
                challenge: toBase64url(bytes(1, 1)),
                rp: { id: "localhost", name: "Profile pictures" },
                user: { id: "dXNlcg", name: "alice", displayName: "alice" },
                excludeCredentials: [{ id: "AQID", type: "public-key", transports: ["internal"] }],
              },
            })
          : ok({ id: "CQ", name: "Laptop", created_at: "2026-12-01T00:00:00Z", last_used_at: null }, 201),
      {
        create: async (options) => {
          asked = options;
          return created;
        },
      },
    );

    const passkey = await passkeys.add("Laptop");

    expect(passkey.name).toBe("Laptop");
    expect(new TextDecoder().decode(asked?.publicKey?.user.id as ArrayBuffer)).toBe("user");
    expect(new Uint8Array(asked?.publicKey?.excludeCredentials?.[0].id as ArrayBuffer)).toEqual(
      new Uint8Array(fromBase64url("AQID")),
    );
    expect(calls.at(-1)?.body).toMatchObject({
      ceremony_id: "c2",
      name: "Laptop",
      credential: {
        rawId: "CQ",
        response: { clientDataJSON: "AQ", attestationObject: "Ag", transports: ["internal"] },
      },
    });
    expect(calls.at(-1)?.auth).toBe("Bearer t1");
  });

  it("turns a cancelled prompt into PasskeyCancelled and sends nothing more", async () => {
    const { calls, passkeys } = setup(() => ok({ ceremony_id: "c", options: { challenge: "AA" } }), {
      get: () => Promise.reject(new DOMException("cancelled", "NotAllowedError")),
    });

    await expect(passkeys.signIn()).rejects.toBeInstanceOf(PasskeyCancelled);
    expect(calls.map((c) => c.url)).toEqual(["/auth/passkeys/login/options"]);
  });

  it("steps up signed in and resolves with the new token response", async () => {
    const { passkeys, calls } = setup(
      (c) =>
        c.url === "/auth/passkeys/reauthenticate/options"
          ? ok({
              ceremony_id: "c3",
              options: { challenge: "AA", allowCredentials: [{ id: "AQID", type: "public-key" }] },
            })
          : ok({ access_token: "t3", token_type: "Bearer", expires_in: 900 }),
      { get: async () => assertion() },
    );

    const answer = await passkeys.stepUp();

    expect(answer.access_token).toBe("t3");
    expect(calls.filter((c) => c.url.startsWith("/auth/passkeys")).map((c) => c.auth)).toEqual([
      "Bearer t1",
      "Bearer t1",
    ]);
  });
});
