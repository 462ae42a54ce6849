import { describe, expect, it } from "vitest";
import { ApiError, NetworkError } from "../../api/problem";
import { safeNext } from "../../paths";
import { mfaSignInMessage, reauthErrors } from "../account/messages";
import { passkeyMessage } from "../passkeys/messages";
import { registerErrors, signInMessage, validate } from "./messages";

describe("sign-in messages", () => {
  it("never says which of login or password was wrong", () => {
    expect(signInMessage(new ApiError({ status: 401, detail: "Invalid credentials" }))).toMatch(/don't match/);
  });

  it("says how long to wait after too many attempts", () => {
    expect(signInMessage(new ApiError({ status: 429 }, 30))).toContain("30 seconds");
  });

  it("says a suspended account is suspended, with the admin's reason, at every sign-in step", () => {
    const suspended = new ApiError({
      status: 403,
      type: "urn:profile-pictures:problem:account-suspended",
      detail: "This account is suspended: Spam",
      reason: "Spam",
    });
    const expected = "This account is suspended: Spam. If you think this is a mistake, contact support.";
    expect(signInMessage(suspended)).toBe(expected);
    expect(mfaSignInMessage(suspended)).toBe(expected);
    expect(passkeyMessage(suspended, "sign-in")).toBe(expected);
    expect(reauthErrors(suspended)).toEqual({ form: expected });
    // Another 403 is not a suspension.
    expect(signInMessage(new ApiError({ status: 403, detail: "Nope" }))).toBe("Nope");
  });

  it("explains a dead network", () => {
    expect(signInMessage(new NetworkError())).toMatch(/connection/);
  });
});

describe("registration", () => {
  it("checks the fields the way the server does before sending", () => {
    expect(validate("ann@example.com", "ann_1", "long enough")).toEqual({});
    expect(Object.keys(validate("nope", "A", "short"))).toEqual(["email", "username", "password"]);
  });

  it("puts a 409 on the field it names", () => {
    const taken = new ApiError({ status: 409, detail: "That username is already registered.", field: "username" });
    expect(registerErrors(taken)).toEqual({ username: "That username is taken. Try another one." });
  });

  it("maps validation problems to their fields", () => {
    const invalid = new ApiError({
      status: 400,
      errors: [{ message: "Expected `str` of length >= 8", key: "password" }],
    });
    expect(registerErrors(invalid)).toEqual({ password: "Expected `str` of length >= 8" });
  });
});

describe("safeNext", () => {
  it("follows only same-site paths after sign-in", () => {
    expect(safeNext("?next=%2Fprofile")).toBe("/profile");
    expect(safeNext("?next=https%3A%2F%2Fevil.example")).toBe("/");
    expect(safeNext("?next=%2F%2Fevil.example")).toBe("/");
    expect(safeNext("")).toBe("/");
  });
});
