/** Small form primitives shared by the options page's sections. */
import type { ReactNode } from 'react';

export function Check({
  testid,
  checked,
  onChange,
  children,
}: {
  testid: string;
  checked: boolean;
  onChange(checked: boolean): void;
  children: ReactNode;
}) {
  return (
    <label className="check">
      <input
        type="checkbox"
        data-testid={testid}
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
      />
      {children}
    </label>
  );
}

/** A labelled text-like input as two cells of a `.form-grid`. */
export function Field({
  id,
  label,
  testid,
  value,
  onChange,
  type = 'text',
  placeholder,
}: {
  id: string;
  label: string;
  testid: string;
  value: string;
  onChange(value: string): void;
  type?: 'text' | 'url' | 'password';
  placeholder?: string;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        data-testid={testid}
        value={value}
        {...(type === 'password' && { autoComplete: 'off' })}
        {...(placeholder !== undefined && { placeholder })}
        onChange={(e) => onChange(e.target.value)}
      />
    </>
  );
}

/** A one-line outcome after an action: an error is announced as an alert. */
export function FormStatus({
  kind,
  testid,
  children,
}: {
  kind: 'ok' | 'err' | 'info';
  testid?: string;
  children: ReactNode;
}) {
  return (
    <p className={`form-status ${kind}`} role={kind === 'err' ? 'alert' : 'status'} data-testid={testid}>
      {children}
    </p>
  );
}
