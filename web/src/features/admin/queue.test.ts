import { describe, expect, it } from "vitest";
import type { ModerationItem } from "../../api/types";
import {
  type QueueEvent,
  type QueueState,
  columnsFromTops,
  focusedItem,
  initialQueue,
  ownerName,
  queueCommand,
  queueReducer,
} from "./queue";

const item = (n: number): ModerationItem => ({
  upload_id: `up${n}`,
  user_id: `u${n}`,
  username: `user${n}`,
  status: "pending",
  thumbnail_url: `https://cld/t${n}.jpg`,
  secure_url: `https://cld/${n}.jpg`,
  uploaded_at: `2030-01-01T00:0${n}:00Z`,
  decided_at: null,
  decided_by: null,
  reason: null,
});

const run = (state: QueueState, ...events: QueueEvent[]) => events.reduce(queueReducer, state);
const loaded = (n: number, next: string | null = null) =>
  run(initialQueue(), {
    type: "page",
    status: "pending",
    page: { items: Array.from({ length: n }, (_, i) => item(i + 1)), next_cursor: next },
  });

describe("queueReducer", () => {
  it("loads pending pictures, focus on the first, more to load while there is a cursor", () => {
    const state = loaded(3, "c2");
    expect(state.loading).toBe(false);
    expect(state.list).toMatchObject({ cursor: "c2", done: false });
    expect(focusedItem(state)?.upload_id).toBe("up1");
    const more = run(
      state,
      { type: "loading" },
      { type: "page", status: "pending", page: { items: [item(3), item(4)], next_cursor: null } },
    );
    expect(more.list.items.map((i) => i.upload_id)).toEqual(["up1", "up2", "up3", "up4"]);
    expect(more.list.done).toBe(true);
  });

  it("moves the focus within the cards, never past either end", () => {
    let state = loaded(3);
    state = run(state, { type: "move", by: 1 }, { type: "move", by: 1 }, { type: "move", by: 1 });
    expect(state.focus).toBe(2);
    state = run(state, { type: "move", by: -5 });
    expect(state.focus).toBe(0);
    expect(run(state, { type: "last" }).focus).toBe(2);
    expect(run(state, { type: "focus", index: 9 }).focus).toBe(2);
    expect(run(initialQueue(), { type: "move", by: 1 }).focus).toBe(0);
  });

  it("takes a decided card out of the grid, keeps the focus in place and announces it", () => {
    let state = run(loaded(3), { type: "move", by: 1 }, { type: "deciding", uploadId: "up2" });
    expect(state.deciding).toBe("up2");
    state = run(state, { type: "decided", uploadId: "up2", decision: "approved" });
    expect(state.list.items.map((i) => i.upload_id)).toEqual(["up1", "up3"]);
    expect(focusedItem(state)?.upload_id).toBe("up3");
    expect(state.deciding).toBeNull();
    expect(state.announcement).toBe("Approved @user2's picture. 2 pictures left.");
  });

  it("moves the focus back when the last card is decided, and says when the queue is empty", () => {
    let state = run(loaded(2), { type: "last" }, { type: "open-reject", uploadId: "up2" });
    expect(state.rejecting).toBe("up2");
    state = run(state, { type: "decided", uploadId: "up2", decision: "rejected" });
    expect(state.rejecting).toBeNull();
    expect(state.focus).toBe(0);
    expect(state.announcement).toBe("Rejected @user2's picture. 1 picture left.");
    state = run(state, { type: "decided", uploadId: "up1", decision: "approved" });
    expect(state.announcement).toBe("Approved @user1's picture. The queue is empty.");
    expect(focusedItem(state)).toBeNull();
  });

  it("keeps a card whose decision failed for a retry, but drops one decided elsewhere", () => {
    let state = run(loaded(2), { type: "deciding", uploadId: "up1" });
    state = run(state, { type: "decide-failed", uploadId: "up1", message: "Cloudinary didn't answer", gone: false });
    expect(state.list.items).toHaveLength(2);
    expect(state.deciding).toBeNull();
    expect(state.announcement).toBe("Cloudinary didn't answer");
    state = run(state, { type: "open-reject", uploadId: "up1" }, { type: "deciding", uploadId: "up1" });
    state = run(state, { type: "decide-failed", uploadId: "up1", message: "try again", gone: false });
    expect(state.rejecting).toBe("up1"); // the dialog stays open with the message
    state = run(state, { type: "decide-failed", uploadId: "up1", message: "already decided", gone: true });
    expect(state.list.items.map((i) => i.upload_id)).toEqual(["up2"]);
    expect(state.rejecting).toBeNull();
  });

  it("decides one picture at a time, and only pending ones", () => {
    const busy = run(loaded(2), { type: "deciding", uploadId: "up1" });
    expect(run(busy, { type: "deciding", uploadId: "up2" }).deciding).toBe("up1");
    expect(run(busy, { type: "open-reject", uploadId: "up2" }).rejecting).toBeNull();
    const approved = run(initialQueue("approved"), {
      type: "page",
      status: "approved",
      page: { items: [item(1)], next_cursor: null },
    });
    expect(run(approved, { type: "deciding", uploadId: "up1" }).deciding).toBeNull();
    expect(run(approved, { type: "open-reject", uploadId: "up1" }).rejecting).toBeNull();
  });

  it("starts over on another tab and drops a late page of the tab it left", () => {
    const state = run(loaded(2), { type: "status", status: "rejected" });
    expect(state).toEqual(initialQueue("rejected"));
    const late = run(state, { type: "page", status: "pending", page: { items: [item(9)], next_cursor: null } });
    expect(late).toBe(state);
    expect(run(state, { type: "status", status: "rejected" })).toBe(state);
  });

  it("keeps each card once when pages overlap", () => {
    const state = run(loaded(2), { type: "page", status: "pending", page: { items: [item(2)], next_cursor: null } });
    expect(state.list.items).toHaveLength(2);
  });
});

describe("ownerName", () => {
  it("names the owner by username, or by id when the queue has none", () => {
    expect(ownerName({ username: "ann", user_id: "u1" })).toBe("@ann");
    expect(ownerName({ username: null, user_id: "u1" })).toBe("user u1");
  });
});

describe("columnsFromTops", () => {
  it("counts the cards sharing the first card's row", () => {
    expect(columnsFromTops([10, 10, 10, 200, 200])).toBe(3);
    expect(columnsFromTops([10, 10])).toBe(2);
    expect(columnsFromTops([10, 200, 390])).toBe(1);
    expect(columnsFromTops([])).toBe(1);
  });
});

describe("queueCommand", () => {
  it("maps arrows and j/k to moves, up and down by a row", () => {
    expect(queueCommand({ key: "ArrowRight" }, 4)).toEqual({ type: "move", by: 1 });
    expect(queueCommand({ key: "j" }, 4)).toEqual({ type: "move", by: 1 });
    expect(queueCommand({ key: "ArrowLeft" }, 4)).toEqual({ type: "move", by: -1 });
    expect(queueCommand({ key: "k" }, 4)).toEqual({ type: "move", by: -1 });
    expect(queueCommand({ key: "ArrowDown" }, 4)).toEqual({ type: "move", by: 4 });
    expect(queueCommand({ key: "ArrowUp" }, 0)).toEqual({ type: "move", by: -1 });
    expect(queueCommand({ key: "Home" }, 4)).toEqual({ type: "first" });
    expect(queueCommand({ key: "End" }, 4)).toEqual({ type: "last" });
  });

  it("maps a to approve and r to reject, leaving modified keys and others to the browser", () => {
    expect(queueCommand({ key: "a" }, 3)).toEqual({ type: "approve" });
    expect(queueCommand({ key: "r" }, 3)).toEqual({ type: "reject" });
    expect(queueCommand({ key: "r", ctrlKey: true }, 3)).toBeNull();
    expect(queueCommand({ key: "a", metaKey: true }, 3)).toBeNull();
    expect(queueCommand({ key: "A" }, 3)).toBeNull();
    expect(queueCommand({ key: "Enter" }, 3)).toBeNull();
  });
});
