/**
 * A GIF made from a stored timelapse video, on demand, for where video does not play (chat apps, some image
 * viewers). Runs in a Worker of the page that asked (`gif.worker.ts`): the video is demuxed by mediabunny and
 * decoded by WebCodecs (`VideoDecoder`), each frame read back through an `OffscreenCanvas`, and written by
 * gifenc with one palette for the animation.
 *
 * Invariants:
 * - One GIF frame per video frame, each shown as long as the video shows it (the held last frame included).
 * - Memory holds one decoded frame and the palette's sample, whatever the video's length: the video is
 *   decoded twice, once for the palette and once to write the frames.
 */
import { BufferSource, Input, VideoSampleSink, WEBM } from 'mediabunny';
import { gifWriter, PaletteSampler, type RgbaFrame } from './gif';

export interface GifFromVideo {
  bytes: Uint8Array;
  frames: number;
  width: number;
  height: number;
}

/** Opens the WebM's video track, checked to be decodable here. */
async function openTrack(bytes: Uint8Array) {
  const input = new Input({ source: new BufferSource(bytes), formats: [WEBM] });
  const track = await input.getPrimaryVideoTrack();
  if (!track) {
    input.dispose();
    throw new Error('the timelapse has no video track');
  }
  if (!(await track.canDecode())) {
    input.dispose();
    throw new Error(`this browser cannot decode ${track.codec ?? 'this'} video`);
  }
  return { input, track };
}

type VideoTrack = Awaited<ReturnType<typeof openTrack>>['track'];

/**
 * Each decoded frame of the track as RGBA, with how long it shows (ms). A WebM block carries no duration of
 * its own, so the last frame's hold is what the container's duration (`endS`) leaves after it.
 */
async function* rgbaFrames(
  track: VideoTrack,
  count: number,
  endS: number | null,
): AsyncGenerator<RgbaFrame & { delayMs: number }> {
  const width = track.displayWidth;
  const height = track.displayHeight;
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2d context on an OffscreenCanvas');
  let i = 0;
  for await (const sample of new VideoSampleSink(track).samples()) {
    const last = ++i === count;
    const shows =
      last && endS !== null ? Math.max(sample.duration, endS - sample.timestamp) : sample.duration;
    try {
      ctx.clearRect(0, 0, width, height);
      sample.draw(ctx, 0, 0, width, height);
      const { data } = ctx.getImageData(0, 0, width, height);
      yield { width, height, data, delayMs: Math.round(shows * 1000) };
    } finally {
      sample.close();
    }
  }
}

export async function gifFromVideo(bytes: Uint8Array): Promise<GifFromVideo> {
  const { input, track } = await openTrack(bytes);
  try {
    // the demuxer counts the frames without decoding them
    const { packetCount } = await track.computePacketStats();
    if (packetCount === 0) throw new Error('the timelapse has no frames');
    const endS = await input.getDurationFromMetadata();
    const sampler = new PaletteSampler(packetCount);
    let i = 0;
    for await (const f of rgbaFrames(track, packetCount, endS)) {
      if (sampler.wants(i)) sampler.add(i, f);
      i++;
    }
    const palette = sampler.palette();
    const gif = gifWriter();
    let written = 0;
    for await (const f of rgbaFrames(track, packetCount, endS)) {
      gif.write(f, palette, f.delayMs);
      written++;
    }
    return { bytes: gif.bytes(), frames: written, width: track.displayWidth, height: track.displayHeight };
  } finally {
    input.dispose();
  }
}
