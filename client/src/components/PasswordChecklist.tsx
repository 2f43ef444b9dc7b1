/** The pool's password rules as a checklist that ticks itself off while the password is typed. */

import type { PasswordRule } from "../auth/passwordPolicy";

export function PasswordChecklist({ id, rules }: { id: string; rules: PasswordRule[] }) {
  return (
    <ul id={id} className="checklist" aria-label="Password rules">
      {rules.map((rule) => (
        <li key={rule.id} className={rule.met ? "is-met" : undefined} data-rule={rule.id} data-met={rule.met}>
          <span className="check" aria-hidden="true">
            {rule.met ? "✓" : "○"}
          </span>
          {rule.label}
          <span className="sr-only">{rule.met ? ": done" : ": not yet"}</span>
        </li>
      ))}
    </ul>
  );
}
