/** A `JobCard` wired to the store: live preview, stored thumbnail (or the first output from /view), cancel. */
import { memo } from 'react';
import type { JobRecord } from '@/lib/ext/db';
import type { PublicServer } from '@/lib/ext/storage/repo';
import { useBlobUrl, useJobPreview } from '@/lib/ext/ui/hooks';
import { firstImage, viewUrl } from '@/lib/ext/ui/outputs';
import { useServices } from '@/lib/ext/ui/services';
import { JobCard } from './JobCard';

/** Memoised: a tick of one job re-renders that job's card only. */
export const LiveJobCard = memo(function LiveJobCard({
  job,
  now,
  server,
  onOpen,
  large,
}: {
  job: JobRecord;
  now: number;
  server: PublicServer | undefined;
  onOpen?: ((jobKey: string) => void) | undefined;
  large?: boolean;
}) {
  const { send } = useServices();
  const preview = useJobPreview(job);
  const storedThumb = useBlobUrl(job.thumbKey);
  const first =
    storedThumb === undefined && job.status === 'success' && server ? firstImage(job.outputs) : undefined;
  const thumbUrl = storedThumb ?? (first && server ? viewUrl(server.url, first.file) : undefined);
  return (
    <JobCard
      job={job}
      now={now}
      serverName={server?.name}
      previewUrl={preview}
      thumbUrl={thumbUrl}
      onCancel={() => send('bg:cancelJob', { serverId: job.serverId, promptId: job.promptId })}
      onOpen={onOpen ? () => onOpen(job.key) : undefined}
      large={large ?? false}
    />
  );
});
