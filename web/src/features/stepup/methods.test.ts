import { describe, expect, it } from "vitest";
import { registerStepUpMethod, stepUpMethods, subscribeStepUpMethods } from "./methods";

describe("step-up methods", () => {
  it("registers and removes a method, telling subscribers each time", async () => {
    let changes = 0;
    const unsubscribe = subscribeStepUpMethods(() => (changes += 1));
    const before = stepUpMethods();
    const remove = registerStepUpMethod({
      label: "Use a passkey",
      run: () => Promise.resolve({ access_token: "t", token_type: "Bearer", expires_in: 900 }),
    });
    const during = stepUpMethods();
    remove();
    unsubscribe();

    expect(during.map((m) => m.label)).toEqual([...before.map((m) => m.label), "Use a passkey"]);
    expect(during).not.toBe(before);
    expect(stepUpMethods()).toEqual(before);
    expect(changes).toBe(2);
    expect((await during.at(-1)!.run()).access_token).toBe("t");
  });
});
