/** What the passkeys section is doing: one step at a time, as a reducer over a discriminated union. */
import type { Passkey } from "../../api/types";

export type PasskeysState =
  | { step: "loading" }
  | { step: "idle"; passkeys: Passkey[] }
  | { step: "adding"; passkeys: Passkey[] }
  | { step: "renaming"; passkeys: Passkey[]; id: string }
  | { step: "removing"; passkeys: Passkey[]; id: string };

export type PasskeysAction =
  | { type: "loaded"; passkeys: Passkey[] }
  | { type: "add" }
  | { type: "rename"; id: string }
  | { type: "remove"; id: string }
  | { type: "cancel" }
  | { type: "added"; passkey: Passkey }
  | { type: "renamed"; passkey: Passkey }
  | { type: "removed"; id: string };

function listOf(state: PasskeysState): Passkey[] {
  return state.step === "loading" ? [] : state.passkeys;
}

export function passkeysReducer(state: PasskeysState, action: PasskeysAction): PasskeysState {
  const passkeys = listOf(state);
  switch (action.type) {
    case "loaded":
      return { step: "idle", passkeys: action.passkeys };
    case "add":
      return { step: "adding", passkeys };
    case "rename":
      return { step: "renaming", passkeys, id: action.id };
    case "remove":
      return { step: "removing", passkeys, id: action.id };
    case "cancel":
      return { step: "idle", passkeys };
    case "added":
      return { step: "idle", passkeys: [...passkeys, action.passkey] };
    case "renamed":
      return { step: "idle", passkeys: passkeys.map((p) => (p.id === action.passkey.id ? action.passkey : p)) };
    case "removed":
      return { step: "idle", passkeys: passkeys.filter((p) => p.id !== action.id) };
  }
}
