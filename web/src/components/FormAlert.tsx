import { useEffect, useRef } from "react";

/** A form-level error, announced and focused when it appears. */
export function FormAlert({ message }: { message?: string | null }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (message) ref.current?.focus();
  }, [message]);
  if (!message) return null;
  return (
    <p className="alert alert-error" role="alert" tabIndex={-1} ref={ref}>
      {message}
    </p>
  );
}
