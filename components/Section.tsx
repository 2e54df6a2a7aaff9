import type { ReactNode } from 'react';

/**
 * A page section named by its heading. The heading's id and the section's `aria-labelledby` come from
 * one `id`, so the accessible name cannot drift from the visible title.
 */
export function Section({
  id,
  title,
  className = 'section',
  testid,
  children,
}: {
  id: string;
  title: string;
  className?: string;
  testid?: string;
  children: ReactNode;
}) {
  const headingId = `${id}-heading`;
  return (
    <section className={className} aria-labelledby={headingId} data-testid={testid}>
      <h2 id={headingId} className="section-title">
        {title}
      </h2>
      {children}
    </section>
  );
}
