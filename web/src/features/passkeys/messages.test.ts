import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { PasskeyCancelled } from "./api";
import { isStepUpRequired, passkeyMessage } from "./messages";

describe("passkey messages", () => {
  it("recognises the step-up problem type only", () => {
    const stepUp = new ApiError({ status: 401, type: "urn:profile-pictures:problem:step-up-required" });
    expect(isStepUpRequired(stepUp)).toBe(true);
    expect(isStepUpRequired(new ApiError({ status: 401, type: "about:blank" }))).toBe(false);
    expect(isStepUpRequired(new Error("x"))).toBe(false);
  });

  it("says a cancelled ceremony used no passkey", () => {
    expect(passkeyMessage(new PasskeyCancelled(), "sign-in")).toMatch(/cancelled or timed out/);
  });

  it("explains the browser's refusals", () => {
    expect(passkeyMessage(new DOMException("invalid domain", "SecurityError"), "add")).toMatch(/this address/);
    expect(passkeyMessage(new DOMException("excluded", "InvalidStateError"), "add")).toMatch(/already has a passkey/);
  });

  it("explains a refused sign-in and throttling", () => {
    expect(passkeyMessage(new ApiError({ status: 401 }), "sign-in")).toMatch(/wasn't accepted/);
    expect(passkeyMessage(new ApiError({ status: 429 }, 30), "sign-in")).toMatch(/wait 30 seconds/);
  });

  it("names a credential that did not verify", () => {
    const error = new ApiError({ status: 400, field: "credential", detail: "origin" });
    expect(passkeyMessage(error, "add")).toMatch(/couldn't be verified/);
  });
});
