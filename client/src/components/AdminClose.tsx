/** Admins: close a poll, after an inline confirmation that takes focus. */

import { useEffect, useRef, useState } from "react";

interface Props {
  busy: boolean;
  onClose: () => void;
}

export function AdminClose({ busy, onClose }: Props) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);

  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (wasAsking.current) openRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  return (
    <section className="card admin" aria-labelledby="admin-title">
      <h2 id="admin-title">Administration</h2>
      {asking ? (
        <div className="confirm" role="group" aria-label="Confirm closing the poll">
          <p>Close this poll for good? Nobody can vote, change or retract after that, and the results become final.</p>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setAsking(false)}>
              Cancel
            </button>
            <button
              ref={confirmRef}
              type="button"
              className="btn btn-danger"
              disabled={busy}
              onClick={() => {
                setAsking(false);
                onClose();
              }}
            >
              Yes, close the poll
            </button>
          </div>
        </div>
      ) : (
        <button ref={openRef} type="button" className="btn btn-danger-ghost" disabled={busy} onClick={() => setAsking(true)}>
          Close poll…
        </button>
      )}
    </section>
  );
}
