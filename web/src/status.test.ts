import { describe, expect, it } from "vitest";
import { checkServices } from "./status";

describe("checkServices", () => {
  it("reports a service as ready when it answers below 500", async () => {
    const fake = (async (path: string) => new Response(null, { status: path.startsWith("/profiles") ? 401 : 200 })) as typeof fetch;
    expect(await checkServices(fake)).toEqual([
      { name: "auth-service", ready: true },
      { name: "profile-service", ready: true },
    ]);
  });

  it("reports a service as not ready when the request fails or answers 5xx", async () => {
    const fake = (async (path: string) => {
      if (path.startsWith("/profiles")) throw new TypeError("network down");
      return new Response(null, { status: 502 });
    }) as typeof fetch;
    expect(await checkServices(fake)).toEqual([
      { name: "auth-service", ready: false },
      { name: "profile-service", ready: false },
    ]);
  });
});
