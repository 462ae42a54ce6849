import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { linkMessage, mfaSignInMessage, newPasswordErrors, reauthErrors } from "./messages";

const problem = (status: number, extra: Record<string, unknown> = {}, retryAfter: number | null = null) =>
  new ApiError({ status, detail: "x", ...extra }, retryAfter);

describe("account messages", () => {
  it("puts re-auth errors under the right field", () => {
    expect(reauthErrors(problem(403, { field: "password" }))).toEqual({ password: "That password isn't right." });
    expect(reauthErrors(problem(403, { field: "password" }), { password: "current_password" })).toEqual({
      current_password: "That password isn't right.",
    });
    expect(reauthErrors(problem(403, { field: "code" })).code).toMatch(/didn't work/);
    expect(
      reauthErrors(problem(409, { field: "email", detail: "That email is already registered." }), {
        email: "new_email",
      }),
    ).toEqual({
      new_email: "That email is already registered.",
    });
    expect(reauthErrors(problem(429, {}, 30)).form).toBe("Too many attempts. Please try again in 30 seconds.");
  });

  it("explains each kind of broken link", () => {
    expect(linkMessage(problem(410, { reason: "used_token" }))).toMatch(/already been used/);
    expect(linkMessage(problem(410, { reason: "expired_token" }))).toMatch(/expired/);
    expect(linkMessage(problem(400, { reason: "invalid_token" }))).toMatch(/isn't valid/);
    expect(linkMessage(problem(403, { reason: "wrong_account" }))).toMatch(/different account/);
  });

  it("says a refused code can be retried or the sign-in started over", () => {
    expect(mfaSignInMessage(problem(401))).toMatch(/start over/);
    expect(mfaSignInMessage(problem(429, {}, 1))).toBe("Too many attempts. Please try again in 1 second.");
  });

  it("checks a new password before sending it", () => {
    expect(newPasswordErrors("short", "short")).toEqual({ new_password: "At least 8 characters." });
    expect(newPasswordErrors("long enough", "long enougH")).toEqual({ repeat: "The two passwords don't match." });
    expect(newPasswordErrors("long enough", "long enough")).toEqual({});
  });
});
