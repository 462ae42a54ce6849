/**
 * The moderation queue's state: the cards of one status, which card has the keyboard focus (a roving
 * tabindex), the decision in flight, the reject dialog, and what the polite live region says. Pure, so the
 * keyboard behaviour is tested without a browser; the component performs the requests and reports back.
 */
import type { ModerationStatus } from "../../api/admin";
import type { ModerationItem, ModerationPage } from "../../api/types";
import { type Paged, appendPaged, emptyPaged } from "./paging";

export interface QueueState {
  status: ModerationStatus;
  list: Paged<ModerationItem>;
  loading: boolean;
  error: string | null;
  /** Index of the card that takes Tab focus (and arrow keys move); clamped to the cards there are. */
  focus: number;
  /** The upload being approved or rejected (its buttons are disabled). */
  deciding: string | null;
  /** The upload whose reject dialog is open. */
  rejecting: string | null;
  /** For the live region: the last decision, or why it failed. */
  announcement: string;
}

export type QueueEvent =
  | { type: "status"; status: ModerationStatus }
  | { type: "loading" }
  | { type: "page"; status: ModerationStatus; page: ModerationPage }
  | { type: "load-failed"; message: string }
  | { type: "focus"; index: number }
  | { type: "move"; by: number }
  | { type: "first" }
  | { type: "last" }
  | { type: "open-reject"; uploadId: string }
  | { type: "close-reject" }
  | { type: "deciding"; uploadId: string }
  | { type: "decided"; uploadId: string; decision: "approved" | "rejected" }
  | { type: "decide-failed"; uploadId: string; message: string; gone: boolean };

export function initialQueue(status: ModerationStatus = "pending"): QueueState {
  return {
    status,
    list: emptyPaged(),
    loading: true,
    error: null,
    focus: 0,
    deciding: null,
    rejecting: null,
    announcement: "",
  };
}

const clamp = (index: number, count: number) => Math.max(0, Math.min(index, count - 1));

/** "@ann", or the user id when the service did not know the username (a profile without one). */
export function ownerName(item: Pick<ModerationItem, "username" | "user_id">): string {
  return item.username ? `@${item.username}` : `user ${item.user_id}`;
}

/** The card a decision or a key acts on: the focused one. */
export function focusedItem(state: QueueState): ModerationItem | null {
  return state.list.items[state.focus] ?? null;
}

/** Only pending pictures can be decided here (deciding the other way after a decision is a 409). */
export function canDecide(state: QueueState, uploadId: string): boolean {
  return (
    state.status === "pending" && state.deciding === null && state.list.items.some((i) => i.upload_id === uploadId)
  );
}

function without(state: QueueState, uploadId: string): Pick<QueueState, "list" | "focus"> {
  const index = state.list.items.findIndex((i) => i.upload_id === uploadId);
  if (index < 0) return { list: state.list, focus: state.focus };
  const items = state.list.items.filter((i) => i.upload_id !== uploadId);
  // The focus stays where it was (the next card moves into place), or on the new last card.
  const focus = clamp(index < state.focus ? state.focus - 1 : state.focus, items.length);
  return { list: { ...state.list, items }, focus };
}

function left(count: number): string {
  if (count === 0) return "The queue is empty.";
  return `${count} ${count === 1 ? "picture" : "pictures"} left.`;
}

export function queueReducer(state: QueueState, event: QueueEvent): QueueState {
  const count = state.list.items.length;
  switch (event.type) {
    case "status":
      return event.status === state.status ? state : initialQueue(event.status);
    case "loading":
      return { ...state, loading: true, error: null };
    case "page":
      // A page for a tab left meanwhile is dropped.
      if (event.status !== state.status) return state;
      return {
        ...state,
        loading: false,
        list: appendPaged(state.list, event.page.items, event.page.next_cursor, (i) => i.upload_id),
      };
    case "load-failed":
      return { ...state, loading: false, error: event.message };
    case "focus":
      return count === 0 ? state : { ...state, focus: clamp(event.index, count) };
    case "move":
      return count === 0 ? state : { ...state, focus: clamp(state.focus + event.by, count) };
    case "first":
      return { ...state, focus: 0 };
    case "last":
      return { ...state, focus: clamp(count - 1, count) };
    case "open-reject":
      return canDecide(state, event.uploadId) ? { ...state, rejecting: event.uploadId } : state;
    case "close-reject":
      return { ...state, rejecting: null };
    case "deciding":
      return canDecide(state, event.uploadId) ? { ...state, deciding: event.uploadId } : state;
    case "decided": {
      const item = state.list.items.find((i) => i.upload_id === event.uploadId);
      const rest = without(state, event.uploadId);
      const who = item ? `${ownerName(item)}'s picture` : "The picture";
      return {
        ...state,
        ...rest,
        deciding: null,
        rejecting: null,
        announcement: `${event.decision === "approved" ? "Approved" : "Rejected"} ${who}. ${left(rest.list.items.length)}`,
      };
    }
    case "decide-failed": {
      const rest = event.gone ? without(state, event.uploadId) : { list: state.list, focus: state.focus };
      // A failure that can be retried keeps the reject dialog open (it shows the message there).
      return {
        ...state,
        ...rest,
        deciding: null,
        rejecting: event.gone ? null : state.rejecting,
        announcement: event.message,
      };
    }
  }
}

/** What a key press on the grid asks for; `columns` is how many cards a row holds (arrow up and down). */
export type QueueCommand =
  { type: "move"; by: number } | { type: "first" } | { type: "last" } | { type: "approve" } | { type: "reject" };

/** How many cards the first row holds, from each card's top edge in layout order (for arrow up and down). */
export function columnsFromTops(tops: number[]): number {
  if (tops.length === 0) return 1;
  const next = tops.findIndex((top) => top !== tops[0]);
  return next === -1 ? tops.length : next;
}

export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

export function queueCommand(press: KeyPress, columns: number): QueueCommand | null {
  // Browser and screen-reader shortcuts (Ctrl+R, Cmd+A, …) are left alone.
  if (press.ctrlKey || press.metaKey || press.altKey) return null;
  const row = Math.max(1, columns);
  switch (press.key) {
    case "ArrowRight":
    case "j":
      return { type: "move", by: 1 };
    case "ArrowLeft":
    case "k":
      return { type: "move", by: -1 };
    case "ArrowDown":
      return { type: "move", by: row };
    case "ArrowUp":
      return { type: "move", by: -row };
    case "Home":
      return { type: "first" };
    case "End":
      return { type: "last" };
    case "a":
      return { type: "approve" };
    case "r":
      return { type: "reject" };
    default:
      return null;
  }
}
