import { describe, expect, it } from "vitest";
import type { Passkey } from "../../api/types";
import { passkeysReducer } from "./state";

const key = (id: string, name = id): Passkey => ({ id, name, created_at: "2026-12-01T00:00:00Z", last_used_at: null });

describe("passkeysReducer", () => {
  it("adds, renames and removes in the list, back to idle each time", () => {
    let state = passkeysReducer({ step: "loading" }, { type: "loaded", passkeys: [key("a")] });
    state = passkeysReducer(passkeysReducer(state, { type: "add" }), { type: "added", passkey: key("b") });
    expect(state).toEqual({ step: "idle", passkeys: [key("a"), key("b")] });

    state = passkeysReducer(state, { type: "rename", id: "a" });
    expect(state.step).toBe("renaming");
    state = passkeysReducer(state, { type: "renamed", passkey: key("a", "Phone") });
    expect(state).toEqual({ step: "idle", passkeys: [key("a", "Phone"), key("b")] });

    state = passkeysReducer(passkeysReducer(state, { type: "remove", id: "b" }), { type: "removed", id: "b" });
    expect(state).toEqual({ step: "idle", passkeys: [key("a", "Phone")] });
  });

  it("cancelling keeps the list", () => {
    const state = passkeysReducer({ step: "renaming", passkeys: [key("a")], id: "a" }, { type: "cancel" });
    expect(state).toEqual({ step: "idle", passkeys: [key("a")] });
  });
});
