/**
 * A modal dialog asking for the reason of an admin action (suspend, reject, take down): the reason is
 * required (checked before sending, as the services check it), Enter submits, Escape and Cancel close it,
 * and focus goes back to the control that opened it.
 */
import { type FormEvent, type KeyboardEvent, useId, useLayoutEffect, useRef, useState } from "react";
import { Field } from "../../../components/Field";
import { FormAlert } from "../../../components/FormAlert";
import { REASON_MAX, reasonError } from "../messages";

const FOCUSABLE = "button:not([disabled]), input:not([disabled]), [href], [tabindex]:not([tabindex='-1'])";

/** Tab and Shift+Tab cycle inside the dialog. */
function trapFocus(event: KeyboardEvent<HTMLDialogElement>): void {
  // Keys typed in the dialog never reach the page's own shortcuts (the queue's `a` and `r`).
  event.stopPropagation();
  if (event.key !== "Tab") return;
  const items = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
  if (items.length === 0) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

interface Props {
  /** Shown while true; closing it (Cancel, Escape, a successful submit) calls `onClose`. */
  open: boolean;
  title: string;
  /** One sentence on what happens and who sees the reason. */
  intro: string;
  /** The submit button's label ("Suspend", "Reject", "Take down"). */
  action: string;
  /** Sends the reason; a rejection's message is shown in the dialog, which stays open. */
  onSubmit: (reason: string) => Promise<void>;
  onClose: () => void;
  describeError: (error: unknown) => string;
  testId?: string;
}

export function ReasonDialog({ open, title, intro, action, onSubmit, onClose, describeError, testId }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const returnFocus = useRef<Element | null>(null);
  const [reason, setReason] = useState("");
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const introId = useId();

  // A layout effect: the dialog is closed (the page no longer inert) before a parent's layout effect moves
  // the focus, e.g. the queue focusing the next card after a rejection.
  useLayoutEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      returnFocus.current = document.activeElement;
      setReason("");
      setFieldError(undefined);
      setFormError(null);
      // showModal: the page behind is inert and Escape fires `cancel`; autoFocus puts focus in the field.
      element.showModal();
    } else if (!open && element.open) {
      element.close();
      const target = returnFocus.current;
      if (target instanceof HTMLElement && target.isConnected) requestAnimationFrame(() => target.focus());
    }
  }, [open]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = reasonError(reason);
    if (problem) {
      setFieldError(problem);
      return;
    }
    setBusy(true);
    setFieldError(undefined);
    setFormError(null);
    try {
      await onSubmit(reason.trim());
      onClose();
    } catch (error) {
      setFormError(describeError(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="stepup-dialog reason-dialog"
      aria-labelledby={titleId}
      aria-describedby={introId}
      data-testid={testId}
      onKeyDown={trapFocus}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      {open && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <h2 id={titleId}>{title}</h2>
          <p id={introId} className="muted">
            {intro}
          </p>
          <FormAlert message={formError} />
          <Field
            label="Reason"
            name="reason"
            required
            autoFocus
            autoComplete="off"
            maxLength={REASON_MAX}
            hint={`Required, up to ${REASON_MAX} characters. Press Enter to ${action.toLowerCase()}.`}
            value={reason}
            error={fieldError}
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="actions">
            <button type="submit" className="button button-danger" disabled={busy}>
              {busy ? "Working…" : action}
            </button>
            <button type="button" className="button button-quiet" onClick={onClose} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
