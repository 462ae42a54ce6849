import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { PasskeyCancelled } from "./api";
import { passkeyMessage } from "./messages";

describe("passkey messages", () => {
  it("says a cancelled ceremony used no passkey", () => {
    expect(passkeyMessage(new PasskeyCancelled(), "sign-in")).toMatch(/cancelled or timed out/);
  });

  it("explains the browser's refusals", () => {
    expect(passkeyMessage(new DOMException("invalid domain", "SecurityError"), "add")).toMatch(/this address/);
    expect(passkeyMessage(new DOMException("excluded", "InvalidStateError"), "add")).toMatch(/already has a passkey/);
  });

  it("explains a refused sign-in and throttling", () => {
    expect(passkeyMessage(new ApiError({ status: 401 }), "sign-in")).toMatch(/wasn't accepted/);
    expect(passkeyMessage(new ApiError({ status: 429 }, 30), "sign-in")).toMatch(/try again in 30 seconds/);
  });

  it("names a credential that did not verify", () => {
    const error = new ApiError({ status: 400, field: "credential", detail: "origin" });
    expect(passkeyMessage(error, "add")).toMatch(/couldn't be verified/);
  });
});
